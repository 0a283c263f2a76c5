"""Reading the audit trail: who changed what, when, from which value to which, and why.

The rows are written by django-simple-history in the same transaction as each change
(see services). Here they are turned into entries with per-field differences, one
query per history table.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from .models import (
    PATIENT_RECORD_MODELS,
    ApiToken,
    BoardAttendance,
    BoardMeeting,
    Centre,
    CentreMembership,
    Patient,
    RegistryWideGrant,
)
from .models.accounts import role_history

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
NOT_COMPARED = {"created_at", "updated_at", "version", "date_joined"}
User = get_user_model()


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    user: str
    action: str
    record_label: str
    object_id: int
    object_repr: str
    reason: str
    changes: tuple[FieldChange, ...]
    via: str = ""


def _display(field, value) -> str:
    if value is None or value == "":
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.get_internal_type() == "BooleanField":
        return "yes" if value else "no"
    return str(value)


def _label(model: type[Model], row) -> str:
    """A name for the record from the history row alone (no query per row)."""
    if model is Patient:
        return row.registry_id
    if model is User:
        return row.username
    if model is ApiToken:
        return f"{row.key_prefix}…"
    return f"{model._meta.verbose_name} #{row.id}"


def _roles_by_history_row(rows) -> dict[int, str]:
    """An account's roles (groups) as each history row recorded them, in one query."""
    snapshots = role_history().objects.filter(history_id__in=[row.history_id for row in rows])
    roles = defaultdict(list)
    for history_id, name in snapshots.values_list("history_id", "group__name").order_by(
        "group__name"
    ):
        roles[history_id].append(name)
    return {row.history_id: ", ".join(roles[row.history_id]) or "–" for row in rows}


def _compared_fields(model: type[Model]):
    tracked = {f.name for f in model.history.model.tracked_fields}  # no password hashes
    return [
        f
        for f in model._meta.concrete_fields
        if f.name in tracked and f.name not in NOT_COMPARED and not f.primary_key
    ]


def _capitalised(label: str) -> str:
    """'API token' stays so; str.capitalize() would write 'Api token'."""
    return label[:1].upper() + label[1:]


def _via(row) -> str:
    """The API token a change was made with: whoever issued it could have made it."""
    token = getattr(row, "history_api_token", None)
    if token is None:
        return ""
    issuer = token.issued_by.get_username() if token.issued_by else "unrecorded"
    return f"API token {token.key_prefix}… issued by {issuer}"


def entries_for(history: QuerySet, model: type[Model]) -> list[AuditEntry]:
    """Audit entries of the given history rows, each diffed against the version before it."""
    related = ["history_user"]
    if hasattr(history.model, "history_api_token"):
        related.append("history_api_token__issued_by")
    rows = list(history.select_related(*related).order_by("id", "history_date", "history_id"))
    fields = _compared_fields(model)
    roles = _roles_by_history_row(rows) if model is User else {}
    previous_of_object: dict[int, object] = {}
    entries = []
    for row in rows:
        before = previous_of_object.get(row.id)
        changes = []
        if row.history_type != "-":
            for field in fields:
                new = getattr(row, field.attname)
                old = getattr(before, field.attname) if before is not None else None
                if before is None and new in (None, ""):
                    continue
                if before is None or old != new:
                    changes.append(
                        FieldChange(
                            str(field.verbose_name), _display(field, old), _display(field, new)
                        )
                    )
            if roles:
                old_roles = roles[before.history_id] if before is not None else "–"
                if roles[row.history_id] != old_roles:
                    changes.append(FieldChange("roles", old_roles, roles[row.history_id]))
        entries.append(
            AuditEntry(
                at=row.history_date,
                user=row.history_user.get_username() if row.history_user else "system",
                action=ACTIONS[row.history_type],
                record_label=_capitalised(str(model._meta.verbose_name)),
                object_id=row.id,
                object_repr=_label(model, row),
                reason=row.history_change_reason or "",
                changes=tuple(changes),
                via=_via(row),
            )
        )
        previous_of_object[row.id] = row
    return entries


def _newest_first(entries: list[AuditEntry]) -> list[AuditEntry]:
    return sorted(entries, key=lambda e: e.at, reverse=True)


def patient_trail(patient: Patient) -> list[AuditEntry]:
    """Every change to the patient and to any of its records, newest first."""
    entries = entries_for(Patient.history.filter(id=patient.pk), Patient)
    for model in PATIENT_RECORD_MODELS:
        entries += entries_for(model.history.filter(patient_id=patient.pk), model)
    return _newest_first(entries)


def record_trail(model: type[Model], record_id: int, patient: Patient) -> list[AuditEntry]:
    return _newest_first(
        entries_for(model.history.filter(id=record_id, patient_id=patient.pk), model)
    )


def recent_changes(
    patients: QuerySet, meetings: QuerySet, *, limit: int = 100, username: str = ""
) -> list[AuditEntry]:
    """The latest changes across the registry that these querysets let the user see.

    Centres, memberships, grants, accounts (roles) and API tokens are included: they decide
    who sees and changes what.
    """
    patient_ids = patients.values("pk")
    sources: list[tuple[type[Model], QuerySet]] = [
        (Patient, Patient.history.filter(id__in=patient_ids)),
        (BoardMeeting, BoardMeeting.history.filter(id__in=meetings.values("pk"))),
        (BoardAttendance, BoardAttendance.history.filter(meeting_id__in=meetings.values("pk"))),
        (Centre, Centre.history.all()),
        (CentreMembership, CentreMembership.history.all()),
        (RegistryWideGrant, RegistryWideGrant.history.all()),
        (User, User.history.all()),
        (ApiToken, ApiToken.history.all()),
    ]
    sources += [
        (model, model.history.filter(patient_id__in=patient_ids)) for model in PATIENT_RECORD_MODELS
    ]
    entries = []
    for model, history in sources:
        if username:
            history = history.filter(history_user__username=username)
        latest_ids = list(history.order_by("-history_date").values_list("id", flat=True)[:limit])
        # Whole histories of those objects, so each change can be diffed with its predecessor.
        objects = defaultdict(list)
        for entry in entries_for(model.history.filter(id__in=latest_ids), model):
            objects[entry.object_id].append(entry)
        entries += [
            e for group in objects.values() for e in group if not username or e.user == username
        ]
    return _newest_first(entries)[:limit]
