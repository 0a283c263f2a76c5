"""The derived tables (patient, CR episode, line and progression summaries): refreshed,
rebuilt, checked.

`services.patient_summary_refresh` calls `refresh` in every write's transaction; a few
queries for any number of patients: a lock on the patients' rows, their records
(`selectors.patient_data`), then a delete and a bulk insert per table. `rebuild` redoes
every patient in batches (after a bulk load or a change of a derivation rule) and
`drifted` compares the stored rows with a fresh derivation, so the tables never drift
silently (docs/decisions/0014-derived-analysis-tables.md).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from . import bulk
from .domain.analysis import DerivedFacts, derived_facts
from .domain.cutoff import course_at_cutoff
from .models import CrEpisodeSummary, LineSummary, Patient, PatientSummary, ProgressionSummary
from .selectors import PatientData, patient_data

# Analysis column -> PatientSummary field, where the patient list named the field first.
RENAMED = {
    "cr_episodes": "cr_episode_count",
    "lines_received": "line_count",
    "last_contact_date": "last_contact",
    "opd_date": "first_locoregional_opd_date",
}
# Kept by the data-quality rules (`finding_services.findings_refresh`) for the patient list.
SUMMARY_ONLY = ("warning_count",)
EPISODE_FIELDS = (
    "episode",
    "first_cr_date",
    "line",
    "during_maintenance",
    "ended_on",
    "ended_by",
    "duration_months",
    "progression_or_death",
)
LINE_FIELDS = (
    "line",
    "regimen",
    "regimen_group",
    "start_date",
    "maintenance_start_date",
    "end_date",
    "end_reason",
    "evaluable",
    "cr",
)
PROGRESSION_FIELDS = ("progression", "progression_date", "progression_event", "pd_assessment")
BATCH_SIZE = 2000


def _patient_columns() -> dict[str, str]:
    """Every derived per-patient column and its PatientSummary field, in field order."""
    skipped = {"patient", "refreshed_at", *SUMMARY_ONLY}
    fields = [f.name for f in PatientSummary._meta.concrete_fields if f.name not in skipped]
    columns = {field: column for column, field in RENAMED.items()}
    return {columns.get(field, field): field for field in fields}


PATIENT_FIELDS = _patient_columns()


@dataclass(frozen=True)
class DerivedRows:
    """The four tables' rows of some patients, as field -> value mappings."""

    patients: dict[int, dict]
    episodes: dict[int, list[dict]]
    lines: dict[int, list[dict]]
    progressions: dict[int, list[dict]]


def derive(patients, data: dict[int, PatientData] | None = None) -> DerivedRows:
    """A fresh derivation of the patients of a queryset (one query per record table), or
    of their `data` when the caller holds every record of them (`selectors.patient_data_of`)."""
    rows = DerivedRows({}, {}, {}, {})
    for pk, item in (patient_data(patients) if data is None else data).items():
        facts = derived_facts(item.course, item.receptors)
        rows.patients[pk] = {
            field: facts.patient[column] for column, field in PATIENT_FIELDS.items()
        }
        rows.episodes[pk] = facts.episodes
        rows.lines[pk] = facts.lines
        rows.progressions[pk] = facts.progressions
    return rows


def derive_at_cutoff(patients, cutoff: date) -> dict[int, DerivedFacts | None]:
    """A fresh derivation of the patients of a queryset as they stood at a data cut-off
    (`domain.cutoff`); None for a patient diagnosed after it. One query per record table."""
    derived = {}
    for pk, item in patient_data(patients).items():
        at_cutoff = course_at_cutoff(item.course, item.receptors, cutoff)
        derived[pk] = None if at_cutoff is None else derived_facts(*at_cutoff)
    return derived


