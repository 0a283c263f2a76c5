"""In-doubt counts per selection step: of the patients a step decides on, those with an
open finding of the step's rules or an open query on what it reads; worked out by hand."""

import re

import pytest
from django.urls import reverse

from analytics.cohorts import CohortFilter, build_cohort
from analytics.reports.complete_response import complete_response_report
from analytics.reports.oligoprogression import oligoprogression_report
from analytics.tables import report_tables
from registry import finding_services, quality_services
from registry.models import Finding, Patient, ProgressionEvent, Surgery
from tests.analytics.test_opd_report import ENDOCRINE, bianco_like  # noqa: F401
from tests.builders import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(auditor, data_manager):
    def raise_query(patient, kind="", record=None, field="", question="Please check"):
        return quality_services.query_raise(
            user=auditor,
            patient=patient,
            question=question,
            assignee=data_manager,
            record_kind=kind,
            record_id=record.pk if record is not None else None,
            field_name=field,
        )

    return raise_query


def opd_patients():
    """The eight patients of test_opd_report, by their place in its fixture (O1-O8)."""
    return dict(zip([f"O{n}" for n in range(1, 9)], Patient.objects.order_by("pk"), strict=True))


def display(step) -> str:
    return step["in_doubt"]["display"]


def test_each_opd_step_counts_its_own_doubts(bianco_like, ask, auditor, data_manager):  # noqa: F811
    o = opd_patients()
    # Step 1, the OPD (all 8 decide): O5's progression kind is queried; O6's progression
    # date too (read by the OPD and by the surgery step).
    ask(o["O5"], "progressions", ProgressionEvent.objects.get(patient=o["O5"]), "kind")
    ask(o["O6"], "progressions", ProgressionEvent.objects.get(patient=o["O6"]), "occurred_on")
    # Step 2, de novo (the 7 with an OPD): O4's presentation, and O1's patient row as a
    # whole; O2's presentation query is answered, so no longer open.
    ask(o["O4"], field="presentation")
    ask(o["O1"])
    answered = ask(o["O2"], field="presentation")
    quality_services.query_answer(user=data_manager, query=answered, text="It is de novo")
    # Step 4, line continued (the 4 operated on): O7's surgery does not say (the rule's
    # finding), which also excludes it.
    Surgery.objects.filter(patient=o["O7"]).update(systemic_line_continued=None)
    finding_services.findings_refresh([o["O7"].pk])
    # The subtype of the cohort (O1-O3): O3's ER is queried.
    ask(o["O3"], "biology", o["O3"].receptorassessment_set.get(), "er_percent")
    # Not in doubt anywhere: a query on O8's radiotherapy-free follow-up (no step reads it).
    ask(o["O8"], "follow-up", o["O8"].followup_set.get(), "contact_date")

    report = oligoprogression_report(build_cohort(Patient.objects.all(), CohortFilter()))
    overall = report["overall"]

    assert [(s["remaining"], display(s)) for s in overall["selection"]] == [
        (7, "2/8 (25.0%)"),  # O5, O6 of all 8
        (6, "2/7 (28.6%)"),  # O4, O1 of the 7 with an OPD
        (4, "1/6 (16.7%)"),  # O6 of the 6 de novo
        (3, "1/4 (25.0%)"),  # O7 of the 4 operated on
    ]
    assert overall["subtype_in_doubt"]["display"] == "1/3 (33.3%)"
    figures = dict(report_tables(report)["figures"].values.tolist())
    assert figures["overall.selection[de novo].in_doubt.n"] == 2
    assert figures["overall.selection[de novo].in_doubt.N"] == 7


def test_each_cr_step_counts_its_own_doubts_and_a_confirmed_finding_is_no_doubt(
    centre_a, ask, auditor
):
    with_cr = build_patient(centre_a, lines=[ENDOCRINE], responses=[(3, 1, "CR")])
    build_patient(centre_a, lines=[ENDOCRINE], responses=[(3, 1, "PR")])
    not_evaluable = build_patient(centre_a, lines=[ENDOCRINE])  # a line without a response
    ask(with_cr, "responses", with_cr.responseassessment_set.get(), "category")

    def selection():
        cohort = build_cohort(Patient.objects.all(), CohortFilter())
        return complete_response_report(cohort)["overall"]["selection"]

    first = selection()
    assert [(s["step"], s["remaining"], s.get("in_doubt", {}).get("display")) for s in first] == [
        ("patients selected", 3, None),
        ("evaluable (at least one response assessment)", 2, "2/3 (66.7%)"),
        ("with at least one CR", 1, "1/2 (50.0%)"),
    ]

    finding = Finding.objects.get(patient=not_evaluable, rule="line-without-response")
    finding_services.finding_confirm(user=auditor, finding=finding, reason="Not assessed")
    assert display(selection()[1]) == "1/3 (33.3%)"


def test_the_report_pages_show_the_in_doubt_column(client, auditor, bianco_like):  # noqa: F811
    """OPD: nobody's OPD in doubt yet (0 of all 8). CR: all but O1 have a line without a
    response assessment (the rule's finding), so their "evaluable" is in doubt (7 of 8)."""
    client.force_login(auditor)
    for report, first_doubt in (("opd", "0/8 (0.0%)"), ("cr", "7/8 (87.5%)")):
        page = client.get(reverse("analytics:report", args=[report])).content.decode()
        assert "In doubt</abbr>" in page, report
        # As read: n and N are links to the patients behind them (analytics.drilldown).
        cells = re.findall(r'<td class="num">(.*?)</td>', page)
        assert first_doubt in [re.sub(r"<[^>]+>", "", cell) for cell in cells], report
        assert f"{report}/counts/overall.selection" in page, report
