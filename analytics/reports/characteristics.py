"""Cohort characteristics ("Table 1") for any selection of patients."""

import pandas as pd

from analytics.cohorts import Cohort
from registry.domain.analysis import SITE_CATEGORIES
from registry.models.vocabularies import Histology

from .common import Counted, count, counts_by, describe, meta, numbers

SUBTYPES = ["HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "unknown"]
SUBTYPE_GROUPS = ["HR+/HER2-", "HER2+", "triple-negative", "unknown"]
HISTOLOGIES = list(Histology.values)
# What the list behind a count of the whole selection shows beside the registry ID.
PATIENT_FACTS = ("mbc_diagnosis_date", "presentation", "subtype")


def site_count_band(sites: int) -> str:
    return {0: "none recorded", 1: "1", 2: "2"}.get(int(sites), "3 or more")


def characteristics(patients: pd.DataFrame) -> dict:
    """Table 1 of a patient frame; every category counted over all N, unknown included."""
    everyone = Counted(patients, PATIENT_FACTS)
    return {
        "n": everyone,
        "age_at_mbc_diagnosis": describe(patients, "age_at_mbc_diagnosis"),
        "presentation": counts_by(patients, "presentation", ["de_novo", "recurrent"]),
        "histology": counts_by(patients, "histology", HISTOLOGIES),
        "subtype": counts_by(patients, "subtype", SUBTYPES),
        "subtype_group": counts_by(patients, "subtype_group", SUBTYPE_GROUPS),
        "hr_status": counts_by(patients, "hr_status", ["positive", "negative", "unknown"]),
        "her2_status": counts_by(
            patients, "her2_status", ["positive", "low", "zero", "negative", "equivocal", "unknown"]
        ),
        "sites_at_mbc_diagnosis": counts_by(
            patients,
            "sites_at_mbc_diagnosis",
            ["1", "2", "3 or more", "none recorded"],
            values=patients["sites_at_mbc_diagnosis"].map(site_count_band),
        ),
        "site_categories_at_mbc_diagnosis": {
            category: count(
                Counted(
                    patients,
                    (f"site_{category}_at_mbc_diagnosis",),
                    where=patients[f"site_{category}_at_mbc_diagnosis"].astype(bool).to_numpy(),
                ),
                everyone,
            )
            for category in SITE_CATEGORIES
        },
        "lines_received": describe(patients, "lines_received"),
    }


def characteristics_counts(cohort: Cohort, *, by_centre: bool = False) -> dict:
    """The report's figures, each count with its rows (analytics.drilldown lists them)."""
    counts = {"overall": characteristics(cohort.patients)}
    if by_centre:
        counts["by_centre"] = {
            centre: characteristics(group)
            for centre, group in cohort.patients.groupby("centre", sort=True)
        }
    return counts


def characteristics_report(cohort: Cohort, *, by_centre: bool = False) -> dict:
    return {
        "meta": meta("characteristics", cohort),
        **numbers(characteristics_counts(cohort, by_centre=by_centre)),
    }
