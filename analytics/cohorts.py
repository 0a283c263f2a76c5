"""Which patients a report is computed from, and their analysis datasets as DataFrames.

Reads go through `registry.access` (the user's centres, archived patients left out) and
the derived tables `registry.derived` maintains (one query per table), never through views.
"""

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from django.db.models import QuerySet

from registry.derived import EPISODE_FIELDS, LINE_FIELDS, PATIENT_FIELDS, PROGRESSION_FIELDS
from registry.domain.dates import age_in_completed_years
from registry.domain.quality_rules import SelectionInputs
from registry.models import CrEpisodeSummary, LineSummary, Patient, ProgressionSummary
from registry.selectors import not_recorded_counts

from .columns import EPISODE_COLUMNS, LINE_COLUMNS, PATIENT_COLUMNS, PROGRESSION_COLUMNS
from .filters import CohortFilter, CohortFilterSet
from .quality import cohort_quality, patients_in_doubt

# Read live from the patient row (a join, no derivation): an edit or a move shows at once.
# The MBC diagnosis date comes last: the year and the age follow it in PATIENT_COLUMNS.
LIVE_COLUMNS = {
    "registry_id": "registry_id",
    "centre": "centre__code",
    "sex": "sex",
    "histology": "histology",
    "presentation": "presentation",
    "mbc_diagnosis_date": "mbc_diagnosis_date",
}
# The patient columns derived from the records (the rest are the live ones, year and age).
DERIVED_PATIENT_COLUMNS = [c for c in PATIENT_COLUMNS if c in PATIENT_FIELDS]


@dataclass(frozen=True)
class Frozen:
    """What a snapshot fixed at its freeze, where a live cohort asks the database."""

    snapshot: dict  # id, name, frozen_at, data_cutoff, data_version, centres
    frozen_at: datetime
    data_cutoff: date
    not_recorded: dict
    quality: dict
    # Step key -> registry IDs in doubt at the freeze; None for a snapshot frozen before
    # they were kept (its reports were stored then; its lists read today's doubt).
    in_doubt: dict[str, list[str]] | None = None


# A record dataset as a frame, or how to read it.
RecordFrame = pd.DataFrame | Callable[[], pd.DataFrame]


@dataclass(frozen=True)
class Cohort:
    """The analysis datasets of one selection of patients.

    The record datasets (`episodes`, `lines`, `progressions`) may be read when first
    asked for (`build_cohort`): most reports read only the patients, and at 100,000
    patients the line rows alone take half a second to fetch.
    """

    filters: CohortFilter
    patients: pd.DataFrame
    records: dict[str, RecordFrame] = field(repr=False)
    selection: dict = field(default_factory=dict)
    source: QuerySet[Patient] | None = field(default=None, compare=False, repr=False)
    frozen: Frozen | None = field(default=None, compare=False)

    def _records(self, dataset: str) -> pd.DataFrame:
        frame = self.records[dataset]
        if callable(frame):
            frame = self.records[dataset] = frame()
        return frame

    @property
    def episodes(self) -> pd.DataFrame:
        return self._records("episodes")

    @property
    def lines(self) -> pd.DataFrame:
        return self._records("lines")

    @property
    def progressions(self) -> pd.DataFrame:
        return self._records("progressions")

    @property
    def patient_ids(self):
        """The selected patients' ids as a subquery (a snapshot's: its patients by registry
        ID), for the quality and in-doubt counts."""
        if self.source is not None:
            return self.source.values("pk")
        registry_ids = self.patients["registry_id"].tolist()
        return Patient.objects.filter(registry_id__in=registry_ids).values("pk")

    def in_doubt(self, steps: Mapping[Hashable, SelectionInputs]) -> dict[Hashable, frozenset]:
        """Per selection step, the registry IDs in doubt (`analytics.quality`). A snapshot's
        are those frozen with it, so its in-doubt counts and the lists behind them state
        the doubt as it stood at the freeze (docs/decisions/0020-analysis-snapshots.md)."""
        if self.frozen is not None and self.frozen.in_doubt is not None:
            return {key: frozenset(self.frozen.in_doubt.get(str(key), ())) for key in steps}
        return patients_in_doubt(self.patient_ids, steps)

    @property
    def not_recorded(self) -> dict:
        """Records whose chart was silent, per field: asked only by reports (a query per table)."""
        if self.frozen is not None:
            return self.frozen.not_recorded
        return {} if self.source is None else not_recorded_counts(self.source)

    @property
    def quality(self) -> dict:
        """Open findings, open queries and reviews of the cohort's patients (one query)."""
        if self.frozen is not None:
            return self.frozen.quality
        return cohort_quality(self.patient_ids)

    @property
    def data_cutoff(self) -> date | None:
        """A snapshot's cut-off; else the latest date in the data: what the report can know."""
        if self.frozen is not None:
            return self.frozen.data_cutoff
        columns = ["last_contact_date", "death_date", "mbc_diagnosis_date"]
        present = [self.patients[c].dropna() for c in columns if c in self.patients]
        latest = [s.max() for s in present if not s.empty]
        return max(latest) if latest else None


