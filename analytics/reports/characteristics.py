"""Cohort characteristics ("Table 1") for any selection of patients."""

import pandas as pd

from analytics.cohorts import Cohort
from registry.domain.analysis import SITE_CATEGORIES
from registry.models.vocabularies import Histology

from .common import count, counts_by, describe, meta

SUBTYPES = ["HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "unknown"]
SUBTYPE_GROUPS = ["HR+/HER2-", "HER2+", "triple-negative", "unknown"]
HISTOLOGIES = list(Histology.values)


def site_count_band(sites: int) -> str:
    return {0: "none recorded", 1: "1", 2: "2"}.get(int(sites), "3 or more")


def characteristics(patients: pd.DataFrame) -> dict:
    """Table 1 of a patient frame; every category counted over all N, unknown included."""
    n = len(patients)
    return {
        "n": n,
        "age_at_mbc_diagnosis": describe(patients["age_at_mbc_diagnosis"]),
        "presentation": counts_by(patients["presentation"], ["de_novo", "recurrent"]),
        "histology": counts_by(patients["histology"], HISTOLOGIES),
        "subtype": counts_by(patients["subtype"], SUBTYPES),
        "subtype_group": counts_by(patients["subtype_group"], SUBTYPE_GROUPS),
        "hr_status": counts_by(patients["hr_status"], ["positive", "negative", "unknown"]),
        "her2_status": counts_by(
            patients["her2_status"], ["positive", "low", "zero", "negative", "equivocal", "unknown"]
        ),
        "sites_at_mbc_diagnosis": counts_by(
            patients["sites_at_mbc_diagnosis"].map(site_count_band),
            ["1", "2", "3 or more", "none recorded"],
        ),
        "site_categories_at_mbc_diagnosis": {
            category: count(int(patients[f"site_{category}_at_mbc_diagnosis"].sum()), n)
            for category in SITE_CATEGORIES
        },
        "lines_received": describe(patients["lines_received"]),
    }


def characteristics_report(cohort: Cohort, *, by_centre: bool = False) -> dict:
    report = {
        "meta": meta("characteristics", cohort),
        "overall": characteristics(cohort.patients),
    }
    if by_centre:
        report["by_centre"] = {
            centre: characteristics(group)
            for centre, group in cohort.patients.groupby("centre", sort=True)
        }
    return report
