"""Data managers' forms end to end: what is saved, what is refused and where it says why."""

from datetime import date

import pytest
from django.urls import reverse

from registry.models import BoardMeeting, CaseDiscussion, Patient, TreatmentLine
from tests.factories import PatientFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db

PATIENT_FORM = {
    "record_number": "H-1001",
    "family_name": "Rossi",
    "given_name": "Maria",
    "sex": "F",
    "birth_date": "1961-04-02",
    "primary_diagnosis_date": "2015-06-10",
    "mbc_diagnosis_date": "2019-01-15",
    "presentation": "recurrent",
    "histology": "ductal",
}


@pytest.fixture
def patient(centre_a):
    return PatientFactory(centre=centre_a, registry_id="MBC-000050")


def record_url(patient, kind, action="new", pk=None):
    if pk is None:
        return reverse("registry:record-create", args=[patient.registry_id, kind])
    return reverse(f"registry:record-{action}", args=[patient.registry_id, kind, pk])


def test_new_patient_gets_the_next_registry_id_and_an_attributed_audit_row(
    dm_client, data_manager, centre_a
):
    response = dm_client.post(
        reverse("registry:patient-create"), {**PATIENT_FORM, "centre": centre_a.pk}
    )

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("registry:patient-detail", args=["MBC-000001"])
    assert patient.registry_id == "MBC-000001"
    assert patient.history.get().history_user == data_manager
    assert patient.summary.subtype == "unknown"