def cohort_patients(visible: QuerySet[Patient], filters: CohortFilter) -> QuerySet[Patient]:
    """The active patients of `visible` (a user's `access.patients`) that pass the filters."""
    return CohortFilterSet.apply(visible.active(), filters)


def _sorted_rows(queryset: QuerySet, lookups: list[str], key_columns: int) -> list[tuple]:
    """The rows, ordered as Python orders the registry IDs (then the row number): sorted
    here, not by the database, whose collation may order them otherwise."""
    rows = queryset.order_by().values_list(*lookups)
    return sorted(rows, key=lambda row: row[:key_columns])


PATIENT_ROW_LOOKUPS = [*LIVE_COLUMNS.values(), "birth_date"]


def patient_row_head(row: tuple) -> tuple:
    """The live columns, the MBC year and the age of a row of PATIENT_ROW_LOOKUPS values
    (the birth date itself is left out of every dataset)."""
    live = len(LIVE_COLUMNS)
    diagnosis = row[live - 1]
    return (*row[:live], diagnosis.year, age_in_completed_years(row[live], diagnosis))


def _patient_rows(patients: QuerySet[Patient]) -> list[tuple]:
    """One tuple per patient in PATIENT_COLUMNS order: the live patient row and its summary."""
    derived = [f"summary__{PATIENT_FIELDS[c]}" for c in DERIVED_PATIENT_COLUMNS]
    rows = _sorted_rows(patients, [*PATIENT_ROW_LOOKUPS, *derived], 1)
    head = len(PATIENT_ROW_LOOKUPS)
    return [(*patient_row_head(row[:head]), *row[head:]) for row in rows]


def build_cohort(
    visible: QuerySet[Patient], filters: CohortFilter, *, all_at_once: bool = False
) -> Cohort:
    """Analysis datasets of the filtered patients; `visible` is what the caller may see.

    One query per derived table (`registry.derived`), read straight into the frames. The
    record datasets are read when first asked for, unless `all_at_once`: a caller that
    must hold every dataset as of one data version (the analysis package) reads them all
    before it checks the version again.
    """
    patients = cohort_patients(visible, filters)
    selected = patients.values("pk")
    patient_rows = _patient_rows(patients)

    def records(model, fields: list[str], columns) -> Callable[[], pd.DataFrame]:
        lookups = ["patient__registry_id", "patient__centre__code", *fields]
        return lambda: pd.DataFrame(
            _sorted_rows(model.objects.filter(patient__in=selected), lookups, 3),
            columns=list(columns),
        )

    readers = {
        "episodes": records(CrEpisodeSummary, EPISODE_FIELDS, EPISODE_COLUMNS),
        "lines": records(LineSummary, LINE_FIELDS, LINE_COLUMNS),
        "progressions": records(ProgressionSummary, PROGRESSION_FIELDS, PROGRESSION_COLUMNS),
    }
    return Cohort(
        filters=filters,
        patients=pd.DataFrame(patient_rows, columns=list(PATIENT_COLUMNS)),
        records=({name: read() for name, read in readers.items()} if all_at_once else readers),
        selection={
            "patients_visible": visible.active().count(),
            "patients_selected": len(patient_rows),
        },
        source=patients,
    )
