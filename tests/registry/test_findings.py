"""Data-quality rules (each with a failing and a passing case), findings and their
statuses, turning a finding into a query, the rule run job, completeness by centre."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.quality import cohort_quality
from registry import finding_selectors, finding_services, quality_services, services
from registry.domain.quality_rules import (
    RULES,
    CaseFacts,
    ContactFact,
    LineFact,
    ProgressionFact,
    ReceptorFact,
    ResponseFact,
    SurgeryFact,
    case_findings,
)
from registry.models import DataQuery, Finding, Job, Patient, PatientSummary
from tests.factories import (
    CentreFactory,
    FollowUpFactory,
    PatientFactory,
    ReceptorAssessmentFactory,
    TreatmentLineFactory,
)

TODAY = date(2024, 6, 30)
MBC = date(2020, 1, 10)


def facts(**changes) -> CaseFacts:
    """A complete, plausible case: no rule fires on it."""
    base = {
        "patient_id": 1,
        "birth_date": date(1960, 5, 17),
        "primary_diagnosis_date": MBC,
        "mbc_diagnosis_date": MBC,
        "presentation": "de_novo",
        "receptors": (ReceptorFact(11, MBC, "3+", ""),),
        "lines": (LineFact(21, 1, date(2020, 2, 1), date(2021, 1, 5), "progression"),),
        "responses": (ResponseFact(31, 21, date(2020, 5, 1), "PR"),),
        "progressions": (ProgressionFact(41, date(2021, 1, 5), "locoregional", True),),
        "surgeries": (SurgeryFact(51, date(2021, 2, 1), True),),
        "contacts": (ContactFact(61, date(2024, 1, 15), "alive", None),),
    }
    return CaseFacts(**{**base, **changes})


def found(case: CaseFacts, rule: str) -> list[tuple]:
    return [
        (f.record_kind, f.record_id, f.field_name, f.message)
        for f in case_findings(case, today=TODAY)
        if f.rule == rule
    ]


def test_a_complete_plausible_case_has_no_finding():
    assert case_findings(facts(), today=TODAY) == []


def test_every_rule_has_a_unique_stable_code():
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes)) == 13


# --- each rule: failing and passing --------------------------------------------------------


def test_age_at_mbc():
    assert found(facts(birth_date=date(2005, 1, 1)), "age-at-mbc") == [
        (
            "",
            0,
            "birth_date",
            "Aged 15 at the MBC diagnosis: check the birth date (01/01/2005) and the "
            "diagnosis dates.",
        )
    ]
    assert found(facts(birth_date=date(2001, 1, 10)), "age-at-mbc") == []  # 19


def test_presentation_gap():
    late = facts(primary_diagnosis_date=MBC - timedelta(days=149))
    assert found(late, "presentation-gap")[0][:3] == ("", 0, "presentation")
    assert "149 days" in found(late, "presentation-gap")[0][3]
    assert found(facts(primary_diagnosis_date=MBC - timedelta(days=90)), "presentation-gap") == []


def test_line_before_mbc():
    early = LineFact(21, 1, MBC - timedelta(days=1), None, "")
    assert found(facts(lines=(early,)), "line-before-mbc") == [
        ("lines", 21, "start_date", "Line 1 starts before the MBC diagnosis (10/01/2020).")
    ]
    assert found(facts(), "line-before-mbc") == []


def test_line_order():
    lines = (
        LineFact(21, 1, date(2021, 1, 1), None, ""),
        LineFact(22, 2, date(2020, 2, 1), date(2020, 12, 1), "progression"),
    )
    responses = (ResponseFact(31, 21, date(2021, 3, 1), "SD"), ResponseFact(32, 22, MBC, "SD"))
    result = found(facts(lines=lines, responses=responses), "line-order")
    assert [(kind, pk, name) for kind, pk, name, _ in result] == [("lines", 22, "number")]
    in_order = (lines[1].__class__(22, 2, date(2021, 2, 1), None, ""), lines[0])
    assert found(facts(lines=in_order, responses=responses), "line-order") == []


def test_cr_on_progression_day():
    cr = ResponseFact(31, 21, date(2021, 1, 5), "CR")
    assert found(facts(responses=(cr,)), "cr-on-progression-day") == [
        (
            "responses",
            31,
            "category",
            "A CR on 05/01/2021 is dated the same day as a progression event.",
        )
    ]
    assert (
        found(
            facts(responses=(ResponseFact(31, 21, date(2021, 1, 4), "CR"),)),
            "cr-on-progression-day",
        )
        == []
    )


def test_follow_up_due_after_12_months_while_alive():
    old = ContactFact(61, TODAY - timedelta(days=366), "alive", None)
    assert found(facts(contacts=(old,)), "follow-up-due")[0][:3] == (
        "follow-up",
        61,
        "contact_date",
    )
    recent = ContactFact(61, TODAY - timedelta(days=365), "alive", None)
    assert found(facts(contacts=(recent,)), "follow-up-due") == []
    dead = ContactFact(62, date(2021, 3, 1), "dead", date(2021, 2, 20))
    assert found(facts(contacts=(old, dead)), "follow-up-due") == []
    assert found(facts(contacts=()), "follow-up-due") == [
        ("", 0, "", "No follow-up contact recorded.")
    ]


def test_line_without_response():
    assert found(facts(responses=()), "line-without-response") == [
        ("lines", 21, "", "Line 1 has no response assessment.")
    ]
    assert found(facts(), "line-without-response") == []


def test_ended_line_without_reason():
    ended = LineFact(21, 1, date(2020, 2, 1), date(2021, 1, 5), "")
    assert found(facts(lines=(ended,)), "ended-line-without-reason") == [
        (
            "lines",
            21,
            "end_reason",
            "Line 1 ended on 05/01/2021 without a reason for ending.",
        )
    ]
    ongoing = LineFact(21, 1, date(2020, 2, 1), None, "")
    assert found(facts(lines=(ongoing,)), "ended-line-without-reason") == []


def test_ihc2_without_ish():
    equivocal = ReceptorFact(11, MBC, "2+", "")
    assert found(facts(receptors=(equivocal,)), "ihc2-without-ish")[0][:3] == (
        "biology",
        11,
        "her2_ish",
    )
    assert (
        found(facts(receptors=(ReceptorFact(11, MBC, "2+", "amplified"),)), "ihc2-without-ish")
        == []
    )


def test_locoregional_without_other_sites():
    silent = ProgressionFact(41, date(2021, 1, 5), "locoregional", None)
    assert found(facts(progressions=(silent,)), "locoregional-without-other-sites")[0][:3] == (
        "progressions",
        41,
        "other_sites_kept_best_response",
    )
    systemic = ProgressionFact(41, date(2021, 1, 5), "systemic", None)
    assert found(facts(progressions=(systemic,)), "locoregional-without-other-sites") == []


def test_surgery_without_line_continued():
    silent = SurgeryFact(51, MBC, None)
    assert found(facts(surgeries=(silent,)), "surgery-without-line-continued")[0][:3] == (
        "surgeries",
        51,
        "systemic_line_continued",
    )
    before_mbc = SurgeryFact(51, MBC - timedelta(days=1), None)
    assert found(facts(surgeries=(before_mbc,)), "surgery-without-line-continued") == []


def test_no_receptor_assessment():
    assert found(facts(receptors=()), "no-receptor-assessment") == [
        ("", 0, "", "No receptor assessment recorded: the subtype is unknown.")
    ]
    assert found(facts(), "no-receptor-assessment") == []


def test_death_without_date():
    undated = ContactFact(62, date(2021, 3, 1), "dead", None)
    assert found(facts(contacts=(undated,)), "death-without-date") == [
        (
            "follow-up",
            62,
            "death_date",
            "The follow-up of 01/03/2021 records the death without its date.",
        )
    ]
    dated = ContactFact(62, date(2021, 3, 1), "dead", date(2021, 2, 20))
    assert found(facts(contacts=(dated,)), "death-without-date") == []


# --- stored findings and their statuses ----------------------------------------------------


def finding_of(case) -> Finding:
    """The access tables' example: the case's follow-up is older than 12 months (or, on
    other data, the case's first open finding)."""
    found = Finding.objects.filter(patient=case.patient).order_by("pk")
    return (
        found.filter(rule="follow-up-due", status="new").first()
        or found.filter(status="new").first()
        or found.first()
        or Finding.objects.filter(patient__centre=case.patient.centre).order_by("pk").first()
    )


def open_rules(patient) -> set[str]:
    return set(Finding.objects.filter(patient=patient, status="new").values_list("rule", flat=True))


@pytest.mark.django_db
def test_a_write_recomputes_the_patients_findings_in_its_transaction(case_a, data_manager):
    surgery = case_a.records["surgeries"]
    assert "surgery-without-line-continued" not in open_rules(case_a.patient)
    surgery.systemic_line_continued = None
    services.record_save(user=data_manager, record=surgery, fields=["systemic_line_continued"])
    finding = Finding.objects.get(patient=case_a.patient, rule="surgery-without-line-continued")
    assert (finding.status, finding.record_kind, finding.record_id, finding.field_name) == (
        "new",
        "surgeries",
        surgery.pk,
        "systemic_line_continued",
    )
    surgery.systemic_line_continued = True
    services.record_save(user=data_manager, record=surgery, fields=["systemic_line_continued"])
    finding.refresh_from_db()
    assert finding.status == "fixed" and finding.fixed_at is not None
    assert [h.status for h in finding.history.order_by("history_id")] == ["new", "fixed"]


@pytest.mark.django_db
def test_a_write_that_fails_leaves_the_findings_as_they_were(case_a, data_manager):
    surgery = case_a.records["surgeries"]
    surgery.systemic_line_continued = None
    surgery.operated_on = date(2030, 1, 1)  # in the future: refused
    with pytest.raises(ValidationError):
        services.record_save(user=data_manager, record=surgery)
    assert not Finding.objects.filter(rule="surgery-without-line-continued").exists()


@pytest.mark.django_db
def test_a_confirmed_finding_stays_confirmed_on_later_runs(case_a, auditor):
    finding = finding_of(case_a)
    finding_services.finding_confirm(
        user=auditor, finding=finding, reason="Lost to follow-up: moved abroad"
    )
    finding_services.rules_run()
    finding_services.findings_refresh([case_a.patient.pk])
    finding.refresh_from_db()
    assert (finding.status, finding.reason, finding.confirmed_by) == (
        "confirmed",
        "Lost to follow-up: moved abroad",
        auditor,
    )
    assert finding.history.latest().history_user == auditor
    assert Finding.objects.filter(rule="follow-up-due", patient=case_a.patient).count() == 1


@pytest.mark.django_db
def test_confirming_needs_a_reason_and_a_new_finding(case_a, auditor, analyst_a, dm_b):
    finding = finding_of(case_a)
    with pytest.raises(ValidationError) as error:
        finding_services.finding_confirm(user=auditor, finding=finding, reason="  ")
    assert "reason" in error.value.message_dict
    for outsider in (analyst_a, dm_b):
        with pytest.raises(PermissionDenied):
            finding_services.finding_confirm(user=outsider, finding=finding, reason="fine")
    finding_services.finding_confirm(user=auditor, finding=finding, reason="checked")
    with pytest.raises(ValidationError):
        finding_services.finding_confirm(user=auditor, finding=finding, reason="again")
    assert Finding.objects.get(pk=finding.pk).history.count() == 2


@pytest.mark.django_db
def test_a_fixed_finding_found_again_is_new_again(case_a, data_manager):
    surgery = case_a.records["surgeries"]
    for continued in (None, True, None):
        surgery.systemic_line_continued = continued
        services.record_save(user=data_manager, record=surgery, fields=["systemic_line_continued"])
    finding = Finding.objects.get(rule="surgery-without-line-continued")
    assert [h.status for h in finding.history.order_by("history_id")] == ["new", "fixed", "new"]


@pytest.mark.django_db
def test_a_finding_is_turned_into_a_query_on_its_record_and_field(case_a, auditor, data_manager):
    finding = finding_of(case_a)
    query = finding_services.finding_to_query(user=auditor, finding=finding, assignee=data_manager)
    follow_up = case_a.records["follow-up"]
    assert (query.record_kind, query.record_id, query.field_name) == (
        "follow-up",
        follow_up.pk,
        "contact_date",
    )
    assert query.question == finding.message
    assert query.origin == "rule:follow-up-due"
    finding.refresh_from_db()
    assert finding.query == query and query.finding == finding
    with pytest.raises(ValidationError):
        finding_services.finding_to_query(user=auditor, finding=finding, assignee=data_manager)
    with pytest.raises(PermissionDenied):
        finding_services.finding_to_query(user=data_manager, finding=finding, assignee=data_manager)


@pytest.mark.django_db
def test_the_patient_list_badge_counts_unconfirmed_plausibility_findings(case_a, auditor):
    Patient.objects.filter(pk=case_a.patient.pk).update(primary_diagnosis_date=date(2017, 1, 1))
    finding_services.findings_refresh([case_a.patient.pk])
    assert PatientSummary.objects.get(pk=case_a.patient.pk).warning_count == 1
    finding = Finding.objects.get(rule="presentation-gap")
    finding_services.finding_confirm(user=auditor, finding=finding, reason="Checked: de novo")
    assert PatientSummary.objects.get(pk=case_a.patient.pk).warning_count == 0


# --- the rule run ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rule_run_job_counts_findings_per_rule(case_a, case_b, auditor, settings):
    job = Job.objects.create(owner=auditor, kind=Job.Kind.RULES)
    from registry import jobs

    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.state == "succeeded"
    rules = {row["rule"]: row for row in job.summary["rules"]}
    assert rules["follow-up-due"]["new"] == 2  # both cases: last contact 01/03/2021
    assert job.summary["new"] == 0  # each write already recomputed its patient's findings
    assert job.progress_done == job.progress_total == 2


@pytest.mark.django_db
def test_only_auditors_start_a_rule_run(client, data_manager, auditor):
    client.force_login(data_manager)
    assert client.post(reverse("registry:finding-list")).status_code == 403
    client.force_login(auditor)
    response = client.post(reverse("registry:finding-list"))
    job = Job.objects.get(kind=Job.Kind.RULES)
    assert response.status_code == 302 and response.url == job.get_absolute_url()


# --- completeness by centre ----------------------------------------------------------------


@pytest.mark.django_db
def test_completeness_by_centre_of_a_small_two_centre_registry(auditor):
    north, south = CentreFactory(code="NOR"), CentreFactory(code="SOU")
    today = timezone.localdate()
    # North: two patients, both complete but one line without response, one old follow-up.
    n1 = PatientFactory(centre=north)
    n2 = PatientFactory(centre=north)
    for patient in (n1, n2):
        ReceptorAssessmentFactory(patient=patient)
        FollowUpFactory(patient=patient, contact_date=today - timedelta(days=10))
    TreatmentLineFactory(patient=n1)  # no response: incomplete
    # South: one patient without receptors nor follow-up (the patient row is incomplete
    # for both rules: one record), its follow-up missing.
    s1 = PatientFactory(centre=south)
    FollowUpFactory(patient=s1, contact_date=today - timedelta(days=400))
    finding_services.findings_refresh([n1.pk, n2.pk, s1.pk])
    with CaptureQueriesContext(connection) as queries:
        centres = {c.code: c for c in finding_selectors.completeness_by_centre(auditor)}
    kinds = {k.kind: k for k in centres["NOR"].kinds}
    assert (kinds["patient"].records, kinds["patient"].complete) == (2, 2)
    assert (kinds["lines"].records, kinds["lines"].complete) == (1, 0)
    assert (kinds["follow-up"].records, kinds["follow-up"].complete) == (2, 2)
    # 2 patient rows, 2 receptor assessments, 1 line, 2 contacts: the line is incomplete.
    assert centres["NOR"].share_text == "6/7 (85.7%)"
    south_kinds = {k.kind: k for k in centres["SOU"].kinds}
    assert (south_kinds["patient"].records, south_kinds["patient"].complete) == (1, 0)
    assert (south_kinds["follow-up"].records, south_kinds["follow-up"].complete) == (1, 0)
    assert centres["SOU"].share_text == "0/2 (0.0%)"
    assert centres["SOU"].findings_by_age == {"under_7": 2, "7_to_30": 0, "over_30": 0}
    # The user's roles and grant, the centres, the patients, 8 clinical record tables, the
    # open completeness findings, the findings by age, the queries by age.
    assert len(queries) == 15


@pytest.mark.django_db
def test_completeness_csv_and_api(client, auditor, case_a):
    client.force_login(auditor)
    response = client.get(reverse("registry:completeness"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "centre,record_kind,records,complete,share_complete" in response.content.decode()
    api = APIClient()
    api.force_authenticate(auditor)
    body = api.get(reverse("api:completeness")).json()
    centre = next(c for c in body if c["code"] == case_a.patient.centre.code)
    assert centre["findings_by_age"]["under_7"] >= 1


# --- reports -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cohort_quality_counts_patients_with_open_findings_and_queries(
    case_a, case_b, auditor, data_manager
):
    counts = cohort_quality([case_a.patient.pk, case_b.patient.pk])
    assert counts["patients"] == 2 and counts["with_open_findings"] == 2
    assert counts["with_open_queries"] == 0 and counts["unreviewed"] == 2
    for finding in Finding.objects.filter(patient=case_b.patient):
        finding_services.finding_confirm(user=auditor, finding=finding, reason="checked")
    quality_services.query_raise(
        user=auditor, patient=case_a.patient, question="Check the dates", assignee=data_manager
    )
    quality_services.case_review(user=auditor, patient=case_b.patient)
    counts = cohort_quality([case_a.patient.pk, case_b.patient.pk])
    assert counts == {
        "patients": 2,
        "with_open_findings": 1,
        "with_open_queries": 1,
        "with_open_findings_or_queries": 1,
        "with_selection_findings": 0,
        "unreviewed": 1,
    }


# --- pages, API and query counts -----------------------------------------------------------


@pytest.mark.django_db
def test_the_findings_page_filters_and_confirms(client, auditor, case_a, case_b):
    client.force_login(auditor)
    url = reverse("registry:finding-list")
    page = client.get(url, {"rule": "follow-up-due", "centre": case_a.patient.centre_id})
    assert case_a.patient.registry_id in page.content.decode()
    assert case_b.patient.registry_id not in page.content.decode()
    finding = finding_of(case_a)
    detail = reverse("registry:finding-detail", args=[finding.pk])
    refused = client.post(detail, {"step": "confirm", "reason": ""})
    assert refused.status_code == 200 and Finding.objects.get(pk=finding.pk).status == "new"
    client.post(detail, {"step": "confirm", "reason": "Moved abroad"})
    assert Finding.objects.get(pk=finding.pk).status == "confirmed"


@pytest.mark.django_db
def test_the_findings_page_reads_a_fixed_number_of_queries(client, auditor, case_a):
    client.force_login(auditor)
    url = reverse("registry:finding-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"status": "any"})
    for _n in range(3):
        make = PatientFactory(centre=case_a.patient.centre)
        finding_services.findings_refresh([make.pk])
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"status": "any"})
    assert len(many) == len(few)


@pytest.mark.django_db
def test_the_completeness_page_reads_a_fixed_number_of_queries(client, auditor, case_a):
    client.force_login(auditor)
    url = reverse("registry:completeness")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _n in range(3):
        finding_services.findings_refresh([PatientFactory(centre=case_a.patient.centre).pk])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


@pytest.mark.django_db
def test_the_api_confirms_and_turns_into_a_query(auditor, data_manager, case_a):
    api = APIClient()
    api.force_authenticate(auditor)
    finding = finding_of(case_a)
    refused = api.post(reverse("api:finding-confirm", args=[finding.pk]), {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    response = api.post(
        reverse("api:finding-to-query", args=[finding.pk]),
        {"assignee": data_manager.username},
        format="json",
    )
    assert response.status_code == 201
    assert DataQuery.objects.get(pk=response.json()["id"]).finding == finding
    listed = api.get(reverse("api:finding-list"), {"rule": "follow-up-due"}).json()
    assert {row["patient"] for row in listed["results"]} >= {case_a.patient.registry_id}


@pytest.mark.django_db
def test_the_case_page_shows_findings_at_their_record(client, data_manager, case_a):
    client.force_login(data_manager)
    page = client.get(reverse("registry:patient-detail", args=[case_a.patient.registry_id]))
    text = page.content.decode()
    follow_up = case_a.records["follow-up"]
    assert f'href="#follow-up-{follow_up.pk}"' in text
    assert "No follow-up contact for more than 12 months" in text
