"""Every write to the registry goes through here.

Forms, admin, API and importers call these functions, so each write runs the model's
rules (`full_clean`), is attributed to a user with an optional reason, writes its
audit row in the same transaction, and refreshes the patient's derived summary.
"""

import re
import secrets
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from . import access, derived
from .case_locks import lock_cases
from .finding_selectors import facts_from_records
from .finding_services import findings_refresh
from .models import (
    KIND_BY_SLUG,
    ApiToken,
    BoardAttendance,
    BoardMeeting,
    CaseStatus,
    Centre,
    Patient,
)
from .selectors import in_query_order, patient_bounds, patient_data_of

REGISTRY_ID_PREFIX = "MBC-"
REGISTRY_ID_DIGITS = 6
REGISTRY_ID_LOCK = 7_640_001  # any constant shared by every process of the registry


class EditConflict(Exception):
    """Someone saved the record after the editor loaded it (optimistic locking)."""

    def __init__(self, current: Model):
        super().__init__(f"{current} was changed by someone else in the meantime.")
        self.current = current


def _claim_version(
    instance: Model, expected_version: int | None, fields: Iterable[str] | None = None
) -> list[str] | None:
    """Lock the stored row, refuse a stale edit, and give the save the next version.

    Call inside the write's transaction: the row lock makes two concurrent saves of one
    record take turns, so the second sees the first's version and is refused. The
    instance keeps the stored value of every field the write was not given (`fields`,
    None for all editable ones), so an edit never writes back a value it merely read,
    such as an archive date set a second earlier. Returns the columns to save (None
    for a new row).
    """
    if instance.pk is None:
        return None
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if expected_version is not None and current.version != expected_version:
        raise EditConflict(current)
    given = _given_fields(instance, fields)
    for field in instance._meta.concrete_fields:
        if field.name not in given and not field.primary_key:
            setattr(instance, field.attname, getattr(current, field.attname))
    instance.version = current.version + 1
    return [*given, "version", *(["updated_at"] if hasattr(instance, "updated_at") else [])]


def _given_fields(instance: Model, fields: Iterable[str] | None) -> list[str]:
    editable = [f.name for f in instance._meta.concrete_fields if f.editable and not f.primary_key]
    if fields is None:
        return editable
    return [name for name in editable if name in set(fields)]


def _attribute(instance: Model, user, reason: str) -> None:
    """What simple_history stores with the audit row."""
    instance._history_user = user
    instance._change_reason = reason


def _save(instance: Model, update_fields: list[str] | None = None) -> None:
    """Save after `full_clean`; a clash with a row another writer committed in between
    becomes the same field error `full_clean` would have given, not a server error."""
    try:
        with transaction.atomic():  # a savepoint: the write's transaction stays usable
            instance.save(update_fields=update_fields)
    except IntegrityError:
        instance.full_clean()  # sees the other writer's row now, and names the field
        raise ValidationError(
            "Someone else saved a conflicting record at the same moment; reload and try again."
        ) from None


def _require_editable_patient(user, patient_id: int) -> None:
    if not access.patients(user, for_edit=True).filter(pk=patient_id).exists():
        raise PermissionDenied("You cannot change this patient's records.")


def prepare_case_changes(patient_ids: Iterable[int]) -> dict[int, str]:
    """Before a write changes these patients' cases: their rows locked (`lock_cases`), the
    message for each case locked for analysis (the write must refuse it), and otherwise
    every reviewed case's review marked outdated. Call inside the write's transaction (two
    queries; one more when a reviewed case changes). The bulk importer calls it for all
    the cases of a file at once."""
    patient_ids = list(patient_ids)
    if not patient_ids:
        return {}
    # Its own statement, after the row locks: on PostgreSQL it then reads a lock committed
    # while this write waited for them.
    lock_cases(patient_ids)
    statuses = list(
        CaseStatus.objects.filter(patient_id__in=patient_ids)
        .filter(Q(locked_at__isnull=False) | CaseStatus.reviewed())
        .select_related("patient", "locked_by")
    )
    locked = {
        status.patient_id: status.lock_message(status.patient.registry_id)
        for status in statuses
        if status.is_locked
    }
    if statuses and not locked:
        CaseStatus.objects.filter(pk__in=[s.pk for s in statuses]).update(
            review_outdated_at=timezone.now()
        )
    return locked


def _refuse_locked(patient_ids: Iterable[int]) -> None:
    """A case locked for analysis refuses every change (the first lock's message)."""
    locked = prepare_case_changes(patient_ids)
    if locked:
        raise ValidationError({NON_FIELD_ERRORS: next(iter(locked.values()))})