def _write(patients, rows: DerivedRows) -> None:
    """Replace the stored rows of `patients` (a queryset) by `rows`: 3 deletes, 4 inserts
    (the row tables with COPY on PostgreSQL, `bulk.insert`).

    The patient rows are upserted, so the warning count the rules keep in them survives."""
    ids = patients.values("pk")
    CrEpisodeSummary.objects.filter(patient__in=ids).delete()
    LineSummary.objects.filter(patient__in=ids).delete()
    ProgressionSummary.objects.filter(patient__in=ids).delete()
    PatientSummary.objects.bulk_create(
        [PatientSummary(patient_id=pk, **row) for pk, row in rows.patients.items()],
        update_conflicts=True,
        unique_fields=["patient"],
        update_fields=[*PATIENT_FIELDS.values(), "refreshed_at"],
    )
    bulk.insert(
        CrEpisodeSummary,
        [
            CrEpisodeSummary(patient_id=pk, **row)
            for pk, episodes in rows.episodes.items()
            for row in episodes
        ],
    )
    bulk.insert(
        LineSummary,
        [LineSummary(patient_id=pk, **row) for pk, lines in rows.lines.items() for row in lines],
    )
    bulk.insert(
        ProgressionSummary,
        [
            ProgressionSummary(patient_id=pk, **row)
            for pk, progressions in rows.progressions.items()
            for row in progressions
        ],
    )


def refresh(patient_ids: Iterable[int], data: dict[int, PatientData] | None = None) -> None:
    """Recompute the derived rows of these patients, in the caller's transaction; from
    their `data` if the caller holds every record of them (an import), else read."""
    ids = list(patient_ids)
    patients = Patient.objects.filter(pk__in=ids)
    with transaction.atomic(savepoint=False):  # the write's own transaction, if it has one
        # Two writes to one patient's records refresh one after the other: each write holds
        # the patient's row from its start (`case_locks.lock_cases`), so the second reads the
        # first's committed records and replaces its rows.
        _write(patients, derive(patients, data))


def _batches(batch_size: int) -> Iterator:
    """Every patient, as querysets of consecutive primary keys (an index range each)."""
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        yield Patient.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1])


def rebuild(batch_size: int = BATCH_SIZE) -> int:
    """Recompute every patient's rows, a transaction per batch; returns the patients done."""
    done = 0
    for patients in _batches(batch_size):
        with transaction.atomic():
            rows = derive(patients)
            _write(patients, rows)
        done += len(rows.patients)
    return done


def _stored(patients) -> DerivedRows:
    ids = patients.values("pk")
    summary_fields = list(PATIENT_FIELDS.values())
    rows = DerivedRows({}, {}, {}, {})
    for pk, *values in PatientSummary.objects.filter(patient__in=ids).values_list(
        "patient_id", *summary_fields
    ):
        rows.patients[pk] = dict(zip(summary_fields, values, strict=True))
    for table, fields, target in (
        (CrEpisodeSummary, EPISODE_FIELDS, rows.episodes),
        (LineSummary, LINE_FIELDS, rows.lines),
        (ProgressionSummary, PROGRESSION_FIELDS, rows.progressions),
    ):
        stored = table.objects.filter(patient__in=ids).order_by("patient", fields[0])
        for pk, *values in stored.values_list("patient_id", *fields):
            target.setdefault(pk, []).append(dict(zip(fields, values, strict=True)))
    return rows


def drifted(batch_size: int = BATCH_SIZE) -> list[str]:
    """Registry IDs of the patients whose stored rows differ from a fresh derivation."""
    differing = []
    for patients in _batches(batch_size):
        fresh, stored = derive(patients), _stored(patients)
        names = dict(patients.values_list("pk", "registry_id"))
        for pk in names:
            if (
                fresh.patients.get(pk) != stored.patients.get(pk)
                or fresh.episodes.get(pk, []) != stored.episodes.get(pk, [])
                or fresh.lines.get(pk, []) != stored.lines.get(pk, [])
                or fresh.progressions.get(pk, []) != stored.progressions.get(pk, [])
            ):
                differing.append(names[pk])
    return sorted(differing)
