"""The case exchange formats: whole cases as nested JSON, or one table per record type.

Import and export, the API's case endpoint and the upload page all go through here.
Records are matched by the registry ID and natural keys, so re-importing a file changes
nothing; every write goes through the services (rules, audit trail, access); an import
is one transaction that is rolled back whole when any record fails, or on a dry run.
docs/exchange.md describes the formats and the data dictionary.
"""

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import modelform_factory

from . import access, services
from .domain.dates import age_in_completed_years
from .models import (
    BoardMeeting,
    CaseDiscussion,
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from .models.patients import REGISTRY_ID_PATTERN
from .spreadsheets import formula_safe, formula_unescaped

FORMAT_VERSION = 1
NOT_EXCHANGED = {"id", "patient", "line", "meeting", "created_at", "updated_at"}


@dataclass(frozen=True)
class Section:
    """One kind of record in a case: its JSON key, model and natural key."""

    key: str
    model: type[Model]
    natural_key: tuple[str, ...]

    @property
    def fields(self) -> list[str]:
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if f.editable and f.name not in NOT_EXCHANGED
        ]


PATIENT_FIELDS = [
    "registry_id",
    "record_number",
    "family_name",
    "given_name",
    "sex",
    "birth_date",
    "primary_diagnosis_date",
    "mbc_diagnosis_date",
    "presentation",
    "histology",
]
SECTIONS = [
    Section("receptor_assessments", ReceptorAssessment, ("assessed_on", "specimen")),
    Section("metastatic_sites", MetastaticSite, ("category",)),
    Section("treatment_lines", TreatmentLine, ("number",)),
    Section("progression_events", ProgressionEvent, ("occurred_on", "kind")),
    Section("surgeries", Surgery, ("operated_on",)),
    Section("radiotherapy", Radiotherapy, ("started_on", "site")),
    Section("follow_up", FollowUp, ("contact_date",)),
]
RESPONSES = Section("responses", ResponseAssessment, ("assessed_on",))
DISCUSSIONS = Section("board_discussions", CaseDiscussion, ("meeting_date",))
DISCUSSIONS_FIELDS = [
    "question",
    "recommendation",
    "recommendation_category",
    "followed",
    "not_followed_reason",
]
DEIDENTIFIED_DROPS = {"record_number", "family_name", "given_name", "birth_date"}


# --- export ---------------------------------------------------------------------------


