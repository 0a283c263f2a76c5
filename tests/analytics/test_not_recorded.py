"""What the charts did not give: counted in every report and on the home page."""

import pytest
from django.urls import reverse

from analytics.cohorts import CohortFilter, build_cohort
from analytics.reports.characteristics import characteristics_report
from analytics.reports.complete_response import complete_response_report
from registry.models import FollowUp, MetastaticSite, Patient, Radiotherapy
from tests.builders import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_chart(centre_a):
    """S1: histology, site confirmation, the dose and the status before death not recorded.
    S2: everything recorded; in CR, alive, the last contact's status not recorded."""
    s1 = build_patient(
        centre_a,
        lines=[(0, None, None, "chemotherapy")],
        responses=[(3, 1, "PR")],
        radiotherapy=[1],
        died_at=12,
        disease_status="not_recorded",
    )
    Patient.objects.filter(pk=s1.pk).update(histology="not_recorded")
    MetastaticSite.objects.filter(patient=s1).update(confirmation="not_recorded")
    Radiotherapy.objects.filter(patient=s1).update(total_dose_gy=None)
    s2 = build_patient(
        centre_a,
        lines=[(0, None, None, "endocrine")],
        responses=[(3, 1, "CR")],
        radiotherapy=[2],
        last_contact=10,
        disease_status="not_recorded",
    )
    return s1, s2


def test_every_report_counts_the_records_answered_not_recorded(silent_chart):
    report = characteristics_report(build_cohort(Patient.objects.all(), CohortFilter()))
    counts = {
        key: (item["records"], item["of_records"], item["patients"])
        for key, item in report["meta"]["not_recorded"].items()
    }
    assert counts == {
        "histology": (1, 2, 1),
        "site_confirmation": (1, 2, 1),
        "surgical_intent": (0, 0, 0),
        "radiotherapy_total_dose": (1, 2, 1),
        "radiotherapy_fractions": (0, 2, 0),
        "disease_status_before_death": (1, 2, 1),
        "disease_status_at_contact": (1, 2, 1),
    }
    assert report["overall"]["histology"]["not_recorded"]["display"] == "1/2 (50.0%)"
    assert report["overall"]["histology"]["ductal"]["display"] == "1/2 (50.0%)"


def test_a_last_contact_without_disease_status_is_its_own_category(silent_chart):
    report = complete_response_report(build_cohort(Patient.objects.all(), CohortFilter()))
    status = report["overall"]["status_at_last_follow_up"]
    # S2 is the only patient with a CR: alive, status not recorded (not "with disease").
    assert status["not_recorded"]["display"] == "1/1 (100.0%)"
    assert status["alive_with_disease"]["display"] == "0/1 (0.0%)"
    assert FollowUp.objects.filter(disease_status="not_recorded").count() == 2


def test_report_page_and_home_page_show_what_was_not_recorded(client, analyst, silent_chart):
    client.force_login(analyst)
    report = client.get(reverse("analytics:report", args=["characteristics"])).content.decode()
    home = client.get(reverse("home")).content.decode()

    assert "Not recorded in the charts" in report
    assert "Disease status at the last contact before death" in report
    assert "Radiotherapy total dose" in home and "Not recorded in the chart" in home