def next_registry_id() -> str:
    taken = (
        Patient.objects.filter(
            registry_id__regex=rf"^{REGISTRY_ID_PREFIX}[0-9]{{{REGISTRY_ID_DIGITS}}}$"
        )
        .order_by("-registry_id")
        .values_list("registry_id", flat=True)
        .first()
    )
    number = int(re.sub(r"\D", "", taken)) + 1 if taken else 1
    return f"{REGISTRY_ID_PREFIX}{number:0{REGISTRY_ID_DIGITS}d}"


def patient_save(
    *,
    user,
    patient: Patient,
    reason: str = "",
    expected_version: int | None = None,
    fields: Iterable[str] | None = None,
) -> Patient:
    """Create or update a patient; a new one without a registry ID gets the next free one.

    `fields` names what the edit changes (a form's or request's fields); the others keep
    their stored values. The centre and the archive state have services of their own.
    """
    if patient.pk:
        _require_editable_patient(user, patient.pk)
    elif not access.editable_centres(user).filter(pk=patient.centre_id).exists():
        raise PermissionDenied("You cannot add patients to this centre.")
    with transaction.atomic():
        if patient.pk:
            _refuse_locked([patient.pk])
        if not patient.registry_id:
            _lock_registry_ids()
            patient.registry_id = next_registry_id()
        if patient.pk:
            given = (patient.centre_id, patient.registry_id)
            fields = [f for f in _given_fields(patient, fields) if f not in MOVED_ONLY]
        update_fields = _claim_version(patient, expected_version, fields)
        if patient.pk:
            _refuse_moves(given, stored=patient)
            patient.patient_bounds = patient_bounds([patient.pk])[patient.pk]
        patient.full_clean()
        _attribute(patient, user, reason)
        _save(patient, update_fields)
        patient_summary_refresh(patient)
    return patient


# Changed only by an administrator's move (or never): an edit that differs is refused.
MOVED_ONLY = ("centre", "registry_id")


def _refuse_moves(given: tuple, *, stored: Patient) -> None:
    """After `_claim_version` the patient holds the stored values of what an edit may not
    change; the edit's own (centre, registry ID) must equal them."""
    centre_id, registry_id = given
    if centre_id != stored.centre_id:
        raise ValidationError({"centre": "Only an administrator's move changes the centre."})
    if registry_id != stored.registry_id:
        raise ValidationError({"registry_id": "A registry ID never changes."})


