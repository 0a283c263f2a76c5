"""Which patients a report is computed from, and their analysis datasets as DataFrames.

Reads go through `registry.access` (the user's centres, archived patients left out) and
the derived tables `registry.derived` maintains (one query per table), never through views.
"""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from django.db.models import QuerySet

from registry.derived import EPISODE_FIELDS, LINE_FIELDS, PATIENT_FIELDS, PROGRESSION_FIELDS
from registry.domain.dates import age_in_completed_years
from registry.models import CrEpisodeSummary, LineSummary, Patient, ProgressionSummary
from registry.selectors import not_recorded_counts

from .columns import EPISODE_COLUMNS, LINE_COLUMNS, PATIENT_COLUMNS, PROGRESSION_COLUMNS
from .filters import CohortFilter, CohortFilterSet

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


@dataclass(frozen=True)
class Cohort:
    """The analysis datasets of one selection of patients."""

    filters: CohortFilter
    patients: pd.DataFrame
    episodes: pd.DataFrame
    lines: pd.DataFrame
    progressions: pd.DataFrame
    selection: dict = field(default_factory=dict)
    source: QuerySet[Patient] | None = field(default=None, compare=False, repr=False)

    @property
    def patient_ids(self):
        """The selected patients' ids as a subquery, for the reports' quality counts (none
        for a cohort built from frames alone)."""
        return [] if self.source is None else self.source.values("pk")

    @property
    def not_recorded(self) -> dict:
        """Records whose chart was silent, per field: asked only by reports (a query per table)."""
        return {} if self.source is None else not_recorded_counts(self.source)

    @property
    def data_cutoff(self) -> date | None:
        """The latest date in the data: what the report can know about."""
        columns = ["last_contact_date", "death_date", "mbc_diagnosis_date"]
        present = [self.patients[c].dropna() for c in columns if c in self.patients]
        latest = [s.max() for s in present if not s.empty]
        return max(latest) if latest else None


def cohort_patients(visible: QuerySet[Patient], filters: CohortFilter) -> QuerySet[Patient]:
    """The active patients of `visible` (a user's `access.patients`) that pass the filters."""
    return CohortFilterSet.apply(visible.active(), filters)


def _sorted_rows(queryset: QuerySet, lookups: list[str], key_columns: int) -> list[tuple]:
    """The rows, ordered as Python orders the registry IDs (then the row number)."""
    return sorted(queryset.values_list(*lookups), key=lambda row: row[:key_columns])


def _patient_rows(patients: QuerySet[Patient]) -> list[tuple]:
    """One tuple per patient in PATIENT_COLUMNS order: the live patient row and its summary."""
    derived = [f"summary__{PATIENT_FIELDS[c]}" for c in PATIENT_COLUMNS if c in PATIENT_FIELDS]
    rows = _sorted_rows(patients, [*LIVE_COLUMNS.values(), "birth_date", *derived], 1)
    live = len(LIVE_COLUMNS)
    return [
        (
            *row[:live],
            row[live - 1].year,
            age_in_completed_years(row[live], row[live - 1]),
            *row[live + 1 :],
        )
        for row in rows
    ]


def build_cohort(visible: QuerySet[Patient], filters: CohortFilter) -> Cohort:
    """Analysis datasets of the filtered patients; `visible` is what the caller may see.

    One query per derived table (`registry.derived`), read straight into the frames.
    """
    patients = cohort_patients(visible, filters)
    selected = patients.values("pk")
    patient_rows = _patient_rows(patients)
    episode_rows = _sorted_rows(
        CrEpisodeSummary.objects.filter(patient__in=selected),
        ["patient__registry_id", "patient__centre__code", *EPISODE_FIELDS],
        3,
    )
    line_rows = _sorted_rows(
        LineSummary.objects.filter(patient__in=selected),
        ["patient__registry_id", "patient__centre__code", *LINE_FIELDS],
        3,
    )
    progression_rows = _sorted_rows(
        ProgressionSummary.objects.filter(patient__in=selected),
        ["patient__registry_id", "patient__centre__code", *PROGRESSION_FIELDS],
        3,
    )
    return Cohort(
        filters=filters,
        patients=pd.DataFrame(patient_rows, columns=list(PATIENT_COLUMNS)),
        episodes=pd.DataFrame(episode_rows, columns=list(EPISODE_COLUMNS)),
        lines=pd.DataFrame(line_rows, columns=list(LINE_COLUMNS)),
        progressions=pd.DataFrame(progression_rows, columns=list(PROGRESSION_COLUMNS)),
        selection={
            "patients_visible": visible.active().count(),
            "patients_selected": len(patient_rows),
        },
        source=patients,
    )
