"""The codebook of the analysis datasets: each column's type, meaning and value labels.

Meanings come from `analytics.columns`; types and categories from the model fields the
columns are read from (`analytics.cohorts` reads the frames from the same fields), so the
codebook, the CSV, the R script's column classes and the Stata/SPSS files cannot disagree.
"""

from dataclasses import dataclass

from django.db import models

from registry.derived import PATIENT_FIELDS
from registry.models import (
    CrEpisodeSummary,
    LineSummary,
    Patient,
    PatientSummary,
    ProgressionSummary,
)
from registry.models.vocabularies import RegimenCategory

from .cohorts import LIVE_COLUMNS
from .columns import DATASETS

TEXT, INTEGER, NUMBER, DATE, BOOLEAN = "text", "integer", "number", "date", "boolean"
# Columns computed while the cohort is read (analytics.cohorts), not stored in a field.
COMPUTED_TYPES = {"mbc_diagnosis_year": INTEGER, "age_at_mbc_diagnosis": INTEGER}
# Text columns whose field has no choices of its own but holds a vocabulary's codes.
VOCABULARIES = {"regimen": RegimenCategory.choices, "regimen_at_opd": RegimenCategory.choices}
# What 1 and 0 mean where "yes"/"no" would not say it (the time-to-event indicators).
BOOLEAN_LABELS = {
    "cr_duration_event": ("progression or death", "censored at last contact"),
    "progression_or_death": ("progression or death", "censored at last contact"),
    "ps_pfs_event": ("progression or death", "censored at last contact"),
    "alive_at_last_contact": ("alive at last contact", "dead"),
}
YES_NO = ("yes", "no")
# Stata allows 32 characters in a name, also in a value label's, and pyreadstat names a
# variable's value labels after it plus a number: names are kept to 29 characters,
# shortened by these replacements, in order, and the codebook gives both names.
STATA_NAME_LENGTH = 29
STATA_ABBREVIATIONS = (
    ("_at_mbc_diagnosis", "_at_mbc_dx"),
    ("opd_surgery_", "opd_surg_"),
    ("_soft_tissue", "_soft"),
    ("_before_", "_bef_"),
    ("_during_", "_in_"),
)
FIELD_TYPES = (
    (models.BooleanField, BOOLEAN),
    (models.DateField, DATE),
    (models.FloatField, NUMBER),
    (models.IntegerField, INTEGER),  # the small and positive integer fields too
    (models.CharField, TEXT),
)


@dataclass(frozen=True)
class Variable:
    dataset: str
    column: str
    type: str
    meaning: str
    # Codes to labels: text codes for categories, 1/0 for booleans (True/False in the CSV).
    value_labels: tuple[tuple[object, str], ...] = ()

    @property
    def stata_name(self) -> str:
        name = self.column
        for long, short in STATA_ABBREVIATIONS:
            if len(name) <= STATA_NAME_LENGTH:
                break
            name = name.replace(long, short)
        if len(name) > STATA_NAME_LENGTH:
            raise ValueError(f"No Stata name of {STATA_NAME_LENGTH} characters for {self.column}.")
        return name

    def value_labels_text(self) -> str:
        if self.type == BOOLEAN:
            yes, no = self.value_labels
            return f"1 (True) = {yes[1]}; 0 (False) = {no[1]}"
        return "; ".join(f"{code} = {label}" for code, label in self.value_labels)


def _field(dataset: str, column: str) -> models.Field | None:
    if column in COMPUTED_TYPES:
        return None
    if column in LIVE_COLUMNS and (dataset == "patients" or column in ("registry_id", "centre")):
        lookup = LIVE_COLUMNS[column]
        if "__" in lookup:  # centre__code
            relation, name = lookup.split("__")
            return Patient._meta.get_field(relation).related_model._meta.get_field(name)
        return Patient._meta.get_field(lookup)
    if dataset == "patients":
        return PatientSummary._meta.get_field(PATIENT_FIELDS[column])
    model = {
        "episodes": CrEpisodeSummary,
        "lines": LineSummary,
        "progressions": ProgressionSummary,
    }[dataset]
    return model._meta.get_field(column)


def _type(field: models.Field | None, column: str) -> str:
    if field is None:
        return COMPUTED_TYPES[column]
    return next(kind for base, kind in FIELD_TYPES if isinstance(field, base))


def variable(dataset: str, column: str) -> Variable:
    field = _field(dataset, column)
    kind = _type(field, column)
    if kind == BOOLEAN:
        yes, no = BOOLEAN_LABELS.get(column, YES_NO)
        labels: tuple = ((1, yes), (0, no))
    else:
        choices = VOCABULARIES.get(column) or (field.choices if field is not None else None)
        labels = tuple((code, str(label)) for code, label in choices or ())
    return Variable(dataset, column, kind, DATASETS[dataset][column], labels)


def codebook(dataset: str) -> list[Variable]:
    """The dataset's variables in column order."""
    return [variable(dataset, column) for column in DATASETS[dataset]]


def codebook_rows() -> list[dict]:
    """Every dataset's variables, as rows of the codebook CSV."""
    return [
        {
            "dataset": v.dataset,
            "column": v.column,
            "stata_name": v.stata_name,
            "type": v.type,
            "meaning": v.meaning,
            "value_labels": v.value_labels_text(),
        }
        for dataset in DATASETS
        for v in codebook(dataset)
    ]