def _value(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(model: type[Model], patients: QuerySet, fields: list[str], *extra: str) -> dict:
    by_patient = defaultdict(list)
    for row in model.objects.filter(patient__in=patients.values("pk")).values(
        "patient_id", *extra, *fields
    ):
        by_patient[row.pop("patient_id")].append({k: _value(v) for k, v in row.items()})
    return by_patient


def export_cases(patients: QuerySet, *, deidentified: bool = False) -> list[dict]:
    """Every case of the queryset, ordered by registry ID: one query per record table."""
    patients = patients.order_by("registry_id")
    sections = {s.key: _rows(s.model, patients, s.fields) for s in SECTIONS}
    lines = _rows(TreatmentLine, patients, SECTIONS[2].fields, "id")
    responses = defaultdict(list)
    for row in ResponseAssessment.objects.filter(patient__in=patients.values("pk")).values(
        "line_id", *RESPONSES.fields
    ):
        responses[row.pop("line_id")].append({k: _value(v) for k, v in row.items()})
    discussions = _rows(CaseDiscussion, patients, DISCUSSIONS_FIELDS, "meeting__held_on")
    cases = []
    for patient in patients.select_related("centre").values("pk", "centre__code", *PATIENT_FIELDS):
        pk = patient.pop("pk")
        case = {"registry_id": patient.pop("registry_id"), "centre": patient.pop("centre__code")}
        case.update({k: _value(v) for k, v in patient.items()})
        if deidentified:
            case["age_at_mbc_diagnosis"] = age_in_completed_years(
                date.fromisoformat(case["birth_date"]),
                date.fromisoformat(case["mbc_diagnosis_date"]),
            )
            for name in DEIDENTIFIED_DROPS:
                case.pop(name)
        for section in SECTIONS:
            records = sections[section.key].get(pk, [])
            if section.key == "treatment_lines":
                records = []
                for line in lines.get(pk, []):
                    line_id = line.pop("id")
                    records.append(
                        {**line, "responses": _sorted(responses.get(line_id, []), RESPONSES)}
                    )
            case[section.key] = _sorted(records, section)
        case[DISCUSSIONS.key] = sorted(
            ({"meeting_date": r.pop("meeting__held_on"), **r} for r in discussions.get(pk, [])),
            key=lambda r: r["meeting_date"],
        )
        cases.append(case)
    return cases


def _sorted(records: list[dict], section: Section) -> list[dict]:
    return sorted(records, key=lambda r: tuple(str(r[k]) for k in section.natural_key))


def export_document(patients: QuerySet, *, deidentified: bool = False) -> dict:
    return {
        "format": "mbc-registry-cases",
        "version": FORMAT_VERSION,
        "deidentified": deidentified,
        "cases": export_cases(patients, deidentified=deidentified),
    }


# --- tables ---------------------------------------------------------------------------

TABLES = ["patients", *[s.key for s in SECTIONS], "responses", "board_discussions"]


def cases_to_tables(cases: list[dict]) -> dict[str, list[dict]]:
    """The same cases as flat tables: one row per record, keyed by registry ID."""
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    for case in cases:
        registry_id = case["registry_id"]
        tables["patients"].append({k: v for k, v in case.items() if not isinstance(v, list)})
        for section in SECTIONS:
            for record in case.get(section.key, []):
                flat = {k: v for k, v in record.items() if k != "responses"}
                tables[section.key].append({"registry_id": registry_id, **flat})
                for response in record.get("responses", []):
                    tables["responses"].append(
                        {"registry_id": registry_id, "line_number": record["number"], **response}
                    )
        for record in case.get(DISCUSSIONS.key, []):
            tables["board_discussions"].append({"registry_id": registry_id, **record})
    return tables


def table_columns(name: str, *, deidentified: bool = False) -> list[str]:
    if name == "patients":
        columns = ["registry_id", "centre", *PATIENT_FIELDS[1:]]
        if deidentified:
            columns = [c for c in columns if c not in DEIDENTIFIED_DROPS] + ["age_at_mbc_diagnosis"]
        return columns
    if name == "responses":
        return ["registry_id", "line_number", *RESPONSES.fields]
    if name == "board_discussions":
        return ["registry_id", "meeting_date", *DISCUSSIONS_FIELDS]
    section = next(s for s in SECTIONS if s.key == name)
    return ["registry_id", *section.fields]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tables_to_xlsx(tables: dict[str, list[dict]], *, deidentified: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in tables.items():
        sheet = workbook.create_sheet(name)
        columns = table_columns(name, deidentified=deidentified)
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        for cells in sheet.iter_rows():
            for cell in cells:
                cell.data_type = "s"  # openpyxl makes "=…" a formula: keep every value data
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tables_to_csv(tables: dict[str, list[dict]], *, deidentified: bool = False) -> dict[str, str]:
    files = {}
    for name, rows in tables.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = table_columns(name, deidentified=deidentified)
        writer.writerow(columns)
        writer.writerows([formula_safe(_cell(row.get(c))) for c in columns] for row in rows)
        files[f"{name}.csv"] = buffer.getvalue()
    return files


# --- reading files ----------------------------------------------------------------------


class ExchangeFileError(ValueError):
    """The file itself cannot be read (not the records in it)."""


@dataclass
class Located:
    """A case to import with where each of its parts came from, for error messages."""

    case: dict
    where: str
    record_where: dict = field(default_factory=dict)  # (section, index) -> location


def read_json(content: bytes) -> list[Located]:
    try:
        document = json.loads(content.decode("utf-8-sig"))  # a BOM is no reason to refuse
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExchangeFileError(f"Not a JSON document: {error}.") from None
    except RecursionError:
        raise ExchangeFileError("Not a case file: its JSON is nested too deeply.") from None
    return read_document(document)


def read_document(document) -> list[Located]:
    """Cases from parsed JSON: {"cases": [...]}, a list of cases, or one case."""
    cases = document.get("cases") if isinstance(document, dict) else document
    if isinstance(document, dict) and "cases" not in document and "registry_id" in document:
        cases = [document]
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise ExchangeFileError('Expected {"cases": [...]} with one object per case.')
    return [
        Located(case, f"case {index} ({case.get('registry_id') or 'no registry ID'})")
        for index, case in enumerate(cases, 1)
    ]


# Real case workbooks expand about 11-fold (the 300-case demo); a ZIP bomb far more.
XLSX_MAX_EXPANSION = 25


def _refuse_zip_bombs(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        return  # openpyxl says what is wrong with it
    if expanded > XLSX_MAX_EXPANSION * max(len(content), settings.IMPORT_MAX_BYTES):
        raise ExchangeFileError(
            f"This workbook unpacks to {expanded // (1024 * 1024)} MB, far more than case "
            "tables do: it is not imported."
        )


def read_xlsx(content: bytes) -> list[Located]:
    _refuse_zip_bombs(content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise ExchangeFileError(f"Not a readable XLSX workbook: {error}.") from None
    _refuse_unsaved_formulas(workbook, formulas)
    tables = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        tables[sheet.title] = [
            {h: ("" if v is None else v) for h, v in zip(header, row, strict=False) if h}
            for row in rows[1:]
            if any(v not in (None, "") for v in row)
        ]
    return tables_to_cases(tables)


def _refuse_unsaved_formulas(values, formulas) -> None:
    """A formula whose result the file does not hold would read as an empty cell, and an
    import would then blank that field: refuse the file and say where."""
    unsaved = [
        f"sheet {sheet.title} row {formula.row} column {formula.column_letter}"
        for sheet in formulas.worksheets
        for formula_row, value_row in zip(
            sheet.iter_rows(), values[sheet.title].iter_rows(values_only=True), strict=False
        )
        for formula, value in zip(formula_row, value_row, strict=False)
        if formula.data_type == "f" and value is None
    ]
    if unsaved:
        raise ExchangeFileError(
            f"{', '.join(unsaved[:5])}{' and more' if len(unsaved) > 5 else ''}: a formula "
            "without its result in the file. Type the values, or open and save the workbook "
            "in a spreadsheet program so that the results are stored."
        )


def read_csv_files(files: dict[str, bytes]) -> list[Located]:
    tables = {}
    for name, content in files.items():
        stem = name.rsplit("/", 1)[-1].removesuffix(".csv")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ExchangeFileError(f"{name}: not UTF-8 text.") from None
        # newline=None reads Windows, Unix and old Mac (CR-only) line ends alike.
        reader = csv.DictReader(io.StringIO(text, newline=None))
        try:
            rows = list(reader)
        except csv.Error as error:
            # line_num counts the lines parsed before the one that failed.
            raise ExchangeFileError(f"{name}, line {reader.line_num + 1}: {error}.") from None
        tables[stem] = [
            {k: formula_unescaped(v) if isinstance(v, str) else v for k, v in row.items()}
            for row in rows
        ]
    return tables_to_cases(tables)


def read_named(name: str, content: bytes) -> list[Located]:
    """Read by the file's type: its extension, and for XLSX its ZIP signature."""
    name = name.lower()
    if name.endswith(".json"):
        return read_json(content)
    if name.endswith(".xlsx"):
        if not content.startswith(b"PK"):
            raise ExchangeFileError("This .xlsx file is not a workbook.")
        return read_xlsx(content)
    raise ExchangeFileError("Upload a .json case file or an .xlsx workbook.")


def tables_to_cases(tables: dict[str, list[dict]]) -> list[Located]:
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ExchangeFileError(
            f"Unknown table(s) {', '.join(unknown)}; expected {', '.join(TABLES)}."
        )
    if "patients" not in tables:
        raise ExchangeFileError("The patients table is missing.")
    located: dict[str, Located] = {}
    for row_number, row in enumerate(tables["patients"], 2):
        case = dict(row)
        registry_id = str(case.get("registry_id", "")).strip()
        located[registry_id] = Located(case, f"patients row {row_number}")
        for key in [s.key for s in SECTIONS] + [DISCUSSIONS.key]:
            case[key] = []
    orphans = []
    for name in [s.key for s in SECTIONS] + ["responses", "board_discussions"]:
        for row_number, row in enumerate(tables.get(name, []), 2):
            registry_id = str(row.get("registry_id", "")).strip()
            where = f"{name} row {row_number}"
            target = located.get(registry_id)
            if target is None:
                orphans.append(where)
                continue
            record = {k: v for k, v in row.items() if k != "registry_id"}
            if name == "responses":
                line_number = str(record.pop("line_number", "")).strip()
                line = next(
                    (
                        candidate
                        for candidate in target.case["treatment_lines"]
                        if str(candidate.get("number")) == line_number
                    ),
                    None,
                )
                if line is None:
                    orphans.append(f"{where} (no line {line_number or '?'} for {registry_id})")
                    continue
                line.setdefault("responses", []).append(record)
                target.record_where[("responses", id(record))] = where
                continue
            target.case[name].append(record)
            target.record_where[(name, id(record))] = where
    if orphans:
        raise ExchangeFileError(
            "Rows for a registry ID that is not in the patients table: " + "; ".join(orphans)
        )
    return list(located.values())


# --- import -----------------------------------------------------------------------------


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
        }


def _form_class(model: type[Model], fields: list[str]) -> type[forms.ModelForm]:
    return modelform_factory(model, fields=fields)


def _clean_input(values: dict, fields: list[str]) -> dict:
    """Form data from JSON or table cells, as a browser would send it: None becomes empty,
    booleans and numbers their text as in CSV files (so a number where a date belongs is
    refused as a date, not a crash); Excel's date cells stay dates."""
    data = {}
    for name in fields:
        value = values.get(name)
        if value is None:
            value = ""
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        data[name] = value
    return data


def _not_single_values(values: dict, fields: list[str]) -> list[str]:
    return [name for name in fields if isinstance(values.get(name), list | dict)]


def _key_value(value) -> str:
    """A natural-key part as text, the same from the database, JSON, CSV or an Excel cell."""
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


class _CaseImporter:
    def __init__(self, *, user, result: ImportResult, reason: str):
        self.user = user
        self.result = result
        self.reason = reason

    def error(self, where: str, field_name: str, message: str) -> None:
        self.result.errors.append(RecordError(where, field_name, message))

    def upsert(self, model, fields, values, where, *, existing, **fixed) -> Model | None:
        """Validate one record with the model's own rules and save it if it changed."""
        unknown = sorted(set(values) - set(fields) - {"responses", "meeting_date", "line_number"})
        if unknown:
            self.error(where, unknown[0], f"Unknown column(s): {', '.join(unknown)}.")
            return None
        if nested := _not_single_values(values, fields):
            for name in nested:
                self.error(where, name, "Expected one value here, not a list or an object.")
            return None
        instance = existing or model(**fixed)
        form = _form_class(model, fields)(data=_clean_input(values, fields), instance=instance)
        label = str(model._meta.verbose_name_plural)
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    self.error(where, name, message)
            return None
        if existing is not None and not form.has_changed():
            self.result.unchanged[label] += 1
            return existing
        try:
            with transaction.atomic():
                if model is Patient:
                    services.patient_save(
                        user=self.user, patient=form.instance, reason=self.reason, fields=fields
                    )
                else:
                    services.record_save(
                        user=self.user,
                        record=form.instance,
                        reason=self.reason,
                        refresh_summary=False,
                        fields=fields,
                    )
        except ValidationError as error:
            for name, message in _messages(error):
                self.error(where, name, message)
            return None
        except PermissionDenied as error:
            self.error(where, "centre", str(error))
            return None
        (self.result.updated if existing is not None else self.result.created)[label] += 1
        return form.instance

    def import_case(self, located: Located) -> None:
        case, where = located.case, located.where
        patient = self.patient(case, where)
        if patient is None:
            return
        for section in SECTIONS:
            self.section(patient, section, case.get(section.key), located)
        self.discussions(patient, case.get(DISCUSSIONS.key), located)
        services.patient_summary_refresh(patient)

    def patient(self, case: dict, where: str) -> Patient | None:
        registry_id = str(case.get("registry_id") or "").strip()
        code = str(case.get("centre") or "").strip()
        if not registry_id:
            self.error(where, "registry_id", "Every case needs its registry ID.")
            return None
        if not re.fullmatch(REGISTRY_ID_PATTERN, registry_id):
            self.error(where, "registry_id", "Use 3-20 capital letters, digits or hyphens.")
            return None
        if "\x00" in code:
            self.error(where, "centre", "Not a centre code.")
            return None
        centre = access.editable_centres(self.user).filter(code=code).first()
        if centre is None:
            self.error(where, "centre", f"Centre '{code}' is not one you can import into.")
            return None
        existing = Patient.objects.filter(registry_id=registry_id).first()
        if existing is not None and existing.centre_id != centre.pk:
            if access.patients(self.user, for_edit=True).filter(pk=existing.pk).exists():
                message = (
                    "This patient belongs to another centre; moving is an administrator's action."
                )
            else:
                message = "This registry ID is not available to you."
            self.error(where, "registry_id", message)
            return None
        values = {k: v for k, v in case.items() if not isinstance(v, list) and k != "centre"}
        return self.upsert(Patient, PATIENT_FIELDS, values, where, existing=existing, centre=centre)

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

    def section(self, patient, section: Section, records, located: Located) -> None:
        existing = {
            tuple(_key_value(getattr(r, k)) for k in section.natural_key): r
            for r in section.model.objects.filter(patient=patient)
        }
        for where, values in self.records(records, section.key, located.where, located):
            key = tuple(_key_value(values.get(k)) for k in section.natural_key)
            record = self.upsert(
                section.model,
                section.fields,
                values,
                where,
                existing=existing.get(key),
                patient=patient,
            )
            if record is not None and section.model is TreatmentLine:
                self.responses(patient, record, values.get("responses"), located, where)

    def responses(self, patient, line, records, located: Located, line_where: str) -> None:
        existing = {_key_value(r.assessed_on): r for r in line.responses.all()}
        for where, values in self.records(records, "responses", line_where, located):
            self.upsert(
                ResponseAssessment,
                RESPONSES.fields,
                values,
                where,
                existing=existing.get(_key_value(values.get("assessed_on"))),
                patient=patient,
                line=line,
            )

    def discussions(self, patient, records, located: Located) -> None:
        existing = {
            _key_value(d.meeting.held_on): d
            for d in CaseDiscussion.objects.filter(patient=patient).select_related("meeting")
        }
        for where, values in self.records(records, DISCUSSIONS.key, located.where, located):
            held_on = _key_value(values.get("meeting_date"))
            try:
                meeting_day = date.fromisoformat(held_on)
            except ValueError:
                self.error(where, "meeting_date", "Enter the meeting date as YYYY-MM-DD.")
                continue
            meeting = (
                existing[held_on].meeting
                if held_on in existing
                else (
                    BoardMeeting.objects.filter(centre=patient.centre, held_on=meeting_day).first()
                )
            )
            if meeting is None:
                meeting = services.board_meeting_save(
                    user=self.user,
                    meeting=BoardMeeting(centre=patient.centre, held_on=meeting_day),
                    specialties=[],
                    reason=self.reason,
                )
            self.upsert(
                CaseDiscussion,
                DISCUSSIONS_FIELDS,
                values,
                where,
                existing=existing.get(held_on),
                patient=patient,
                meeting=meeting,
            )


def import_cases(
    located: list[Located], *, user, dry_run: bool, reason: str, progress=None
) -> ImportResult:
    """All or nothing: every case is checked; anything wrong, or a dry run, writes nothing."""
    result = ImportResult(dry_run=dry_run, cases=len(located))
    if not access.is_data_manager(user):
        result.errors.append(RecordError("file", "__all__", "Only data managers can import."))
        return result
    importer = _CaseImporter(user=user, result=result, reason=reason)
    with transaction.atomic():
        for number, item in enumerate(located, 1):
            importer.import_case(item)
            if progress:
                progress(number, len(located))
        if not result.written:
            transaction.set_rollback(True)
    return result
