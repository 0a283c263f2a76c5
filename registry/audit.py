"""Reading the audit trail: who changed what, when, from which value to which, and why.

The rows are written by django-simple-history in the same transaction as each change
(see services). Here they are turned into entries with per-field differences, one
query per history table.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import ForeignKey, Model, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from .models import (
    PATIENT_RECORD_MODELS,
    ApiToken,
    BoardAttendance,
    BoardMeeting,
    CaseDiscussion,
    CaseStatus,
    Centre,
    CentreMembership,
    DataQuery,
    Finding,
    Patient,
    RegistryWideGrant,
    TreatmentLine,
)
from .models.accounts import role_history

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# The data-quality workflow's rows of a patient: its queries, its review and lock, the
# rules' findings.
QUALITY_MODELS = (DataQuery, CaseStatus, Finding)
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
    registry_id: str = ""  # the patient the record belongs to, if any
    history_id: int = 0
    via: str = ""  # the API token a change was made with, if any


class Names:
    """Readable names of the records an audit row points to (a patient's registry ID, a
    line's number, a meeting's centre and date), one query per kind of record.

    Names come from the history tables, so a deleted record keeps its name.
    """

    def __init__(self):
        self._known: dict[type[Model], dict[int, str]] = defaultdict(dict)

    def load(self, model: type[Model], ids) -> None:
        wanted = {i for i in ids if i is not None} - set(self._known[model])
        if not wanted:
            return
        if model is Group:
            self._known[model].update(Group.objects.filter(pk__in=wanted).values_list("pk", "name"))
            return
        rows = list(model.history.filter(id__in=wanted).order_by("history_date", "history_id"))
        if model is BoardMeeting:
            self.load(Centre, [row.centre_id for row in rows])
        for row in rows:  # the latest version names the record
            self._known[model][row.id] = self._name(model, row)

    def _name(self, model, row) -> str:
        if model is Patient:
            return row.registry_id
        if model is User:
            return row.username
        if model is Centre:
            return row.code
        if model is BoardMeeting:
            centre = self._known[Centre].get(row.centre_id, "")
            return f"{centre} tumour board {date_format(row.held_on)}".strip()
        if model is TreatmentLine:
            return f"line {row.number}"
        return f"{model._meta.verbose_name} #{row.id}"

    def of(self, model: type[Model], pk) -> str:
        if pk is None:
            return "–"
        return self._known[model].get(pk, f"{model._meta.verbose_name} #{pk}")


def _display(field, value, names: Names) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(field, ForeignKey):
        return names.of(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.get_internal_type() == "BooleanField":
        return "yes" if value else "no"
    if isinstance(value, date):
        return date_format(value)
    return str(value)


def _record_date(model: type[Model], row) -> str:
    """The clinical date that tells two records of a patient apart (a response's date)."""
    for field in model._meta.concrete_fields:
        if field.get_internal_type() == "DateField" and getattr(row, field.attname, None):
            return date_format(getattr(row, field.attname))
    return ""


def _label(model: type[Model], row, names: Names) -> str:
    """A readable name of the record from the history row and the names loaded with it."""
    if model in (Patient, User, Centre, BoardMeeting):
        return names.of(model, row.id)
    if model is DataQuery:
        return f"{names.of(Patient, row.patient_id)}, query #{row.id}"
    if model is Finding:
        return f"{names.of(Patient, row.patient_id)}, finding #{row.id} ({row.rule})"
    if hasattr(row, "patient_id"):
        when = (
            names.of(BoardMeeting, row.meeting_id)
            if model is CaseDiscussion
            else _record_date(model, row)
        )
        number = f"line {row.number}, " if model is TreatmentLine else ""
        return f"{names.of(Patient, row.patient_id)}, {number}{when}".rstrip(", ")
    if model is BoardAttendance:
        return names.of(BoardMeeting, row.meeting_id)
    if model is CentreMembership:
        return f"{names.of(User, row.user_id)} at {names.of(Centre, row.centre_id)}"
    if model is RegistryWideGrant:
        return names.of(User, row.user_id)
    if model is ApiToken:
        return f"{row.key_prefix}… of {names.of(User, row.user_id)}"
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


def _load_names(model: type[Model], rows, fields, names: Names) -> None:
    names.load(model, [row.id for row in rows])
    linked = defaultdict(set)
    for field in fields:
        if isinstance(field, ForeignKey):
            linked[field.related_model] |= {getattr(row, field.attname) for row in rows}
    for extra in ("patient_id", "meeting_id", "user_id", "centre_id"):
        if rows and hasattr(rows[0], extra):
            related = {"patient_id": Patient, "meeting_id": BoardMeeting, "user_id": User}
            linked[related.get(extra, Centre)] |= {getattr(row, extra) for row in rows}
    for related, ids in linked.items():
        names.load(related, ids)


def entries_for(
    history: QuerySet, model: type[Model], names: Names | None = None
) -> list[AuditEntry]:
    """Audit entries of the given history rows, each diffed against the version before it."""
    names = names or Names()
    related = ["history_user"]
    if hasattr(history.model, "history_api_token"):
        related.append("history_api_token__issued_by")
    rows = list(history.select_related(*related).order_by("id", "history_date", "history_id"))
    fields = _compared_fields(model)
    _load_names(model, rows, fields, names)
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
                            str(field.verbose_name),
                            _display(field, old, names),
                            _display(field, new, names),
                        )
                    )
            if roles:
                old_roles = roles[before.history_id] if before is not None else "–"
                if roles[row.history_id] != old_roles:
                    changes.append(FieldChange("roles", old_roles, roles[row.history_id]))
        patient_id = row.id if model is Patient else getattr(row, "patient_id", None)
        entries.append(
            AuditEntry(
                at=row.history_date,
                user=row.history_user.get_username() if row.history_user else "system",
                action=ACTIONS[row.history_type],
                record_label=_capitalised(str(model._meta.verbose_name)),
                object_id=row.id,
                object_repr=_label(model, row, names),
                reason=row.history_change_reason or "",
                changes=tuple(changes),
                registry_id=names.of(Patient, patient_id) if patient_id else "",
                history_id=row.history_id,
                via=_via(row),
            )
        )
        previous_of_object[row.id] = row
    return entries


