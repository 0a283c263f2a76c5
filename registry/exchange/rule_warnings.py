"""An import's warnings: what the data-quality rules would find on the cases it leaves.

The importer checks a file in memory; for each case it hands over the patient and every
record the case will have (the file's, new or changed, and the stored ones the file does
not mention). The facts are built from those instances and the one rule set runs on them
(`registry.domain.quality_rules.case_findings`), so an import warns about exactly what
the rule run would then find. A warning never refuses an import. A finding someone has
confirmed as correct is not repeated (one query for the file's stored patients).
"""

from dataclasses import asdict, dataclass
from datetime import date

from django.db.models import Model

from registry.domain.quality_rules import RULE_BY_CODE, case_findings
from registry.finding_selectors import FACT_SOURCES, facts_from_records
from registry.models import Finding, FindingStatus, Patient

KIND_OF_MODEL = {model: slug for _name, _fact, model, slug in FACT_SOURCES}


@dataclass(frozen=True)
class ImportWarning:
    """A rule's finding on an imported case, located as the import's errors are."""

    case: str  # the registry ID
    where: str  # the record's place in the file, or the stored record the file leaves
    record_kind: str  # "" for the patient
    record_id: int | None  # the stored record's id; None for one the import creates
    field: str
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CaseAsLeft:
    """A case as the import would leave it: each record with its place in the file (None
    for a stored record the file does not mention)."""

    where: str
    patient: Patient
    records: list[tuple[Model, str | None]]


def import_warnings(cases: list[CaseAsLeft], *, today: date) -> list[ImportWarning]:
    """Every case's findings, in file order, less those confirmed as correct."""
    stored_ids = [case.patient.pk for case in cases if case.patient.pk is not None]
    confirmed = set()
    if stored_ids:
        confirmed = set(
            Finding.objects.filter(
                patient_id__in=stored_ids, status=FindingStatus.CONFIRMED
            ).values_list("rule", "patient_id", "record_kind", "record_id", "field_name")
        )
    return [warning for case in cases for warning in _case_warnings(case, today, confirmed)]


def _case_warnings(case: CaseAsLeft, today: date, confirmed: set) -> list[ImportWarning]:
    new_ids: dict[int, int] = {}  # id(instance) -> its stand-in id: negative, unique

    def record_key(record: Model) -> int:
        if record.pk is not None:
            return record.pk
        return new_ids.setdefault(id(record), -1 - len(new_ids))

    grouped: dict[str, list[Model]] = {}
    places: dict[tuple[str, int], tuple[str, int | None]] = {}
    registry_id = case.patient.registry_id
    for record, where in case.records:
        kind = KIND_OF_MODEL.get(type(record))
        if kind is None:
            continue  # no rule reads it (metastatic sites, radiotherapy, discussions)
        grouped.setdefault(kind, []).append(record)
        key = record_key(record)
        places[kind, key] = (
            where or f"{case.where} › stored {kind} #{record.pk}",
            record.pk,
        )
    facts = facts_from_records(case.patient, grouped, record_key=record_key)
    warnings = []
    for found in case_findings(facts, today=today):
        if found.key in confirmed:
            continue
        where, record_id = (
            places[found.record_kind, found.record_id] if found.record_kind else (case.where, None)
        )
        rule = RULE_BY_CODE[found.rule]
        warnings.append(
            ImportWarning(
                case=registry_id,
                where=where,
                record_kind=found.record_kind,
                record_id=record_id,
                field=found.field_name,
                rule=found.rule,
                severity=rule.severity.value,
                message=found.message,
            )
        )
    return warnings
