"""What people read: dates in one convention, clinical labels instead of stored codes,
the registry's own error pages (also with DEBUG on), an empty selection said in words."""

from datetime import date

import pytest
from django.urls import reverse

from registry.forms import FollowUpForm
from registry.labels import clinical_label
from registry.widgets import INVALID_DATE
from tests.builders import build_patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["23/07/2009", "23.07.2009", "2009-07-23", "3/7/2009"])
def test_a_clinical_date_is_accepted_as_typed_in_each_convention(typed):
    patient = PatientFactory(
        primary_diagnosis_date=date(2009, 1, 1), mbc_diagnosis_date=date(2009, 1, 1)
    )
    form = FollowUpForm(
        {"contact_date": typed, "vital_status": "alive", "disease_status": "ned"}, patient=patient
    )
    assert form.is_valid(), form.errors
    expected = date(2009, 7, 3) if typed == "3/7/2009" else date(2009, 7, 23)
    assert form.cleaned_data["contact_date"] == expected


def test_a_wrong_date_says_the_format_and_the_box_shows_a_hint():
    form = FollowUpForm(
        {"contact_date": "07/23/2009", "vital_status": "alive"}, patient=PatientFactory()
    )
    assert form.errors["contact_date"] == [INVALID_DATE]
    html = str(form["contact_date"])
    assert 'placeholder="dd/mm/yyyy"' in html
    described_by = html.split('aria-describedby="')[1].split('"')[0].split()
    assert "id_contact_date_format" in described_by
    assert 'id="id_contact_date_format"' in html
    assert "data-date-picker" in html


def test_a_stored_date_is_shown_dd_mm_yyyy_in_the_form(centre_a):
    patient = PatientFactory(centre=centre_a)
    follow_up = patient.followup_set.create(
        contact_date=date(2019, 6, 16), vital_status="alive", disease_status="ned"
    )
    html = str(FollowUpForm(instance=follow_up, patient=patient)["contact_date"])
    assert 'value="16/06/2019"' in html


def test_labels_are_looked_up_in_the_named_vocabulary_when_codes_repeat():
    assert clinical_label("breast", "RadiotherapySite") == "Breast / chest wall"
    assert clinical_label("breast", "LocoregionalSite") == "Breast"
    assert clinical_label("de_novo") == "De novo (metastatic at first diagnosis)"
    assert clinical_label("sentinel_node_biopsy") == "Sentinel lymph node biopsy"
    assert clinical_label("alive_ned") == "Alive with no evidence of disease"
    assert clinical_label("not-a-code") == "not-a-code"


@pytest.fixture
def opd_cohort(centre_a, centre_b):
    for centre in (centre_a, centre_b):
        build_patient(
            centre,
            sites=("distant_nodes",),
            lines=[(0, None, None, "endocrine_cdk46")],
            responses=[(3, 1, "CR")],
            progressions=[(10, "locoregional")],
            surgeries=[(11, {"mastectomy", "sentinel_node_biopsy"}, True)],
            last_contact=30,
            disease_status="ned",
        )


@pytest.mark.parametrize("report", ["cr", "opd", "characteristics"])
def test_report_tables_and_methods_show_labels_not_codes(client, analyst, opd_cohort, report):
    client.force_login(analyst)
    page = client.get(reverse("analytics:report", args=[report])).content.decode()
    for code in ("de_novo", "distant_nodes", "alive_ned", "sentinel_node_biopsy", "time_unit"):
        assert f">{code}<" not in page and f"<strong>{code}</strong>" not in page
    assert "Time unit" in page
    if report == "opd":
        assert "Sentinel lymph node biopsy" in page
    if report == "cr":
        assert "Alive with no evidence of disease" in page
    if report == "characteristics":
        assert "Distant lymph nodes" in page


def test_report_stamp_is_in_the_registry_time_zone(client, analyst, opd_cohort, settings):
    settings.TIME_ZONE = "Europe/Rome"
    client.force_login(analyst)
    page = client.get(reverse("analytics:report", args=["cr"])).content.decode()
    assert "+00:00" not in page
    assert "data up to " in page