def _newest_first(entries: list[AuditEntry]) -> list[AuditEntry]:
    return sorted(entries, key=lambda e: (e.at, e.history_id), reverse=True)


def patient_trail(patient: Patient) -> list[AuditEntry]:
    """Every change to the patient and to any of its records, newest first."""
    names = Names()
    entries = entries_for(Patient.history.filter(id=patient.pk), Patient, names)
    for model in (*PATIENT_RECORD_MODELS, *QUALITY_MODELS):
        entries += entries_for(model.history.filter(patient_id=patient.pk), model, names)
    return _newest_first(entries)


def record_trail(model: type[Model], record_id: int, patient: Patient) -> list[AuditEntry]:
    return _newest_first(
        entries_for(model.history.filter(id=record_id, patient_id=patient.pk), model)
    )


# Record types of the registry-wide log, as its filter offers them: key -> (label, model).
RECORD_KINDS: dict[str, tuple[str, type[Model]]] = {
    "patient": ("Patient", Patient),
    **{
        str(model._meta.model_name): (str(model._meta.verbose_name).capitalize(), model)
        for model in PATIENT_RECORD_MODELS
    },
    "dataquery": ("Query", DataQuery),
    "casestatus": ("Case review and lock", CaseStatus),
    "finding": ("Data-quality finding", Finding),
    "boardmeeting": ("Tumour-board meeting", BoardMeeting),
    "boardattendance": ("Specialties present at a meeting", BoardAttendance),
    "centre": ("Centre", Centre),
    "centremembership": ("Centre membership", CentreMembership),
    "registrywidegrant": ("Registry-wide grant", RegistryWideGrant),
    "user": ("User account", User),
    "apitoken": ("API token", ApiToken),
}
ACTION_CODES = {label: code for code, label in ACTIONS.items()}


@dataclass(frozen=True)
class AuditFilter:
    """What the registry-wide log is narrowed to; every part is optional."""

    username: str = ""
    centre: Centre | None = None
    patient: Patient | None = None
    record_kind: str = ""  # a RECORD_KINDS key
    action: str = ""  # created, changed, deleted
    since: date | None = None
    until: date | None = None


def _local_midnight(day: date) -> datetime:
    """The start of a day in the registry's time zone (UTC for the first days of year 1)."""
    moment = datetime.combine(day, time.min)
    try:
        return timezone.make_aware(moment).astimezone(timezone.get_current_timezone())
    except OverflowError:
        return moment.replace(tzinfo=UTC)


def _sources(patients: QuerySet, meetings: QuerySet, filters: AuditFilter):
    """(model, history rows) the user may see, narrowed by centre and patient."""
    if filters.centre is not None:
        patients = patients.filter(centre=filters.centre)
        meetings = meetings.filter(centre=filters.centre)
    if filters.patient is not None:
        patients = patients.filter(pk=filters.patient.pk)
    patient_ids = patients.values("pk")
    sources: list[tuple[type[Model], QuerySet]] = [
        (Patient, Patient.history.filter(id__in=patient_ids)),
        *(
            (model, model.history.filter(patient_id__in=patient_ids))
            for model in (*PATIENT_RECORD_MODELS, *QUALITY_MODELS)
        ),
    ]
    if filters.patient is None:
        # Centres, memberships, grants, accounts and API tokens decide who sees and changes
        # what.
        centre = filters.centre
        sources += [
            (BoardMeeting, BoardMeeting.history.filter(id__in=meetings.values("pk"))),
            (BoardAttendance, BoardAttendance.history.filter(meeting_id__in=meetings.values("pk"))),
            (Centre, Centre.history.filter(id=centre.pk) if centre else Centre.history.all()),
            (
                CentreMembership,
                CentreMembership.history.filter(centre_id=centre.pk)
                if centre
                else CentreMembership.history.all(),
            ),
        ]
        if centre is None:
            sources += [
                (RegistryWideGrant, RegistryWideGrant.history.all()),
                (User, User.history.all()),
                (ApiToken, ApiToken.history.all()),
            ]
    if filters.record_kind:
        wanted = RECORD_KINDS[filters.record_kind][1]
        sources = [(model, history) for model, history in sources if model is wanted]
    return sources


def audit_log(patients: QuerySet, meetings: QuerySet, filters: AuditFilter) -> list[AuditEntry]:
    """Every change these querysets let the user see that matches the filter, newest first.

    The matching rows are found in the database; each is then diffed with the version of
    its record before it, which may itself lie outside the filter.
    """
    names = Names()
    entries = []
    for model, history in _sources(patients, meetings, filters):
        if filters.username:
            history = history.filter(history_user__username=filters.username)
        if filters.action:
            history = history.filter(history_type=ACTION_CODES[filters.action])
        # Days before the first or after the last one a datetime holds limit nothing.
        if filters.since and filters.since > date.min:
            history = history.filter(history_date__gte=_local_midnight(filters.since))
        if filters.until and filters.until < date.max:
            history = history.filter(
                history_date__lt=_local_midnight(filters.until + timedelta(days=1))
            )
        matching = dict(history.values_list("history_id", "id"))
        if not matching:
            continue
        whole = model.history.filter(id__in=set(matching.values()))
        entries += [e for e in entries_for(whole, model, names) if e.history_id in matching]
    return _newest_first(entries)