def _lock_registry_ids() -> None:
    """Serialise ID assignment until this transaction ends, so two creators never pick the
    same next ID (PostgreSQL advisory lock; SQLite already runs one writer at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REGISTRY_ID_LOCK])


def record_save(
    *,
    user,
    record: Model,
    reason: str = "",
    refresh_summary: bool = True,
    expected_version: int | None = None,
    fields: Iterable[str] | None = None,
) -> Model:
    """Create or update a clinical record or case discussion of an editable patient.

    A writer of many records of one patient (an import, the demo) may pass
    refresh_summary=False and call `patient_summary_refresh` once, in the same transaction.
    `fields` names what the edit changes; the others keep their stored values.
    """
    given_patient = record.patient_id
    _require_editable_patient(user, given_patient)
    with transaction.atomic():
        _refuse_locked([record.patient_id])
        if record.pk is not None:  # a record stays with its patient: the stored one is kept
            fields = [f for f in _given_fields(record, fields) if f != "patient"]
        update_fields = _claim_version(record, expected_version, fields)
        if record.patient_id != given_patient:
            # Checked above was the patient the edit named, not the record's own (which
            # may be locked): nothing of another patient's record changes here.
            raise ValidationError({"patient": "A record stays with its patient."})
        record.patient_bounds = patient_bounds([record.patient_id])[record.patient_id]
        record.full_clean()
        _attribute(record, user, reason)
        _save(record, update_fields)
        if refresh_summary:
            patient_summary_refresh(record.patient)
    return record


def record_delete(*, user, record: Model, reason: str = "") -> None:
    """Delete a record; its audit trail keeps every value it had."""
    _require_editable_patient(user, record.patient_id)
    patient = record.patient
    with transaction.atomic():
        _refuse_locked([patient.pk])
        _attribute(record, user, reason)
        record.delete()
        patient_summary_refresh(patient)


def patient_archive(
    *, user, patient: Patient, reason: str, expected_version: int | None = None
) -> Patient:
    """Take a patient out of lists and reports; nothing is deleted."""
    _require_editable_patient(user, patient.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the patient is archived."})
    with transaction.atomic():
        _refuse_locked([patient.pk])
        update_fields = _claim_version(patient, expected_version, fields=())
        if patient.archived_at is not None:
            raise ValidationError(
                f"{patient.registry_id} has been archived since "
                f"{timezone.localtime(patient.archived_at):%d/%m/%Y %H:%M}."
            )
        patient.archived_at = timezone.now()
        patient.archive_reason = reason
        _attribute(patient, user, reason)
        patient.save(update_fields=[*update_fields, "archived_at", "archive_reason"])
    return patient


def patient_restore(
    *, user, patient: Patient, reason: str, expected_version: int | None = None
) -> Patient:
    _require_editable_patient(user, patient.pk)
    with transaction.atomic():
        _refuse_locked([patient.pk])
        update_fields = _claim_version(patient, expected_version, fields=())
        if patient.archived_at is None:
            raise ValidationError(f"{patient.registry_id} is not archived.")
        patient.archived_at = None
        patient.archive_reason = ""
        _attribute(patient, user, reason or "Restored from the archive")
        patient.save(update_fields=[*update_fields, "archived_at", "archive_reason"])
    return patient


def patient_move_centre(
    *,
    user,
    patient: Patient,
    centre: Centre,
    reason: str,
    record_number: str = "",
    expected_version: int | None = None,
) -> Patient:
    """The patient changed hospital: same registry ID and history, new centre."""
    if not user.is_superuser:
        raise PermissionDenied("Only an administrator can move a patient to another centre.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the patient moves to another centre."})
    with transaction.atomic():
        _refuse_locked([patient.pk])
        moved = ["centre", *(["record_number"] if record_number else [])]
        update_fields = _claim_version(patient, expected_version, fields=())
        if centre.pk == patient.centre_id:
            raise ValidationError({"centre": "The patient is already followed by this centre."})
        patient.centre = centre
        if record_number:
            patient.record_number = record_number
        patient.full_clean()
        _attribute(patient, user, reason)
        _save(patient, [*update_fields, *moved])
    return patient


def board_meeting_save(
    *,
    user,
    meeting: BoardMeeting,
    specialties: list[str],
    reason: str = "",
    expected_version: int | None = None,
    fields: Iterable[str] | None = None,
) -> BoardMeeting:
    """Save a meeting and exactly the given attending specialties."""
    if not access.editable_centres(user).filter(pk=meeting.centre_id).exists():
        raise PermissionDenied("You cannot organise this centre's board.")
    with transaction.atomic():
        update_fields = _claim_version(meeting, expected_version, fields)
        meeting.full_clean()
        _attribute(meeting, user, reason)
        _save(meeting, update_fields)
        present = {a.specialty: a for a in meeting.attendance.all()}
        for code in set(present) - set(specialties):
            _attribute(present[code], user, reason)
            present[code].delete()
        for code in sorted(set(specialties) - set(present)):
            attendance = BoardAttendance(meeting=meeting, specialty=code)
            _attribute(attendance, user, reason)
            attendance.save()
    return meeting


def patient_summary_refresh(
    *patients: Patient, records: dict[int, dict[str, list]] | None = None
) -> None:
    """Recompute the derived rows of these patients (same transaction as the write, which
    holds their rows since `prepare_case_changes`; a new patient's row is the write's own).

    Set-wise, a few queries for any number of patients (`registry.derived.refresh`).
    `records`: every record of each patient by kind (slug), as the caller has just
    written them (an import holds them all): the derivations and the rules read them
    instead of reading back what was just written.
    """
    ids = [p.pk for p in patients]
    data = facts = None
    if records is not None:
        data, facts = {}, {}
        for patient in in_query_order(Patient, patients):  # as read: derived rows' ids
            ordered = {
                slug: in_query_order(KIND_BY_SLUG[slug].model, kind_records)
                for slug, kind_records in records[patient.pk].items()
            }
            data[patient.pk] = patient_data_of(patient, ordered)
            facts[patient.pk] = facts_from_records(patient, ordered)
    derived.refresh(ids, data)
    findings_refresh(ids, facts=facts)  # and the patient list's warning count


def patient_summaries_refresh_all(batch_size: int = derived.BATCH_SIZE) -> int:
    """Rebuild every derived row (after a bulk load or a change of a derivation rule)."""
    return derived.rebuild(batch_size)


def api_token_issue(*, user, for_user, purpose: str) -> tuple[ApiToken, str]:
    """An administrator issues a token; the key is returned once and stored as a digest."""
    if not user.is_superuser:
        raise PermissionDenied("Only an administrator can issue API tokens.")
    if not purpose.strip():
        raise ValidationError({"purpose": "Say what the token is for."})
    key = secrets.token_hex(20)
    token = ApiToken(
        user=for_user,
        key_digest=ApiToken.digest(key),
        key_prefix=key[:8],
        purpose=purpose,
        issued_by=user,
    )
    with transaction.atomic():
        token.full_clean()
        _attribute(token, user, f"Issued to {for_user}: {purpose}")
        token.save()
    return token, key


def api_token_revoke(*, user, token: ApiToken, reason: str = "") -> ApiToken:
    if not user.is_superuser:
        raise PermissionDenied("Only an administrator can revoke API tokens.")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = user
            _attribute(token, user, reason or "Revoked")
            token.save(update_fields=["revoked_at", "revoked_by"])
    return token
