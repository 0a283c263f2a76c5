"""Import of whole cases (the service every import path calls), set-wise.

Records are matched by the registry ID and natural keys, so re-importing a file changes
nothing. The stored cases of the file are read in a few queries per table, every record
is checked in memory with the models' own rules (the patient's bounds computed from the
file and the stored rows together, unique keys checked against both), and the changes
are written with bulk inserts and updates per table, each with its audit row (user,
reason, API token). All or nothing: any error, or a dry run, writes nothing; the
database constraints are the last guard, against a writer that committed in between.
A file that checks also gets its warnings: what the data-quality rules would find on its
cases as the import leaves them (`rule_warnings`); a warning never refuses an import.
"""

import gc
import inspect
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.forms import modelform_factory
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from registry import access, services
from registry.bulk import create_with_history
from registry.case_locks import lock_cases
from registry.domain.bounds import PatientBounds
from registry.domain.identifiers import canonical_record_number
from registry.models import KIND_BY_MODEL, RECORD_KINDS, BoardMeeting, Patient
from registry.models.checks import check_errors
from registry.models.patients import REGISTRY_ID_PATTERN
from registry.models.trace import current_api_token
from registry.models.vocabularies import VitalStatus

from .formats import Located
from .rule_warnings import CaseAsLeft, ImportWarning, import_warnings
from .sections import (
    DISCUSSIONS,
    DISCUSSIONS_FIELDS,
    LINES,
    PATIENT_FIELDS,
    RESPONSES,
    SECTIONS,
    Section,
)

