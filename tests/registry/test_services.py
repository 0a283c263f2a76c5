"""Writes: validation, attribution, the audit row in the same transaction, and access."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from registry import services
from registry.models import Patient, TreatmentLine
from tests.factories import PatientFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db


def new_line(patient, **kwargs):
    values = {
        "patient": patient,
        "number": 1,
        "regimen": "chemotherapy",
        "agents": "paclitaxel",
        "start_date": date(2018, 4, 1),
    }
    return TreatmentLine(**{**values, **kwargs})


@pytest.fixture
def patient(centre_a):
    return PatientFactory(centre=centre_a)


def test_a_saved_record_has_an_audit_row_with_user_and_reason(data_manager, patient):
    record = services.record_save(user=data_manager, record=new_line(patient), reason="from chart")
    row = record.history.get()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        data_manager,
        "from chart",
    )


def test_an_invalid_record_writes_neither_record_nor_audit_row(data_manager, patient):
    with pytest.raises(ValidationError):
        services.record_save(
            user=data_manager,
            record=new_line(patient, end_date=date(2018, 1, 1), end_reason="progression"),
        )
    assert not TreatmentLine.objects.exists()
    assert not TreatmentLine.history.exists()


def test_record_and_audit_row_roll_back_together(data_manager, patient):
    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        services.record_save(user=data_manager, record=new_line(patient))
        assert TreatmentLine.history.count() == 1  # written inside the transaction
        raise Crash
    assert not TreatmentLine.objects.exists()
    assert not TreatmentLine.history.exists()


def test_new_patients_get_consecutive_registry_ids(data_manager, centre_a):
    first = services.patient_save(
        user=data_manager, patient=PatientFactory.build(centre=centre_a, registry_id="")
    )
    second = services.patient_save(
        user=data_manager, patient=PatientFactory.build(centre=centre_a, registry_id="")
    )
    assert (first.registry_id, second.registry_id) == ("MBC-000001", "MBC-000002")


def test_data_manager_cannot_write_to_another_centre(data_manager, centre_b):
    foreign = PatientFactory(centre=centre_b)
    with pytest.raises(PermissionDenied):
        services.record_save(user=data_manager, record=new_line(foreign))
    with pytest.raises(PermissionDenied):
        services.patient_save(
            user=data_manager, patient=PatientFactory.build(centre=centre_b, registry_id="")
        )
    assert not TreatmentLine.objects.exists()


@pytest.mark.parametrize("role", ["auditor", "analyst"])
def test_auditors_and_analysts_cannot_write(request, role, patient):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        services.record_save(user=user, record=new_line(patient))


def test_deleting_keeps_every_value_in_the_trail(data_manager, patient):
    record = TreatmentLineFactory(patient=patient, agents="docetaxel")
    services.record_delete(user=data_manager, record=record, reason="duplicate")
    row = TreatmentLine.history.get(history_type="-")
    assert (row.agents, row.history_user, row.history_change_reason) == (
        "docetaxel",
        data_manager,
        "duplicate",
    )


def test_archiving_needs_a_reason_and_deletes_nothing(data_manager, patient):
    with pytest.raises(ValidationError):
        services.patient_archive(user=data_manager, patient=patient, reason=" ")
    services.patient_archive(user=data_manager, patient=patient, reason="entered twice")
    assert Patient.objects.get(pk=patient.pk).is_archived
    assert Patient.objects.active().count() == 0


def test_only_an_administrator_moves_a_patient(data_manager, admin_user, patient, centre_b):
    with pytest.raises(PermissionDenied):
        services.patient_move_centre(
            user=data_manager, patient=patient, centre=centre_b, reason="moved"
        )
    services.patient_move_centre(
        user=admin_user,
        patient=patient,
        centre=centre_b,
        reason="changed hospital",
        record_number="NEW-1",
    )
    moved = Patient.objects.get(pk=patient.pk)
    assert (moved.centre, moved.record_number) == (centre_b, "NEW-1")
    assert moved.history.first().history_change_reason == "changed hospital"


def test_meeting_attendance_is_synchronised(data_manager, centre_a):
    from registry.models import BoardMeeting

    meeting = services.board_meeting_save(
        user=data_manager,
        meeting=BoardMeeting(centre=centre_a, held_on=date(2024, 1, 8)),
        specialties=["radiology", "pathology"],
    )
    services.board_meeting_save(
        user=data_manager, meeting=meeting, specialties=["pathology", "breast_surgery"]
    )
    assert sorted(meeting.attendance.values_list("specialty", flat=True)) == [
        "breast_surgery",
        "pathology",
    ]


def test_summary_follows_each_write(data_manager, patient):
    from registry.models import ReceptorAssessment, ResponseAssessment

    services.record_save(
        user=data_manager,
        record=ReceptorAssessment(
            patient=patient,
            assessed_on=date(2018, 3, 1),
            specimen="primary",
            er_percent=0,
            pr_percent=0,
            her2_ihc="3+",
        ),
    )
    line = services.record_save(user=data_manager, record=new_line(patient))
    services.record_save(
        user=data_manager,
        record=ResponseAssessment(
            patient=patient, line=line, assessed_on=date(2018, 7, 1), category="CR"
        ),
    )
    patient.summary.refresh_from_db()
    assert (patient.summary.subtype, patient.summary.cr_episode_count) == ("HR-/HER2+", 1)
