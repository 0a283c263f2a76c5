"""An import's warnings: the data-quality rules' findings on its cases, located, never a
refusal; the same rules as the rule run (the findings stored after the import match)."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from registry import finding_services, quality_services
from registry.models import Finding, FollowUp, Patient
from tests.jobs import jobs_run, latest_job
from tests.registry.test_exchange import counts, document_of, run_import

pytestmark = pytest.mark.django_db

CASE = "case 1 (MBC-A0009)"


@pytest.fixture
def doubtful_case(case_a) -> dict:
    """A new case with four things the rules find, by hand: a de novo presentation 149
    days after the primary diagnosis, HER2 IHC 2+ without ISH, a second line without any
    response assessment, and no follow-up contact in the last 12 months."""
    document = document_of(case_a.patient)
    case = document["cases"][0]
    case.update(
        registry_id="MBC-A0009", record_number="REC-A-900009", primary_diagnosis_date="2017-10-03"
    )
    case["receptor_assessments"][0]["her2_ihc"] = "2+"
    first, *_ = case["treatment_lines"]
    first.update(end_date="2019-03-01", end_reason="progression")
    case["treatment_lines"].append(
        {**first, "number": 2, "start_date": "2019-03-10", "end_date": None, "end_reason": ""}
    )
    case["treatment_lines"][1]["responses"] = []
    case["board_discussions"] = []
    return document


EXPECTED = [  # (rule, where, field), in the order of the rule set
    ("presentation-gap", CASE, "presentation"),
    ("follow-up-due", f"{CASE} › follow_up[1]", "contact_date"),
    ("line-without-response", f"{CASE} › treatment_lines[2]", ""),
    ("ihc2-without-ish", f"{CASE} › receptor_assessments[1]", "her2_ish"),
]


def located(result) -> list[tuple]:
    return [(w.rule, w.where, w.field) for w in result.warnings]


def test_a_dry_run_reports_the_rules_findings_located_and_writes_nothing(
    data_manager, doubtful_case
):
    before = counts()

    result = run_import(data_manager, doubtful_case, dry_run=True)

    assert result.ok and not result.written
    assert located(result) == EXPECTED
    assert {w.case for w in result.warnings} == {"MBC-A0009"}
    assert all(w.record_id is None for w in result.warnings)  # new records: no id yet
    gap = result.warnings[0]
    assert (gap.severity, gap.record_kind) == ("warning", "")
    assert "149 days" in gap.message
    assert result.as_dict()["warnings"][3] == {
        "case": "MBC-A0009",
        "where": f"{CASE} › receptor_assessments[1]",
        "record_kind": "biology",
        "record_id": None,
        "field": "her2_ish",
        "rule": "ihc2-without-ish",
        "severity": "missing",
        "message": "HER2 IHC 2+ on 01/03/2018 has no ISH result: its HER2 status is not final.",
    }
    assert counts() == before


def test_the_import_writes_despite_its_warnings_and_the_rules_then_store_the_same(
    data_manager, doubtful_case
):
    result = run_import(data_manager, doubtful_case)

    assert result.written and located(result) == EXPECTED
    patient = Patient.objects.get(registry_id="MBC-A0009")
    stored = Finding.objects.filter(patient=patient, status="new")
    assert sorted(stored.values_list("rule", "record_kind", "field_name")) == sorted(
        (w.rule, w.record_kind, w.field) for w in result.warnings
    )
    assert finding_services.rules_run()["new"] == 0  # the run finds nothing more


def test_a_reimport_names_the_stored_records_and_skips_confirmed_findings(
    data_manager, auditor, doubtful_case
):
    run_import(data_manager, doubtful_case)
    patient = Patient.objects.get(registry_id="MBC-A0009")
    gap = Finding.objects.get(patient=patient, rule="presentation-gap")
    finding_services.finding_confirm(user=auditor, finding=gap, reason="Checked in the chart")

    again = run_import(data_manager, doubtful_case, dry_run=True)

    assert located(again) == EXPECTED[1:]
    line_two = patient.treatmentline_set.get(number=2)
    assert again.warnings[1].record_id == line_two.pk


def test_a_stored_record_the_file_leaves_out_is_located_as_stored(data_manager, case_a):
    document = document_of(case_a.patient)
    del document["cases"][0]["follow_up"]
    contact = FollowUp.objects.get(patient=case_a.patient)

    result = run_import(data_manager, document, dry_run=True)

    assert [(w.rule, w.where, w.record_id) for w in result.warnings] == [
        ("follow-up-due", f"case 1 (MBC-A0001) › stored follow-up #{contact.pk}", contact.pk)
    ]


def test_a_file_with_errors_gets_its_errors_and_no_warnings(data_manager, doubtful_case):
    doubtful_case["cases"][0]["treatment_lines"][0]["start_date"] = "not a date"

    result = run_import(data_manager, doubtful_case, dry_run=True)

    assert not result.ok and result.warnings == []


def test_a_locked_case_is_refused_and_its_warnings_are_not_given(data_manager, auditor, case_a):
    document = document_of(case_a.patient)
    document["cases"][0]["given_name"] = "Zelda"
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")

    result = run_import(data_manager, document)

    assert not result.ok and result.warnings == []


def test_the_job_page_and_the_api_show_the_warnings(dm_client, data_manager, doubtful_case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = json.dumps(doubtful_case).encode()
    with jobs_run():
        dm_client.post(
            reverse("registry:import"), {"file": SimpleUploadedFile("cases.json", content)}
        )
    job = latest_job()
    assert job.state == "succeeded" and job.dry_run

    page = dm_client.get(reverse("registry:job-detail", args=[job.pk])).content.decode()
    assert "4 data-quality warnings" in page
    assert "HER2 IHC 2+ without ISH" in page and f"{CASE} › receptor_assessments[1]" in page
    assert "Import cases.json now" in page  # a warning never stops an import

    api = APIClient()
    api.force_authenticate(data_manager)
    summary = api.get(reverse("api:job-detail", args=[job.pk])).json()["summary"]
    assert [(w["rule"], w["where"], w["field"]) for w in summary["warnings"]] == EXPECTED


def test_a_case_put_through_the_api_answers_with_its_warnings(data_manager, doubtful_case):
    api = APIClient()
    api.force_authenticate(data_manager)
    case = doubtful_case["cases"][0]

    response = api.put(
        reverse("api:case", args=["MBC-A0009"]), case, format="json", QUERY_STRING="dry_run=true"
    )

    assert response.status_code == 200, response.json()
    assert [w["rule"] for w in response.json()["warnings"]] == [r for r, _, _ in EXPECTED]