PATIENTS = Section("patients", Patient, ("registry_id",))
# Columns a record may carry besides its fields: where it belongs, not what it says.
PLACING_COLUMNS = {"responses", "meeting_date", "line_number"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
READ_CHUNK = 5_000  # ids per IN (...): SQLite takes at most 32,766 parameters


@dataclass(frozen=True)
class RecordError:
    where: str
    field: str
    message: str


@dataclass
class ImportResult:
    dry_run: bool
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[RecordError] = field(default_factory=list)
    cases: int = 0
    warnings: list[ImportWarning] = field(default_factory=list)  # never refuse an import

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "written": self.written,
            "cases": self.cases,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "errors": [e.__dict__ for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


# --- reading cells ------------------------------------------------------------------------

_UNREAD = object()  # a cell a shortcut leaves to the form


class _Cleaner:
    """A model's exchanged fields read as its form would read them (same messages), once
    per model rather than one form per record, and its new instances built.

    Each column gets its reader once per import: the form field, after a shortcut for the
    common spellings that reads them to the same value without the form's machinery (a
    code of the field's vocabulary, an ISO date, plain text within the field's length, a
    whole number, true/false). A shortcut whose value leaves the model's field checks
    nothing to find marks the field as checked; anything else goes through the form."""

    def __init__(self, model: type[Model], fields: list[str]):
        self.model = model
        self.fields = fields
        self.field_names = frozenset(fields)
        self.columns_known = self.field_names | PLACING_COLUMNS
        self.form_fields = modelform_factory(model, fields=fields).base_fields
        self.model_fields = {name: model._meta.get_field(name) for name in fields}
        self.not_given = {f.name for f in model._meta.concrete_fields} - set(fields)
        self.columns = [
            (name, *self._reader(name, form_field)) for name, form_field in self.form_fields.items()
        ]
        # Fields a ModelForm leaves out of the model's checks when empty: required by the
        # model, optional in the form.
        self.optional_in_form = [
            (name, form_field.empty_values)
            for name, form_field in self.form_fields.items()
            if not self.model_fields[name].blank and not form_field.required
        ]
        # As Model(**kwargs) would fill each column: the given value, else its default
        # (an exchanged field is a column of its own name, never a relation).
        if any(f.attname != f.name for f in self.model_fields.values()):
            raise ValueError(f"{model.__name__}: relations are not exchanged as fields.")
        fields = model._meta.concrete_fields
        self.defaults = {f.attname: f.get_default() for f in fields}  # in the columns' order
        self.called_defaults = [
            (f.attname, f.default) for f in fields if f.has_default() and callable(f.default)
        ]
        self.plain_columns = _plain_columns(model)
        self.relations = {f.name: f for f in fields if f.many_to_one}
        self.label = str(model._meta.verbose_name_plural)

    def _reader(self, name: str, form_field: forms.Field):
        """(checked shortcut or None, form reader) of one column."""
        model_field = self.model_fields[name]
        widget = form_field.widget

        def form_read(value):
            return form_field.clean(widget.value_from_datadict({name: value}, {}, name))

        if model_field.choices and model_field.get_internal_type() == "CharField":
            # Text codes of the vocabulary (empty is not one: it may be required).
            codes = frozenset(str(code) for code, _ in model_field.flatchoices) - {""}
            return (lambda value, unread: value if value in codes else unread), form_read
        if type(form_field) is forms.DateField:
            return _iso_date_shortcut, form_read
        if type(form_field) in (forms.BooleanField, forms.NullBooleanField):
            return _BOOLEANS.get, form_read  # "true"/"false": the widget's own spelling
        if _plain_text(form_field, model_field):
            return _text_shortcut(form_field), form_read
        if type(form_field) is forms.IntegerField:

            def read_integer(value):
                if not (value.isascii() and value.isdigit()):
                    return form_read(value)
                number = int(value)  # what the form's to_python makes of plain digits
                form_field.validate(number)
                form_field.run_validators(number)
                return number

            return None, read_integer
        return None, form_read

    def clean(self, values: dict) -> tuple[dict, dict[str, list[str]], set[str], list[str]]:
        """The field values, the messages of those that cannot be read, the fields read
        by a shortcut that leaves the model's field checks nothing to find, and the fields
        given a list or an object (which make the record no record)."""
        cleaned, errors, checked, nested = {}, {}, set(), []
        for name, shortcut, read in self.columns:
            value = values.get(name)
            if type(value) is not str:  # most cells are text already
                if isinstance(value, list | dict):
                    nested.append(name)
                    continue
                value = _form_value(value)
            if shortcut is not None and type(value) is str:
                result = shortcut(value, _UNREAD)
                if result is not _UNREAD:
                    cleaned[name] = result
                    checked.add(name)
                    continue
            try:
                cleaned[name] = read(value)
            except ValidationError as error:
                errors[name] = error.messages
        return cleaned, errors, checked, nested

    def exclusions(self, cleaned: dict, errors: dict) -> set[str]:
        """What the model's own validation leaves out, as a ModelForm's would."""
        excluded = self.not_given | errors.keys()
        for name, empty_values in self.optional_in_form:
            if name in cleaned and cleaned[name] in empty_values:
                excluded.add(name)
        return excluded

    def new(self, cleaned: dict, **related) -> Model:
        """A new instance, as `model(**related, **cleaned)` builds it: its columns' values
        (the given one, else the default) in one step, then its related objects."""
        values = {**self.defaults, **cleaned}
        for attname, default in self.called_defaults:  # a fresh one for each instance
            if attname not in cleaned:
                values[attname] = default()
        if not self.plain_columns:
            instance = self.model(*values.values())
        else:  # as Model.__init__ sets them, without walking the columns one by one
            instance = self.model.__new__(self.model)
            instance._state = ModelState()
            instance.__dict__.update(values)
        for name, value in related.items():
            # What the relation's descriptor does for an object of the right model and
            # the one database, without its type and router checks: the key, and the
            # object cached (a new patient's or line's, whose key the write fills in).
            field = self.relations[name]
            instance.__dict__[field.attname] = value.pk
            field.set_cached_value(instance, value)
        return instance


def _plain_columns(model: type[Model]) -> bool:
    """Whether Model.__init__ would do no more with a model's column values than put them
    in the instance's __dict__: no pre_init or post_init receiver, and no column whose
    attribute does more on assignment (a foreign key's only forgets a cached related
    object, which a new instance has not)."""
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    return not (pre_init.has_listeners(model) or post_init.has_listeners(model)) and all(
        type(inspect.getattr_static(model, f.attname)) in plain for f in model._meta.concrete_fields
    )


_BOOLEANS = {"true": True, "false": False}


def _iso_date_shortcut(value: str, unread):
    """The exchange's own date spelling, read without the form's locale formats;
    2019-02-30 is left to the form, which says what is wrong with it."""
    if ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return unread


def _plain_text(form_field: forms.Field, model_field) -> bool:
    """A text field whose only checks are its length and no NUL character."""
    return (
        type(form_field) is forms.CharField
        and form_field.strip
        and type(model_field) in (models.CharField, models.TextField)
        and not model_field.choices
        and {type(v) for v in (*form_field.validators, *model_field.validators)} <= _TEXT_VALIDATORS
        and all(
            v.limit_value == form_field.max_length
            for v in model_field.validators
            if isinstance(v, validators.MaxLengthValidator)
        )
    )


_TEXT_VALIDATORS = {validators.MaxLengthValidator, validators.ProhibitNullCharactersValidator}


def _text_shortcut(form_field: forms.CharField):
    """Text as the form reads it (stripped; empty as the form's empty value), when it
    is within the field's length and holds no NUL; an empty required field is the
    form's to refuse."""
    limit = form_field.max_length
    required = form_field.required
    empty = form_field.empty_value

    def read(value: str, unread):
        text = value.strip()
        if not text:
            return unread if required else empty
        if (limit is not None and len(text) > limit) or "\x00" in text:
            return unread
        return text

    return read


def _form_value(value):
    """A cell as a browser would send it: None becomes empty, booleans and numbers their
    text as in CSV files (so a number where a date belongs is refused as a date, not a
    crash); Excel's date cells stay dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _key_value(value) -> str:
    """A natural-key part as text, the same from the database, JSON, CSV or an Excel cell."""
    if type(value) is str:  # most are
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _messages(error: ValidationError) -> list[tuple[str, str]]:
    if hasattr(error, "error_dict"):
        return [(f, m) for f, messages in error.message_dict.items() for m in messages]
    return [("__all__", m) for m in error.messages]


def _chunks(values: list, size: int = READ_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- one record, one case -----------------------------------------------------------------


@dataclass(eq=False)
class _Record:
    """A record of the file, read: its instance (the stored one, changed in place, or a
    new one) and whether it differs from what is stored."""

    where: str
    instance: Model
    stored: bool
    changed: bool
    excluded: set[str]  # from the model's field checks: read by a shortcut, or not at all
    field_checks: bool  # whether any field is left for them
    unread: set[str]  # not given or not readable: their constraints wait for them
    errors: dict[str, list[str]]


@dataclass(eq=False)
class _Case:
    located: Located
    patient: _Record
    records: dict[str, list[_Record]] = field(default_factory=lambda: defaultdict(list))


class _Stored:
    """The stored rows the file's cases may touch, read set-wise before any check."""

    def __init__(self, cases: list[tuple[Located, str, str]], *, lock: bool):
        self.lock = lock
        # Only keys a row can hold are looked up: one the checks refuse (a registry ID off
        # its pattern, a NUL character, which PostgreSQL cannot even compare) finds nothing
        # and is reported at its case, never sent to the database.
        registry_ids = sorted(
            {rid for _, rid, _ in cases if re.fullmatch(REGISTRY_ID_PATTERN, rid)}
        )
        if lock:
            # In key order, as every write of a case takes them (registry.case_locks): in
            # the order of a scan by registry ID, an import and a rule run touching the
            # same patients could each hold one the other waits for (a deadlock).
            keys = sorted(
                pk
                for chunk in _chunks(registry_ids)
                for pk in Patient.objects.filter(registry_id__in=chunk).values_list("pk", flat=True)
            )
            for chunk in _chunks(keys):
                lock_cases(chunk)
            found = (Patient.objects.filter(pk__in=chunk) for chunk in _chunks(keys))
        else:
            found = (Patient.objects.filter(registry_id__in=c) for c in _chunks(registry_ids))
        self.patients = {p.registry_id: p for patients in found for p in patients}
        ids = [p.pk for p in self.patients.values()]
        # (section key, patient id) -> natural key -> stored record
        self.records: dict[tuple[str, int], dict[tuple, Model]] = defaultdict(dict)
        lines_by_id = {}
        for section in SECTIONS:
            for chunk in _chunks(ids):
                for record in self._read(section.model.objects.filter(patient_id__in=chunk)):
                    key = tuple(_key_value(getattr(record, k)) for k in section.natural_key)
                    self.records[section.key, record.patient_id].setdefault(key, record)
                    if section is LINES:
                        lines_by_id[record.pk] = record
        for chunk in _chunks(ids):
            for response in self._read(RESPONSES.model.objects.filter(patient_id__in=chunk)):
                line = lines_by_id[response.line_id]
                response.line = line
                key = (_key_value(line.number), _key_value(response.assessed_on))
                self.records[RESPONSES.key, response.patient_id].setdefault(key, response)
            for discussion in self._read(
                DISCUSSIONS.model.objects.filter(patient_id__in=chunk).select_related("meeting")
            ):
                key = (_key_value(discussion.meeting.held_on),)
                self.records[DISCUSSIONS.key, discussion.patient_id].setdefault(key, discussion)
        numbers = sorted(
            {canonical_record_number(str(case.get("record_number") or "")) for case, *_ in cases}
            - {""}
        )
        numbers = [number for number in numbers if "\x00" not in number]
        codes = {code for *_, code in cases if "\x00" not in code}
        # (centre id, record number) -> registry ID of the stored patient holding it
        self.record_numbers = {
            (centre_id, number): registry_id
            for chunk in _chunks(numbers)
            for centre_id, number, registry_id in Patient.objects.filter(
                centre__code__in=codes, record_number__in=chunk
            ).values_list("centre_id", "record_number", "registry_id")
        }
        days = sorted(
            {
                _key_value(d.get("meeting_date"))
                for case, *_ in cases
                if isinstance(case.get(DISCUSSIONS.key), list)
                for d in case[DISCUSSIONS.key]
                if isinstance(d, dict)
            }
            - {""}
        )
        valid_days = [d for d in days if _iso_date(d)]
        self.meetings = {
            (m.centre_id, m.held_on): m
            for chunk in _chunks(valid_days)
            for m in BoardMeeting.objects.filter(centre__code__in=codes, held_on__in=chunk)
        }

    def _read(self, queryset):
        """Rows an import may change are locked until it commits (after their patients'
        rows), so a form edit made meanwhile waits for it and then sees the new version
        (optimistic locking)."""
        return queryset.select_for_update(of=("self",)) if self.lock else queryset


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class _BulkImport:
    def __init__(self, *, user, result: ImportResult, reason: str):
        self.user = user
        self.result = result
        self.reason = reason
        self.cleaners = {
            PATIENTS.key: _Cleaner(Patient, PATIENT_FIELDS),
            **{s.key: _Cleaner(s.model, s.fields) for s in SECTIONS},
            RESPONSES.key: _Cleaner(RESPONSES.model, RESPONSES.fields),
            DISCUSSIONS.key: _Cleaner(DISCUSSIONS.model, DISCUSSIONS_FIELDS),
        }
        self.centres = {c.code: c for c in access.editable_centres(user)}
        self.cases: list[_Case] = []
        self.new_meetings: dict[tuple[int, date], BoardMeeting] = {}
        # (centre id, record number) -> where in the file, for clashes within the file
        self.file_record_numbers: dict[tuple[int, str], str] = {}
        self.file_registry_ids: dict[str, str] = {}

    def error(self, where: str, field_name: str, message: str) -> None:
        self.result.errors.append(RecordError(where, field_name, message))

    # --- reading and checking ---

    def check(self, located: list[Located], *, lock: bool, progress=None) -> None:
        heads = [(item, *self._head(item.case)) for item in located]
        self.stored = _Stored([(item.case, rid, code) for item, rid, code in heads], lock=lock)
        for number, (item, registry_id, code) in enumerate(heads, 1):
            self.check_case(item, registry_id, code)
            if progress:
                progress(number, len(located))

    @staticmethod
    def _head(case: dict) -> tuple[str, str]:
        return str(case.get("registry_id") or "").strip(), str(case.get("centre") or "").strip()

    def check_case(self, located: Located, registry_id: str, code: str) -> None:
        patient = self.patient(located, registry_id, code)
        if patient is None:
            return
        case = _Case(located, patient)
        stored_pk = patient.instance.pk
        for section in SECTIONS:
            self.section(case, section, located.case.get(section.key), stored_pk)
        self.discussions(case, located.case.get(DISCUSSIONS.key), stored_pk)
        bounds = self.bounds(case, stored_pk)
        # A new patient has no stored records to be checked against.
        self.validate(patient, bounds if patient.stored else None)
        for records in case.records.values():
            for record in records:
                self.validate(record, bounds)
        self.cases.append(case)

    def patient(self, located: Located, registry_id: str, code: str) -> _Record | None:
        where, case = located.where, located.case
        if not registry_id:
            self.error(where, "registry_id", "Every case needs its registry ID.")
            return None
        if not re.fullmatch(REGISTRY_ID_PATTERN, registry_id):
            self.error(where, "registry_id", "Use 3-20 capital letters, digits or hyphens.")
            return None
        if "\x00" in code:
            self.error(where, "centre", "Not a centre code.")
            return None
        centre = self.centres.get(code)
        if centre is None:
            self.error(where, "centre", f"Centre '{code}' is not one you can import into.")
            return None
        if registry_id in self.file_registry_ids:
            self.error(
                where,
                "registry_id",
                f"This registry ID is already in the file ({self.file_registry_ids[registry_id]}).",
            )
            return None
        self.file_registry_ids[registry_id] = where
        existing = self.stored.patients.get(registry_id)
        if existing is not None and existing.centre_id != centre.pk:
            if existing.centre_id in {c.pk for c in self.centres.values()}:
                message = (
                    "This patient belongs to another centre; moving is an administrator's action."
                )
            else:
                message = "This registry ID is not available to you."
            self.error(where, "registry_id", message)
            return None
        values = {k: v for k, v in case.items() if not isinstance(v, list) and k != "centre"}
        record = self.read(PATIENTS.key, values, where, existing, centre=centre)
        if record is None:
            return None
        number = record.instance.record_number
        if number:
            number = canonical_record_number(number)
            holder = self.stored.record_numbers.get((centre.pk, number))
            clash = self.file_record_numbers.get((centre.pk, number))
            if (holder and holder != registry_id) or clash:
                record.errors.setdefault("record_number", []).append(
                    "Another patient of this centre has this hospital record number"
                    + (f" ({clash})." if clash else ".")
                )
            self.file_record_numbers[centre.pk, number] = where
        return record

    def read(self, key: str, values, where: str, existing: Model | None, **fixed):
        """A record of the file read into its instance; None when it is not one."""
        cleaner = self.cleaners[key]
        if not cleaner.columns_known.issuperset(values):
            unknown = sorted(set(values) - cleaner.columns_known)
            self.error(where, unknown[0], f"Unknown column(s): {', '.join(unknown)}.")
            return None
        cleaned, errors, checked, nested = cleaner.clean(values)
        if nested:
            for name in nested:
                self.error(where, name, "Expected one value here, not a list or an object.")
            return None
        if existing is not None:
            instance, stored = existing, True
            before = {name: getattr(existing, name) for name in cleaned}
            for name, value in fixed.items():  # the same rows, as objects the rules read
                setattr(instance, name, value)
            for name, value in cleaned.items():
                setattr(instance, name, value)
        else:
            instance, stored, before = cleaner.new(cleaned, **fixed), False, None
        changed = before is None or any(before[n] != v for n, v in cleaned.items()) or errors
        unread = cleaner.exclusions(cleaned, errors)
        excluded = unread | checked
        field_checks = not cleaner.field_names <= excluded
        return _Record(
            where, instance, stored, bool(changed), excluded, field_checks, unread, errors
        )

    def records(self, value, key: str, where: str, located: Located):
        """(location, record) pairs of a list of objects; anything else is reported."""
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            self.error(where, key, "Expected a list of records.")
            return []
        pairs = []
        for index, record in enumerate(value, 1):
            place = located.record_where.get((key, id(record)), f"{where} › {key}[{index}]")
            if isinstance(record, dict):
                pairs.append((place, record))
            else:
                self.error(place, "__all__", "Each record is an object.")
        return pairs

    def section(self, case: _Case, section: Section, records, stored_pk) -> None:
        stored = self.stored.records.get((section.key, stored_pk), {}) if stored_pk else {}
        seen: dict[tuple, str] = {}
        patient = case.patient.instance
        for where, values in self.records(records, section.key, case.located.where, case.located):
            key = tuple(_key_value(values.get(k)) for k in section.natural_key)
            record = self.read(section.key, values, where, stored.get(key), patient=patient)
            if record is None:
                continue
            self._refuse_twice(section, record, key, seen)
            case.records[section.key].append(record)
            if section is LINES and not record.errors:  # responses need a line to be in
                self.responses(case, record, values.get("responses"), stored_pk, key)

    def _refuse_twice(self, section: Section, record: _Record, key: tuple, seen: dict) -> None:
        """Two records of one case with one natural key: the second is refused, in the
        model's words where a constraint says it."""
        if key not in seen:
            seen[key] = record.where
            return
        instance = record.instance
        if hasattr(instance, "constraint_message") and instance.constraint_field:
            name, message = instance.constraint_field, instance.constraint_message()
        elif section is DISCUSSIONS:
            name, message = "meeting_date", "The case is already on this meeting's agenda."
        else:
            name = section.natural_key[0]
            labels = " and ".join(
                str(instance._meta.get_field(k).verbose_name) for k in section.natural_key
            )
            message = f"Another record of this case has the same {labels}."
        record.errors.setdefault(name, []).append(f"{message} ({seen[key]})")

    def responses(self, case: _Case, line: _Record, records, stored_pk, line_key) -> None:
        stored = self.stored.records.get((RESPONSES.key, stored_pk), {}) if stored_pk else {}
        seen: dict[tuple, str] = {}
        for where, values in self.records(records, RESPONSES.key, line.where, case.located):
            key = (*line_key, _key_value(values.get("assessed_on")))
            existing = stored.get(key)
            record = self.read(
                RESPONSES.key,
                values,
                where,
                existing,
                patient=case.patient.instance,
                line=line.instance,
            )
            if record is None:
                continue
            self._refuse_twice(RESPONSES, record, key, seen)
            case.records[RESPONSES.key].append(record)

    def discussions(self, case: _Case, records, stored_pk) -> None:
        stored = self.stored.records.get((DISCUSSIONS.key, stored_pk), {}) if stored_pk else {}
        seen: dict[tuple, str] = {}
        patient = case.patient.instance
        located = case.located
        for where, values in self.records(records, DISCUSSIONS.key, located.where, located):
            held_on = _key_value(values.get("meeting_date"))
            day = _iso_date(held_on)
            if day is None:
                self.error(where, "meeting_date", "Enter the meeting date as YYYY-MM-DD.")
                continue
            existing = stored.get((held_on,))
            meeting = existing.meeting if existing else self.meeting(patient.centre, day)
            record = self.read(
                DISCUSSIONS.key, values, where, existing, patient=patient, meeting=meeting
            )
            if record is None:
                continue
            self._refuse_twice(DISCUSSIONS, record, (held_on,), seen)
            case.records[DISCUSSIONS.key].append(record)

    def meeting(self, centre, day: date) -> BoardMeeting:
        """The centre's board of that day; a new one (written with the import) if none."""
        meeting = self.stored.meetings.get((centre.pk, day)) or self.new_meetings.get(
            (centre.pk, day)
        )
        if meeting is None:
            meeting = self.new_meetings[centre.pk, day] = BoardMeeting(centre=centre, held_on=day)
        return meeting

    def as_left(self, case: _Case, stored_pk) -> list[tuple[Model, str | None]]:
        """The records of the case as this import leaves it: the file's own, with their
        place in the file, and the stored records the file does not mention (None)."""
        final = [(r.instance, r.where) for records in case.records.values() for r in records]
        if stored_pk:
            in_file = {id(record) for record, _ in final}
            final += [
                (record, None)
                for section in (*SECTIONS, RESPONSES)
                for record in self.stored.records.get((section.key, stored_pk), {}).values()
                if id(record) not in in_file
            ]
        return final

    def bounds(self, case: _Case, stored_pk) -> PatientBounds:
        """The patient as this import leaves it: the stored records the file does not
        mention, and the file's own."""
        final = self.as_left(case, stored_pk)
        in_file = {id(record) for record, where in final if where is not None}
        dates, deaths = [], []
        for record, _ in final:
            if getattr(record, "vital_status", None) == VitalStatus.DEAD and record.death_date:
                deaths.append((record if id(record) in in_file else record.pk, record.death_date))
            if record.bounds_life():
                dates += [
                    day
                    for name in record.event_date_fields
                    if isinstance(day := getattr(record, name), date)
                ]
        patient = case.patient.instance
        return PatientBounds(
            birth_date=patient.birth_date if isinstance(patient.birth_date, date) else None,
            mbc_diagnosis_date=patient.mbc_diagnosis_date
            if isinstance(patient.mbc_diagnosis_date, date)
            else None,
            family_name=patient.family_name or "",
            given_name=patient.given_name or "",
            record_number=patient.record_number or "",
            deaths=tuple(deaths),
            earliest_record_date=min(dates, default=None),
            latest_record_date=max(dates, default=None),
        )

    def validate(self, record: _Record, bounds: PatientBounds | None) -> None:
        """The model's rules, as a form and the service would run them, for what changed."""
        if record.changed:
            instance = record.instance
            instance.patient_bounds = bounds
            # full_clean() without the unique constraints (the importer's own set-wise
            # checks), and without the field checks when no field is left for them.
            errors, failed = {}, set()
            if record.field_checks:
                try:
                    instance.clean_fields(exclude=record.excluded)
                except ValidationError as error:
                    errors = error.update_error_dict(errors)
            try:
                instance.clean()
            except ValidationError as error:
                errors = error.update_error_dict(errors)
            for name, message in _messages(ValidationError(errors)) if errors else ():
                record.errors.setdefault(name, []).append(message)
                failed.add(name)
            for name, messages in check_errors(record.instance, record.unread | failed).items():
                record.errors.setdefault(name, []).extend(messages)
        for name, messages in record.errors.items():
            for message in dict.fromkeys(messages):
                self.error(record.where, name, message)

    def written(self, cases: list[_Case]) -> dict[int, dict[str, list[Model]]]:
        """Every record of each written case by kind, as the import left them: the whole
        case, the stored records read (and locked) before the checks included."""
        written = {}
        for case in cases:
            patient = case.patient
            records = {kind.slug: [] for kind in RECORD_KINDS}
            for record, _ in self.as_left(case, patient.instance.pk if patient.stored else None):
                records[KIND_BY_MODEL[type(record)].slug].append(record)
            written[patient.instance.pk] = records
        return written

    def warnings(self) -> list[ImportWarning]:
        """What the data-quality rules would find on the cases as the import leaves them."""
        return import_warnings(
            [
                CaseAsLeft(
                    case.located.where,
                    case.patient.instance,
                    self.as_left(case, case.patient.instance.pk if case.patient.stored else None),
                )
                for case in self.cases
            ],
            today=timezone.localdate(),
        )

    # --- writing ---

    def refuse_locked(self) -> None:
        """A case locked for analysis refuses any change, as every write does (services);
        the error names the case's first changed record."""
        first_change = {}
        for case in self.cases:
            if not case.patient.stored:
                continue
            records = [case.patient, *(r for rs in case.records.values() for r in rs)]
            changed = next((record for record in records if record.changed), None)
            if changed is not None:
                first_change[case.patient.instance.pk] = changed.where
        for patient_id, message in services.prepare_case_changes(first_change).items():
            self.error(first_change[patient_id], "__all__", message)

    def write(self) -> list[_Case]:
        """Bulk inserts and updates per table, each row with its audit row; returns the
        cases that changed."""
        now = timezone.now()
        token = current_api_token()
        history = {
            "default_user": self.user,
            "default_change_reason": self.reason,
            "custom_historical_attrs": {"history_api_token": token} if token else None,
        }
        created = {"user": self.user, "reason": self.reason, "api_token": token}
        touched = {}
        for section in [PATIENTS, *SECTIONS, RESPONSES, DISCUSSIONS]:
            if section is DISCUSSIONS and self.new_meetings:
                create_with_history(list(self.new_meetings.values()), BoardMeeting, **created)
            label = self.cleaners[section.key].label
            new, changed, unchanged = [], [], 0
            for case in self.cases:
                records = [case.patient] if section is PATIENTS else case.records[section.key]
                for record in records:
                    if not record.changed:
                        unchanged += 1
                        continue
                    # New records name their patient, line and meeting as objects:
                    # bulk_create takes the ids those received when written before them.
                    (changed if record.stored else new).append(record.instance)
                    touched[id(case)] = case
            if new:
                create_with_history(new, section.model, **created)
                self.result.created[label] += len(new)
            if changed:
                for instance in changed:
                    instance.version += 1
                    instance.updated_at = now
                fields = [*self.cleaners[section.key].fields, "version", "updated_at"]
                bulk_update_with_history(changed, section.model, fields, **history)
                self.result.updated[label] += len(changed)
            if unchanged:
                self.result.unchanged[label] += unchanged
        return list(touched.values())


def import_cases(
    located: list[Located], *, user, dry_run: bool, reason: str, progress=None
) -> ImportResult:
    """All or nothing: every case is checked; anything wrong, or a dry run, writes nothing.

    `progress(done, total)` is called as the cases are checked.
    """
    result = ImportResult(dry_run=dry_run, cases=len(located))
    if not access.is_data_manager(user):
        result.errors.append(RecordError("file", "__all__", "Only data managers can import."))
        return result
    importer = _BulkImport(user=user, result=result, reason=reason)
    with _without_cycle_collection(), transaction.atomic():
        importer.check(located, lock=not dry_run, progress=progress)
        if result.ok:
            importer.refuse_locked()
        if result.ok:
            result.warnings = importer.warnings()
        if not result.ok or dry_run:
            if result.ok:
                _count_as_written(importer)
            transaction.set_rollback(True)  # a dry run marks no review outdated either
            return result
        try:
            with transaction.atomic():
                cases = importer.write()
                services.patient_summary_refresh(
                    *(case.patient.instance for case in cases), records=importer.written(cases)
                )
        except IntegrityError:
            _locate_clash(importer, result)
            transaction.set_rollback(True)
    return result


@contextmanager
def _without_cycle_collection():
    """Python's cycle collector paused for the import. An import builds hundreds of
    thousands of small objects that all live until it ends; the collector would walk them
    again and again as they pile up (a third of the import's CPU) and find next to
    nothing: reference counting frees what the import drops, and the few cycles it leaves
    are collected once the collector resumes. Resumed after the import, unless it was
    paused before (another import in another thread)."""
    paused_before = not gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not paused_before:
            gc.enable()


def _count_as_written(importer: _BulkImport) -> None:
    """A dry run counts what the import would create, update and leave unchanged."""
    result = importer.result
    for section in [PATIENTS, *SECTIONS, RESPONSES, DISCUSSIONS]:
        label = importer.cleaners[section.key].label
        for case in importer.cases:
            records = [case.patient] if section is PATIENTS else case.records[section.key]
            for record in records:
                counts = (
                    (result.updated if record.stored else result.created)
                    if record.changed
                    else result.unchanged
                )
                counts[label] += 1


def _locate_clash(importer: _BulkImport, result: ImportResult) -> None:
    """Another writer committed a conflicting row after the checks: say which case."""
    for counts in (result.created, result.updated, result.unchanged):
        counts.clear()
    result.warnings.clear()  # nothing was imported: the errors say why
    new = {c.patient.instance.registry_id: c for c in importer.cases if not c.patient.stored}
    taken = set(
        Patient.objects.filter(registry_id__in=list(new)).values_list("registry_id", flat=True)
    )
    for registry_id in sorted(taken):
        result.errors.append(
            RecordError(
                new[registry_id].located.where,
                "registry_id",
                "Someone else saved a patient with this registry ID at the same moment; "
                "reload and try again.",
            )
        )
    if not result.errors:
        result.errors.append(
            RecordError(
                "file",
                "__all__",
                "Someone else saved a conflicting record at the same moment; nothing was "
                "imported. Try again.",
            )
        )
