"""The case page at a glance: summary header, section navigation, the drawn course."""

import pytest
from django.urls import reverse

from registry import selectors
from registry.case_page import case_overview, case_summary, course_chart
from registry.models import Patient

pytestmark = pytest.mark.django_db


def test_summary_header_says_the_six_facts_in_words(case_a):
    summary = case_summary(case_overview(case_a.patient))

    assert summary.subtype == "HR+/HER2-"
    assert summary.presentation == "De novo (metastatic at first diagnosis)"
    assert summary.sites == ["Bone"]
    assert summary.current_line == (
        "Line 1: Endocrine therapy + CDK4/6 inhibitor (letrozole + palbociclib) since 15/03/2018"
    )
    assert summary.last_response == "Partial response (PR) on 15/06/2018 (line 1)"
    assert summary.status == "Alive with disease (last contact 01/03/2021)"


def test_course_is_drawn_over_time_with_a_row_per_line(case_a):
    chart = course_chart(case_overview(case_a.patient))

    # From the MBC diagnosis (01/03/2018) to the last contact (01/03/2021): 1096 days
    # over the 870 units between x = 310 and x = 1180.
    events, line = chart.rows
    assert [row.label for row in chart.rows] == [
        "Events",
        "Line 1 · Endocrine therapy + CDK4/6 inhibitor",
    ]
    (bar,) = line.bars
    assert bar.x == round(310 + 14 / 1096 * 870, 1)  # 15/03/2018
    assert bar.x + bar.width == pytest.approx(1180, abs=0.2)  # ongoing: to the last contact
    assert "ongoing" in bar.css
    (response,) = line.marks
    assert (response.x, response.css) == (round(310 + 106 / 1096 * 870, 1), "recist-pr")
    assert sorted(mark.css for mark in events.marks) == ["progression", "radiotherapy", "surgery"]
    surgery = next(mark for mark in events.marks if mark.css == "surgery")
    assert surgery.title == ("15/04/2019: surgery (mastectomy, axillary lymph node dissection)")
    assert [tick.label for tick in chart.ticks] == ["2019", "2020", "2021"]


def test_case_page_has_the_summary_navigation_and_course_and_no_inner_scroll_box(
    client, data_manager, case_a
):
    client.force_login(data_manager)
    html = client.get(
        reverse("registry:patient-detail", args=[case_a.patient.registry_id])
    ).content.decode()

    assert 'aria-label="Sections of the case"' in html
    for anchor in ("#course", "#timeline", "#responses", "#follow-up"):
        assert f'href="{anchor}"' in html
    assert '<svg class="course-chart"' in html and "recist-pr" in html
    assert "timeline-scroll" not in html
    assert "Alive with disease (last contact 01/03/2021)" in html


def test_the_page_derives_from_the_records_it_read_as_the_reports_do(case_a):
    """The case page's derivations take its records; the derived tables read the database."""
    patient = case_a.patient
    from_records = selectors.patient_data_of(patient, selectors.patient_records(patient))

    assert from_records == selectors.patient_data(Patient.objects.filter(pk=patient.pk))[patient.pk]
    assert from_records.course.lines and from_records.course.responses
