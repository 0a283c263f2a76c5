"""Archiving, restoring and editing one patient: each write changes only what it was asked.

The archive state is owned by archive/restore, the centre by an administrator's move;
an edit based on an older read must neither undo nor repeat them.
"""

import contextlib
import itertools
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from registry import services
from registry.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOT_COMPARED = {"version", "updated_at", "history_id", "history_date", "history_change_reason"}


@pytest.fixture
def patient(centre_a):
    return PatientFactory(centre=centre_a, given_name="Ada", family_name="Rossi")


def test_an_edit_read_before_an_archive_does_not_restore_the_patient(data_manager, patient):
    stale = Patient.objects.get(pk=patient.pk)
    services.patient_archive(user=data_manager, patient=patient, reason="entered twice")

    stale.given_name = "Adele"
    services.patient_save(user=data_manager, patient=stale, fields=["given_name"])

    stored = Patient.objects.get(pk=patient.pk)
    assert stored.is_archived and stored.archive_reason == "entered twice"
    assert stored.given_name == "Adele"
    assert stored.version == 3


def test_an_edit_never_writes_a_field_it_was_not_given(data_manager, patient):
    stale = Patient.objects.get(pk=patient.pk)
    patient.family_name = "Russo"
    services.patient_save(user=data_manager, patient=patient, fields=["family_name"])

    stale.given_name = "Adele"
    services.patient_save(user=data_manager, patient=stale, fields=["given_name"])

    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.given_name, stored.family_name) == ("Adele", "Russo")


def test_archiving_an_archived_patient_is_refused_and_keeps_the_first_date(data_manager, patient):
    services.patient_archive(user=data_manager, patient=patient, reason="entered twice")
    first = Patient.objects.get(pk=patient.pk).archived_at

    with pytest.raises(ValidationError, match="has been archived since"):
        services.patient_archive(user=data_manager, patient=patient, reason="again")

    assert Patient.objects.get(pk=patient.pk).archived_at == first
    assert Patient.history.filter(id=patient.pk).count() == 2


def test_restoring_a_patient_who_is_not_archived_is_refused(data_manager, patient):
    with pytest.raises(ValidationError, match="is not archived"):
        services.patient_restore(user=data_manager, patient=patient, reason="")


def test_an_edit_that_would_change_the_centre_is_refused(data_manager, patient, centre_b):
    patient.centre = centre_b
    with pytest.raises(ValidationError) as refused:
        services.patient_save(user=data_manager, patient=patient, fields=["centre"])
    assert "centre" in refused.value.message_dict


def test_archive_and_restore_through_the_api_with_version_checks(data_manager, patient):
    client = APIClient()
    client.force_authenticate(data_manager)
    detail = reverse("api:patient-detail", args=[patient.registry_id])
    archive = reverse("api:patient-archive", args=[patient.registry_id])
    restore = reverse("api:patient-restore", args=[patient.registry_id])

    archived = client.post(archive, {"reason": "entered twice"}, format="json", HTTP_IF_MATCH="1")
    twice = client.post(archive, {"reason": "again"}, format="json")
    stale_edit = client.patch(detail, {"given_name": "Adele"}, format="json", HTTP_IF_MATCH="1")
    read = client.get(detail)
    listed = client.get(reverse("api:patient-list"), {"archived": "true"})
    restored = client.post(restore, {"reason": "not a duplicate"}, format="json")

    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert twice.status_code == 400 and "archived since" in str(twice.json())
    assert stale_edit.status_code == 409
    assert read.status_code == 200 and read.json()["archived_at"]
    assert [p["registry_id"] for p in listed.json()["results"]] == [patient.registry_id]
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    assert restored.json()["version"] == 3


def _changed_fields(before, after) -> set[str]:
    fields = [f.attname for f in Patient._meta.concrete_fields]
    return {f for f in fields if f not in NOT_COMPARED and getattr(before, f) != getattr(after, f)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL's row locks (PostgreSQL leg)",
)
def test_concurrent_archives_restores_and_edits_change_only_their_own_fields(data_manager, patient):
    """Archive/restore, API PATCHes (each with the If-Match of a fresh read) and form edits
    of one patient, at once; then every audit row is compared with the one before it."""
    rounds = 8
    statuses = {"api": [], "form": []}
    start = threading.Barrier(3)

    def archiver():
        start.wait()
        for _ in range(rounds):
            for action, reason in (
                (services.patient_archive, "race: archive"),
                (services.patient_restore, "race: restore"),
            ):
                with contextlib.suppress(ValidationError):  # refused if already so: right
                    action(
                        user=data_manager, patient=Patient.objects.get(pk=patient.pk), reason=reason
                    )
        connection.close()

    def api_editor():
        client = APIClient()
        client.force_authenticate(data_manager)
        url = reverse("api:patient-detail", args=[patient.registry_id])
        start.wait()
        for i in range(rounds * 2):
            version = client.get(url).json()["version"]
            response = client.patch(
                url,
                {"given_name": f"Ada{i}"},
                format="json",
                HTTP_IF_MATCH=str(version),
                HTTP_X_CHANGE_REASON="race: api",
            )
            statuses["api"].append(response.status_code)
        connection.close()

    def form_editor():
        from django.test import Client

        client = Client()
        client.force_login(data_manager)
        url = reverse("registry:patient-update", args=[patient.registry_id])
        start.wait()
        for i in range(rounds):
            current = Patient.objects.get(pk=patient.pk)
            response = client.post(
                url,
                {
                    "record_number": current.record_number,
                    "family_name": f"Rossi{i}",
                    "given_name": current.given_name,
                    "sex": current.sex,
                    "birth_date": current.birth_date.isoformat(),
                    "primary_diagnosis_date": current.primary_diagnosis_date.isoformat(),
                    "mbc_diagnosis_date": current.mbc_diagnosis_date.isoformat(),
                    "presentation": current.presentation,
                    "histology": current.histology,
                    "reason": "race: form",
                    "version": current.version,
                },
            )
            statuses["form"].append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=t) for t in (archiver, api_editor, form_editor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses["api"]) <= {200, 409}, statuses
    assert set(statuses["form"]) <= {200, 302}, statuses  # 200: conflict shown, not saved
    allowed = {
        "race: archive": {"archived_at", "archive_reason"},
        "race: restore": {"archived_at", "archive_reason"},
        "race: api": {"given_name"},
        "race: form": {"family_name"},
    }
    rows = list(Patient.history.filter(id=patient.pk).order_by("history_date", "history_id"))
    assert len(rows) > rounds * 2
    for before, after in itertools.pairwise(rows):
        changed = _changed_fields(before, after)
        assert changed <= allowed[after.history_change_reason], (
            after.history_change_reason,
            changed,
        )
        assert after.version == before.version + 1
