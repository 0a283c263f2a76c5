"""Locoregional oligoprogression report (Bianco et al. 2025; DEFINITIONS.md)."""

import pandas as pd

from analytics import survival
from analytics.cohorts import Cohort
from analytics.quality import patients_in_doubt
from registry.domain.analysis import OPD_INCLUDED, PROCEDURES
from registry.domain.oligoprogression import OpdExclusion
from registry.domain.quality_rules import OPD_STEP_INPUTS, SUBTYPE_INPUTS
from registry.domain.regimens import ANTI_HER2_INDUCTION_MONTHS, ANTI_HER2_NO_MAINTENANCE_DATE

from .characteristics import SUBTYPE_GROUPS
from .common import SUBTYPE, count, counts_by, describe, in_doubt, meta

# The paper's flow, after the patients with a locoregional OPD (Bianco 2025).
SELECTION_STEPS = [
    ("de novo", OpdExclusion.NOT_DE_NOVO.value),
    ("with breast/axillary surgery after the OPD", OpdExclusion.NO_BREAST_SURGERY.value),
    ("systemic line continued after surgery", OpdExclusion.LINE_NOT_CONTINUED.value),
]
PRE_OPD_GROUPS = [">= 12 months", "< 12 months"]
NOT_TESTED = "log-rank not tested: fewer than two groups have patients"
HAZARD_RATIO_NOT_ESTIMABLE = (
    "hazard ratio not estimable: a group without events, or the Cox model does not converge"
)
REGIMEN_AT_OPD_RULE = (
    "An anti-HER2 line is 'maintenance' from its recorded maintenance start date. Without "
    f"one, it is 'induction' for its first {ANTI_HER2_INDUCTION_MONTHS} months and, from "
    f"then on, '{ANTI_HER2_NO_MAINTENANCE_DATE}': neither presumed (docs/decisions/"
    "0010-anti-her2-line-without-maintenance-date.md)."
)


def _by_subtype(frame: pd.DataFrame) -> dict[str, int]:
    return {g: int((frame["subtype_group"] == g).sum()) for g in SUBTYPE_GROUPS}


def selection(patients: pd.DataFrame, doubt: dict) -> list[dict]:
    """The flow from the patients with a locoregional OPD to the OPD-surgery cohort.

    Each step has its count and the remaining n, overall and by subtype group, and the
    patients it decides on whose data it reads are in doubt (`doubt`: registry IDs per
    exclusion, from `analytics.quality.patients_in_doubt`).
    """
    remaining = patients[patients["opd_selection"] != OpdExclusion.NO_LOCOREGIONAL_OPD.value]
    steps = [
        {
            "step": "patients with a locoregional oligoprogression",
            "excluded": 0,
            "remaining": len(remaining),
            "excluded_by_subtype": dict.fromkeys(SUBTYPE_GROUPS, 0),
            "remaining_by_subtype": _by_subtype(remaining),
            "in_doubt": in_doubt(patients, doubt[OpdExclusion.NO_LOCOREGIONAL_OPD]),
        }
    ]
    for label, exclusion in SELECTION_STEPS:
        entering = remaining
        excluded = remaining[remaining["opd_selection"] == exclusion]
        remaining = remaining[remaining["opd_selection"] != exclusion]
        steps.append(
            {
                "step": label,
                "excluded": len(excluded),
                "excluded_reason": exclusion,
                "remaining": len(remaining),
                "excluded_by_subtype": _by_subtype(excluded),
                "remaining_by_subtype": _by_subtype(remaining),
                "in_doubt": in_doubt(entering, doubt[OpdExclusion(exclusion)]),
            }
        )
    return steps


def registry_denominators(patients: pd.DataFrame) -> dict:
    """The whole selection the flow starts from: presentation and locoregional OPD."""
    with_opd = patients["opd_selection"] != OpdExclusion.NO_LOCOREGIONAL_OPD.value
    n = len(patients)
    return {
        "patients": n,
        "de_novo": count(int((patients["presentation"] == "de_novo").sum()), n),
        "with_locoregional_opd": count(int(with_opd.sum()), n),
        "de_novo_with_locoregional_opd": count(
            int((with_opd & (patients["presentation"] == "de_novo")).sum()),
            int((patients["presentation"] == "de_novo").sum()),
        ),
    }


def _km(frame: pd.DataFrame, duration: str, event: str) -> dict:
    known = frame.dropna(subset=[duration])
    return survival.kaplan_meier(known[duration].astype(float), known[event].astype(bool)).as_dict()


