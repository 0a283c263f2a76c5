"""Export of whole cases (a selector): one query per record table, whatever the count."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Model, QuerySet

from registry.domain.dates import age_in_completed_years
from registry.models import CaseDiscussion, ResponseAssessment, TreatmentLine

from .sections import (
    DEIDENTIFIED_DROPS,
    DISCUSSIONS,
    DISCUSSIONS_FIELDS,
    FORMAT_VERSION,
    LINES,
    PATIENT_FIELDS,
    RESPONSES,
    SECTIONS,
    TABLES,
    Section,
)


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
    sections = {s.key: _rows(s.model, patients, s.fields) for s in SECTIONS if s is not LINES}
    lines = _rows(TreatmentLine, patients, LINES.fields, "id")
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
            if section is LINES:
                records = []
                for line in lines.get(pk, []):
                    line_id = line.pop("id")
                    records.append(
                        {**line, "responses": _sorted(responses.get(line_id, []), RESPONSES)}
                    )
            else:
                records = sections[section.key].get(pk, [])
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
