"""Which patients a report is computed from, and their analysis datasets as DataFrames.

Reads go through `registry.access` (the user's centres, archived patients left out) and
`registry.selectors.patient_data` (one query per record table), never through views.
"""

from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd
from django.db.models import QuerySet

from registry.models import Patient
from registry.selectors import not_recorded_counts, patient_data

from .columns import EPISODE_COLUMNS, LINE_COLUMNS, PATIENT_COLUMNS
from .quality import filter_by_review
from .variables import PatientFacts, episode_variables, line_variables, patient_variables


@dataclass(frozen=True)
class CohortFilter:
    """The filters every report, download, command and endpoint accepts."""

    centres: tuple[str, ...] = ()
    mbc_from: date | None = None
    mbc_to: date | None = None
    presentation: str = ""
    subtype: str = ""
    review: str = ""  # "", "reviewed" or "unreviewed" (analytics.quality.REVIEW_CHOICES)

    def as_dict(self) -> dict:
        values = asdict(self)
        values["centres"] = list(self.centres)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


@dataclass(frozen=True)
class Cohort:
    """The analysis datasets of one selection of patients."""

    filters: CohortFilter
    patients: pd.DataFrame
    episodes: pd.DataFrame
    lines: pd.DataFrame
    selection: dict = field(default_factory=dict)
    source: QuerySet[Patient] | None = field(default=None, compare=False, repr=False)

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
    patients = visible.active()
    if filters.centres:
        patients = patients.filter(centre__code__in=filters.centres)
    if filters.mbc_from:
        patients = patients.filter(mbc_diagnosis_date__gte=filters.mbc_from)
    if filters.mbc_to:
        patients = patients.filter(mbc_diagnosis_date__lte=filters.mbc_to)
    if filters.presentation:
        patients = patients.filter(presentation=filters.presentation)
    if filters.subtype:
        patients = patients.filter(summary__subtype=filters.subtype)
    return filter_by_review(patients, filters.review)


def build_cohort(visible: QuerySet[Patient], filters: CohortFilter) -> Cohort:
    """Analysis datasets of the filtered patients; `visible` is what the caller may see."""
    patients = cohort_patients(visible, filters)
    facts = {
        pk: PatientFacts(registry_id, centre, sex, birth, histology)
        for pk, registry_id, centre, sex, birth, histology in patients.values_list(
            "pk", "registry_id", "centre__code", "sex", "birth_date", "histology"
        )
    }
    data = patient_data(patients)
    ordered = sorted(facts, key=lambda pk: facts[pk].registry_id)
    patient_rows = [patient_variables(facts[pk], data[pk]) for pk in ordered]
    episode_rows = [row for pk in ordered for row in episode_variables(facts[pk], data[pk])]
    line_rows = [row for pk in ordered for row in line_variables(facts[pk], data[pk])]
    return Cohort(
        filters=filters,
        patients=pd.DataFrame(patient_rows, columns=list(PATIENT_COLUMNS)),
        episodes=pd.DataFrame(episode_rows, columns=list(EPISODE_COLUMNS)),
        lines=pd.DataFrame(line_rows, columns=list(LINE_COLUMNS)),
        selection={
            "patients_visible": visible.active().count(),
            "patients_selected": len(patient_rows),
        },
        source=patients,
    )