def test_patient_form_shows_the_rule_at_the_field_and_keeps_what_was_typed(dm_client, centre_a):
    data = {**PATIENT_FORM, "centre": centre_a.pk, "mbc_diagnosis_date": "2014-01-01"}

    response = dm_client.post(reverse("registry:patient-create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["mbc_diagnosis_date"] == [
        "Metastatic disease cannot be diagnosed before the primary diagnosis."
    ]
    assert 'value="Rossi"' in response.content.decode()
    assert not Patient.objects.exists()


def test_data_manager_cannot_create_a_patient_in_another_centre(dm_client, centre_b):
    response = dm_client.post(
        reverse("registry:patient-create"), {**PATIENT_FORM, "centre": centre_b.pk}
    )

    assert response.status_code == 200
    assert "centre" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_line_ending_before_it_starts_is_refused_at_the_end_date(dm_client, patient):
    data = {
        "number": 1,
        "regimen": "chemotherapy",
        "agents": "paclitaxel weekly",
        "start_date": "2018-05-01",
        "end_date": "2018-04-01",
        "end_reason": "progression",
    }

    response = dm_client.post(record_url(patient, "lines"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["end_date"] == ["A line cannot end before it starts."]
    assert "paclitaxel weekly" in response.content.decode()
    assert not TreatmentLine.objects.exists()


def test_duplicate_line_number_is_reported_at_the_number(dm_client, patient):
    TreatmentLineFactory(patient=patient, number=1)
    data = {
        "number": 1,
        "regimen": "chemotherapy",
        "agents": "capecitabine",
        "start_date": "2019-01-01",
    }

    response = dm_client.post(record_url(patient, "lines"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["number"] == ["The patient already has a line 1."]
    assert TreatmentLine.objects.count() == 1


def test_response_outside_its_line_is_refused_at_the_date(dm_client, patient):
    line = TreatmentLineFactory(
        patient=patient,
        start_date=date(2018, 3, 15),
        end_date=date(2018, 9, 1),
        end_reason="progression",
    )
    data = {"line": line.pk, "assessed_on": "2018-10-01", "category": "PR"}

    response = dm_client.post(record_url(patient, "responses"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["assessed_on"] == [
        "Line 1 was not running on this date (it ran 15/03/2018 – 01/09/2018)."
    ]


def test_edit_keeps_the_old_value_and_the_reason_in_the_audit_trail(
    dm_client, patient, auditor, client
):
    line = TreatmentLineFactory(patient=patient, agents="letrozole")
    data = {
        "number": 1,
        "regimen": "endocrine_cdk46",
        "agents": "letrozole + ribociclib",
        "start_date": "2018-03-15",
        "reason": "corrected from the prescription",
    }

    response = dm_client.post(record_url(patient, "lines", "update", line.pk), data)

    assert response.status_code == 302
    latest = line.history.first()
    assert latest.agents == "letrozole + ribociclib"
    assert latest.history_change_reason == "corrected from the prescription"
    client.force_login(auditor)
    page = client.get(
        reverse("registry:patient-audit", args=[patient.registry_id])
    ).content.decode()
    assert 'letrozole</span> → <span class="diff-new">letrozole + ribociclib' in page
    assert "corrected from the prescription" in page


def test_delete_needs_a_reason_and_keeps_the_values(dm_client, patient):
    line = TreatmentLineFactory(patient=patient)
    url = record_url(patient, "lines", "delete", line.pk)

    refused = dm_client.post(url, {"reason": ""})
    deleted = dm_client.post(url, {"reason": "entered on the wrong patient"})

    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert deleted.status_code == 302
    assert not TreatmentLine.objects.exists()
    row = TreatmentLine.history.get(history_type="-")
    assert (row.agents, row.history_change_reason) == (
        "letrozole + palbociclib",
        "entered on the wrong patient",
    )


def test_a_line_with_responses_cannot_be_deleted_before_them(dm_client, patient):
    from tests.factories import ResponseAssessmentFactory

    response = ResponseAssessmentFactory(patient=patient)

    page = dm_client.post(record_url(patient, "lines", "delete", response.line.pk), {"reason": "x"})

    assert page.status_code == 200
    assert "Other records depend on this one" in page.content.decode()
    assert TreatmentLine.objects.exists()


def test_archived_patient_leaves_the_list_but_is_kept(dm_client, patient):
    dm_client.post(
        reverse("registry:patient-archive", args=[patient.registry_id]),
        {"reason": "duplicate entry"},
    )

    default = dm_client.get(reverse("registry:patient-list"))
    archived = dm_client.get(reverse("registry:patient-list"), {"archived": "true"})

    patient.refresh_from_db()
    assert patient.is_archived and patient.archive_reason == "duplicate entry"
    assert default.context["paginator"].count == 0
    assert archived.context["paginator"].count == 1


def test_board_meeting_agenda_decision_and_printed_sheet(dm_client, patient, centre_a):
    created = dm_client.post(
        reverse("registry:meeting-create"),
        {
            "centre": centre_a.pk,
            "held_on": "2024-05-06",
            "chair": "Dr Neri",
            "specialties": ["medical_oncology", "breast_surgery"],
        },
    )
    meeting = BoardMeeting.objects.get()
    dm_client.post(
        reverse("registry:agenda-add", args=[meeting.pk]),
        {"patient": patient.registry_id, "question": "Surgery for breast oligoprogression?"},
    )
    discussion = CaseDiscussion.objects.get()
    dm_client.post(
        reverse("registry:decision-update", args=[discussion.pk]),
        {
            "recommendation": "Mastectomy, continue line",
            "recommendation_category": "surgery",
            "followed": "",
        },
    )

    sheet = dm_client.get(reverse("registry:decision-sheet", args=[discussion.pk])).content.decode()

    assert created.status_code == 302
    assert sorted(meeting.attendance.values_list("specialty", flat=True)) == [
        "breast_surgery",
        "medical_oncology",
    ]
    assert "MBC-000050" in sheet and "06/05/2024" in sheet
    assert "Breast surgery" in sheet and "Surgery for breast oligoprogression?" in sheet
    assert "Mastectomy, continue line" in sheet
    assert "Chaired by</dt><dd>Dr Neri" in sheet


def test_agenda_refuses_a_patient_of_another_centre(dm_client, centre_a, centre_b):
    meeting = BoardMeeting.objects.create(centre=centre_a, held_on=date(2024, 5, 6))
    foreign = PatientFactory(centre=centre_b)

    response = dm_client.post(
        reverse("registry:agenda-add", args=[meeting.pk]),
        {"patient": foreign.registry_id, "question": "?"},
    )

    assert response.status_code == 200
    assert "patient" in response.context["form"].errors
    assert not CaseDiscussion.objects.exists()


def test_not_followed_recommendation_needs_a_reason(dm_client, patient):
    from tests.factories import CaseDiscussionFactory

    discussion = CaseDiscussionFactory(patient=patient)
    data = {
        "recommendation": "Radiotherapy to T8",
        "recommendation_category": "radiotherapy",
        "followed": "false",
    }

    response = dm_client.post(reverse("registry:decision-update", args=[discussion.pk]), data)

    assert response.context["form"].errors["not_followed_reason"] == [
        "Say why the recommendation was not followed."
    ]


def test_patient_list_filters_by_board_status_and_subtype(dm_client, patient, centre_a):
    from registry.services import patient_summary_refresh
    from tests.factories import CaseDiscussionFactory, ReceptorAssessmentFactory

    other = PatientFactory(centre=centre_a)
    CaseDiscussionFactory(patient=patient)
    ReceptorAssessmentFactory(patient=other, er_percent=0, pr_percent=0, her2_ihc="3+")
    patient_summary_refresh(patient, other)
    url = reverse("registry:patient-list")

    awaiting = dm_client.get(url, {"board_status": "awaiting"}).context["page_obj"]
    her2 = dm_client.get(url, {"subtype": "HR-/HER2+"}).context["page_obj"]

    assert [p.pk for p in awaiting] == [patient.pk]
    assert [p.pk for p in her2] == [other.pk]


def test_case_timeline_writes_responses_as_clinicians_do(dm_client, case_a):
    response = case_a.records["responses"]
    type(response).objects.filter(pk=response.pk).update(category="non_CR_non_PD")

    page = dm_client.get(reverse("registry:patient-detail", args=[case_a.patient.registry_id]))

    assert "Response non-CR/non-PD (line 1)" in page.content.decode()
    assert "non_CR_non_PD" not in page.content.decode()


def test_patient_form_asks_for_histology_and_takes_not_recorded(dm_client, centre_a):
    url = reverse("registry:patient-create")
    silent = dm_client.post(url, {**PATIENT_FORM, "centre": centre_a.pk, "histology": ""})
    answered = dm_client.post(
        url, {**PATIENT_FORM, "centre": centre_a.pk, "histology": "not_recorded"}
    )

    assert silent.status_code == 200 and "histology" in silent.context["form"].errors
    assert answered.status_code == 302
    page = dm_client.get(answered.url).content.decode()
    assert Patient.objects.get().histology == "not_recorded"
    assert "Not recorded" in page


def test_radiotherapy_without_dose_is_saved_and_shown_as_not_recorded(dm_client, patient):
    form = dm_client.get(record_url(patient, "radiotherapy")).content.decode()
    response = dm_client.post(
        record_url(patient, "radiotherapy"),
        {
            "started_on": "2019-02-01",
            "site": "distant_nodes",
            "intent": "curative",
            "total_dose_gy": "",
            "fractions": "",
        },
    )

    assert 'value="adjuvant"' in form and 'value="pleura"' in form
    assert response.status_code == 302
    page = dm_client.get(reverse("registry:patient-detail", args=[patient.registry_id]))
    text = page.content.decode()
    assert "Radiotherapy: Distant lymph nodes" in text
    assert "dose and fractions not recorded, curative" in text
    assert text.count("not recorded") >= 3  # the timeline and both table cells
