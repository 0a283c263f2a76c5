"""Entering a series quickly: save and add another, autofocus, a searchable patient
picker, name search, sortable columns and a page size."""

from datetime import date

import pytest
from django.urls import reverse

from registry.models import BoardMeeting, CaseDiscussion, ResponseAssessment
from tests.factories import PatientFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(centre_a):
    return TreatmentLineFactory(patient=PatientFactory(centre=centre_a, registry_id="MBC-000050"))


def new_response_url(patient):
    return reverse("registry:record-create", args=[patient.registry_id, "responses"])


def test_save_and_add_another_opens_the_next_form_with_line_and_method_kept(dm_client, line):
    url = new_response_url(line.patient)
    saved = dm_client.post(
        url,
        {
            "line": line.pk,
            "assessed_on": "15/06/2018",
            "category": "PR",
            "method": "ct",
            "add_another": "1",
        },
    )

    assert saved.status_code == 302
    assert saved.url == f"{url}?line={line.pk}&method=ct"
    next_form = dm_client.get(saved.url)
    form = next_form.context["form"]
    assert (str(form["line"].value()), form["method"].value()) == (str(line.pk), "ct")
    assert form["assessed_on"].value() is None
    assert "Response assessment saved." in next_form.content.decode()
    assert ResponseAssessment.objects.get().assessed_on == date(2018, 6, 15)


def test_plain_save_goes_back_to_the_case_section(dm_client, line):
    saved = dm_client.post(
        new_response_url(line.patient),
        {"line": line.pk, "assessed_on": "15/06/2018", "category": "PR", "method": "ct"},
    )
    assert saved.url.endswith(f"/patients/{line.patient.registry_id}/#responses")


def test_add_another_is_offered_for_series_only_and_not_when_editing(dm_client, line):
    patient = line.patient
    assert "Save and add another" in dm_client.get(new_response_url(patient)).content.decode()
    lines = reverse("registry:record-create", args=[patient.registry_id, "lines"])
    assert "Save and add another" not in dm_client.get(lines).content.decode()
    edit = reverse("registry:record-update", args=[patient.registry_id, "lines", line.pk])
    assert "Save and add another" not in dm_client.get(edit).content.decode()


def test_first_field_and_then_the_first_wrong_field_get_the_focus(dm_client, line):
    url = new_response_url(line.patient)
    form = dm_client.get(url).context["form"]
    assert form.fields["line"].widget.attrs.get("autofocus")

    refused = dm_client.post(url, {"line": line.pk, "assessed_on": "31/02/2018"})
    form = refused.context["form"]
    assert form.fields["assessed_on"].widget.attrs.get("autofocus")
    assert not form.fields["line"].widget.attrs.get("autofocus")


@pytest.fixture
def named_patients(centre_a):
    return [
        PatientFactory(
            centre=centre_a,
            registry_id="MBC-000001",
            family_name="Conti",
            given_name="Anna",
            mbc_diagnosis_date=date(2019, 1, 1),
        ),
        PatientFactory(
            centre=centre_a,
            registry_id="MBC-000002",
            family_name="Rossi",
            given_name="Anna",
            mbc_diagnosis_date=date(2018, 6, 1),
        ),
        PatientFactory(
            centre=centre_a,
            registry_id="MBC-000003",
            family_name="Contini",
            given_name="Maria",
            mbc_diagnosis_date=date(2020, 3, 1),
        ),
    ]


def listed(response) -> list[str]:
    return [p.registry_id for p in response.context["page_obj"]]


def test_data_managers_find_patients_by_name_words(dm_client, named_patients):
    url = reverse("registry:patient-list")
    assert listed(dm_client.get(url, {"q": "conti anna"})) == ["MBC-000001"]
    assert listed(dm_client.get(url, {"q": "Conti"})) == ["MBC-000001", "MBC-000003"]


def test_analysts_cannot_search_or_sort_by_name(client, analyst, named_patients):
    client.force_login(analyst)
    url = reverse("registry:patient-list")
    assert listed(client.get(url, {"q": "Conti"})) == []
    assert listed(client.get(url, {"sort": "-name"})) == ["MBC-000001", "MBC-000002", "MBC-000003"]


def test_columns_sort_both_ways_and_the_page_size_can_be_chosen(dm_client, named_patients):
    url = reverse("registry:patient-list")
    by_mbc = dm_client.get(url, {"sort": "mbc"})
    assert listed(by_mbc) == ["MBC-000002", "MBC-000001", "MBC-000003"]
    assert by_mbc.context["sort_links"]["mbc"]["url"].endswith("sort=-mbc")
    assert 'aria-sort="ascending"' in by_mbc.content.decode()
    assert listed(dm_client.get(url, {"sort": "-mbc"})) == [
        "MBC-000003",
        "MBC-000001",
        "MBC-000002",
    ]
    assert dm_client.get(url, {"per_page": "50"}).context["paginator"].per_page == 50
    assert dm_client.get(url, {"per_page": "7"}).context["paginator"].per_page == 25


def test_agenda_picker_suggests_patients_and_takes_the_picked_text(
    dm_client, named_patients, centre_a
):
    meeting = BoardMeeting.objects.create(centre=centre_a, held_on=date(2024, 5, 6))
    url = reverse("registry:agenda-add", args=[meeting.pk])
    page = dm_client.get(url).content.decode()
    assert 'list="id_patient_suggestions"' in page
    assert '<option value="MBC-000003 – Contini Maria">' in page

    added = dm_client.post(url, {"patient": "MBC-000003 – Contini Maria", "question": "Surgery?"})
    assert added.status_code == 302
    assert CaseDiscussion.objects.get().patient.registry_id == "MBC-000003"

    refused = dm_client.post(url, {"patient": "MBC-999999", "question": "?"})
    (error,) = refused.context["form"].errors["patient"]
    assert error.startswith("No patient of this meeting's centre has this registry ID")