def test_an_empty_selection_says_no_patient_matches_instead_of_a_zero_report(
    client, analyst, opd_cohort
):
    client.force_login(analyst)
    page = client.get(reverse("analytics:report", args=["opd"]), {"mbc_from": "01/01/2030"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "No patient matches these filters." in html
    assert "km-plot" not in html and "OPD-surgery cohort: selection" not in html


def test_comparing_centres_is_offered_only_to_users_who_see_more_than_one(
    client, analyst, analyst_a, opd_cohort
):
    url = reverse("analytics:report", args=["cr"])
    client.force_login(analyst)
    assert "Show centres side by side" in client.get(url).content.decode()
    client.force_login(analyst_a)
    assert "Show centres side by side" not in client.get(url).content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_page_and_foreign_patient_get_the_registry_404(
    client, data_manager, case_b, settings, debug
):
    settings.DEBUG = debug
    client.force_login(data_manager)
    for url in ("/no-such-page/", reverse("registry:patient-detail", args=["MBC-B0001"])):
        response = client.get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert "There is nothing here, or nothing you have access to." in html
        assert "URLconf" not in html and "urlpatterns" not in html.lower()


def test_an_unknown_api_url_still_answers_json_with_debug_on(client, data_manager, settings):
    settings.DEBUG = True
    client.force_login(data_manager)
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_crash_shows_the_registry_500_page_with_debug_on(
    client, data_manager, settings, monkeypatch
):
    from registry.views import patients

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    settings.DEBUG = True
    monkeypatch.setattr(patients.HomeView, "get_context_data", crash)
    client.raise_request_exception = False
    client.force_login(data_manager)
    response = client.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "Traceback" not in html and "boom" not in html


def test_a_forbidden_page_is_the_registry_403(client, analyst, settings):
    settings.DEBUG = True
    client.force_login(analyst)
    response = client.get(reverse("registry:patient-create"))
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_import_page_links_a_served_guide_and_an_example_case(dm_client):
    page = dm_client.get(reverse("registry:import")).content.decode()
    assert reverse("registry:import-guide") in page and "docs/exchange.md" not in page
    guide = dm_client.get(reverse("registry:import-guide")).content.decode()
    assert "Exchange formats" in guide
    example = dm_client.get(reverse("registry:import-example"))
    assert example["Content-Disposition"] == 'attachment; filename="example-case.json"'
    assert example.json()  # the documented example, as JSON


def test_a_refused_import_shows_its_errors_and_no_empty_results_table(dm_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.jobs import jobs_run

    upload = SimpleUploadedFile("cases.json", b'{"cases": [{"registry_id": 5}]}')
    with jobs_run():
        started = dm_client.post(reverse("registry:import"), {"file": upload})
    html = dm_client.get(started.url).content.decode()
    assert "nothing was changed" in html
    assert "Would be created" not in html


def test_meetings_filter_by_centre_and_date_and_flag_past_pending_decisions(
    client, auditor, case_a, case_b, centre_a
):
    from registry.models import BoardMeeting

    client.force_login(auditor)
    url = reverse("registry:meeting-list")
    listed = client.get(url, {"centre": centre_a.pk}).context["object_list"]
    assert {m.centre.code for m in listed} == {"CA"}
    assert list(client.get(url, {"held_from": "21/02/2019"}).context["object_list"]) == []
    pending = BoardMeeting.objects.create(centre=centre_a, held_on=date(2020, 1, 8))
    case_a.patient.casediscussion_set.create(meeting=pending, question="Surgery?")
    html = client.get(url).content.decode()
    assert html.count("past meeting: decision pending") == 1


def test_decision_sheet_has_the_clinical_summary(dm_client, case_a):
    discussion = case_a.records["discussions"]
    html = dm_client.get(reverse("registry:decision-sheet", args=[discussion.pk])).content.decode()
    assert "Clinical summary" in html
    assert "Partial response (PR) on 15/06/2018 (line 1)" in html
    assert "HR+/HER2-" in html