def _all_events_km(frame: pd.DataFrame, duration: str) -> dict:
    """Times that always end in their event (pre-OPD PFS, OPD to surgery): KM medians."""
    known = frame.dropna(subset=[duration])
    return survival.kaplan_meier(
        known[duration].astype(float), pd.Series(True, index=known.index)
    ).as_dict()


def _comparison(frame: pd.DataFrame, column: str, groups: list[str]) -> dict:
    compared = frame[frame[column].isin(groups)].dropna(subset=["ps_pfs_months"])
    result = {
        "groups": groups,
        "log_rank": None,
        "hazard_ratio": None,
        "note": NOT_TESTED,
    }
    present = [g for g in groups if (compared[column] == g).any()]
    if len(present) >= 2:
        result["note"] = ""
        result["log_rank"] = survival.log_rank(
            compared["ps_pfs_months"].astype(float),
            compared["ps_pfs_event"].astype(bool),
            compared[column].astype(str),
        ).as_dict()
        if len(groups) == 2:
            ratio = survival.hazard_ratio(
                compared["ps_pfs_months"].astype(float),
                compared["ps_pfs_event"].astype(bool),
                (compared[column] == groups[1]).to_numpy(),
            )
            result["hazard_ratio"] = ratio.as_dict() if ratio else None
            result["hazard_ratio_of"] = f"{groups[1]} vs {groups[0]}"
            result["note"] = "" if ratio else HAZARD_RATIO_NOT_ESTIMABLE
    return result


def oligoprogression(patients: pd.DataFrame, doubt: dict) -> dict:
    cohort = patients[patients["opd_selection"] == OPD_INCLUDED]
    n = len(cohort)
    present_subtypes = [g for g in SUBTYPE_GROUPS if (cohort["subtype_group"] == g).any()]
    return {
        "selection": selection(patients, doubt),
        "registry_denominators": registry_denominators(patients),
        "n": n,
        "subtype_group": counts_by(cohort["subtype_group"], SUBTYPE_GROUPS),
        "subtype_in_doubt": in_doubt(cohort, doubt[SUBTYPE]),
        "line_at_opd": describe(cohort["line_at_opd"]),
        "regimen_at_opd_by_subtype": {
            group: counts_by(cohort.loc[cohort["subtype_group"] == group, "regimen_group_at_opd"])
            for group in present_subtypes
        },
        "pre_opd_pfs": _all_events_km(cohort, "pre_opd_pfs_months"),
        "pre_opd_pfs_group": counts_by(cohort["pre_opd_pfs_group"], PRE_OPD_GROUPS),
        "opd_to_surgery": _all_events_km(cohort, "opd_to_surgery_months"),
        "procedures": {
            p: count(int(cohort[f"opd_surgery_{p}"].astype(bool).sum()), n) for p in PROCEDURES
        },
        "ps_pfs": {
            "overall": _km(cohort, "ps_pfs_months", "ps_pfs_event"),
            "by_subtype_group": {
                g: _km(cohort[cohort["subtype_group"] == g], "ps_pfs_months", "ps_pfs_event")
                for g in present_subtypes
            },
            "by_pre_opd_pfs_group": {
                g: _km(cohort[cohort["pre_opd_pfs_group"] == g], "ps_pfs_months", "ps_pfs_event")
                for g in PRE_OPD_GROUPS
            },
            "subtype_comparison": _comparison(cohort, "subtype_group", ["HR+/HER2-", "HER2+"]),
            "pre_opd_pfs_comparison": _comparison(cohort, "pre_opd_pfs_group", PRE_OPD_GROUPS),
        },
        "follow_up_from_opd": survival.reverse_km_follow_up(
            cohort["follow_up_from_opd_months"].dropna().astype(float),
            ~cohort.dropna(subset=["follow_up_from_opd_months"])["alive_at_last_contact"].astype(
                bool
            ),
        ).as_dict(),
    }


def oligoprogression_report(cohort: Cohort, *, by_centre: bool = False) -> dict:
    doubt = patients_in_doubt(cohort.patient_ids, {**OPD_STEP_INPUTS, SUBTYPE: SUBTYPE_INPUTS})
    report = {
        "meta": meta("opd", cohort, regimen_at_opd=REGIMEN_AT_OPD_RULE),
        "overall": oligoprogression(cohort.patients, doubt),
    }
    if by_centre:
        report["by_centre"] = {
            centre: oligoprogression(group, doubt)
            for centre, group in cohort.patients.groupby("centre", sort=True)
        }
    return report
