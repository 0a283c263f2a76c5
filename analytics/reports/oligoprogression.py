"""Locoregional oligoprogression report (Bianco et al. 2025; DEFINITIONS.md)."""

import pandas as pd

from analytics import survival
from analytics.cohorts import Cohort
from registry.domain.analysis import OPD_INCLUDED, PROCEDURES
from registry.domain.oligoprogression import OpdExclusion
from registry.domain.quality_rules import OPD_STEP_INPUTS, SUBTYPE_INPUTS
from registry.domain.regimens import ANTI_HER2_INDUCTION_MONTHS, ANTI_HER2_NO_MAINTENANCE_DATE

from .characteristics import SUBTYPE_GROUPS
from .common import (
    SUBTYPE,
    Counted,
    count,
    counts_by,
    describe,
    in_doubt,
    kaplan_meier,
    meta,
    numbers,
)

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


# What the list behind a count of the selection shows beside the registry ID and centre.
SELECTION_FACTS = (
    "presentation",
    "subtype_group",
    "opd_date",
    "opd_surgery_date",
    "line_continued_after_surgery",
    "opd_selection",
)
COHORT_FACTS = ("opd_date", "subtype_group", "line_at_opd", "regimen_group_at_opd")


def _selected(frame: pd.DataFrame, where=None) -> Counted:
    return Counted(frame, SELECTION_FACTS, where=where)


def _by_subtype(frame: pd.DataFrame) -> dict[str, Counted]:
    return {g: _selected(frame, (frame["subtype_group"] == g).to_numpy()) for g in SUBTYPE_GROUPS}


def selection(patients: pd.DataFrame, doubt: dict) -> list[dict]:
    """The flow from the patients with a locoregional OPD to the OPD-surgery cohort.

    Each step has the patients it starts from, those it excludes and those remaining,
    overall, and the excluded and remaining by subtype group; and of the patients it
    decides on, those whose data it reads are in doubt (`doubt`: registry IDs per
    exclusion, from `Cohort.in_doubt`).
    """
    remaining = patients[patients["opd_selection"] != OpdExclusion.NO_LOCOREGIONAL_OPD.value]
    nobody = remaining.iloc[0:0]
    steps = [
        {
            "step": "patients with a locoregional oligoprogression",
            "entered": _selected(remaining),
            "excluded": _selected(nobody),
            "remaining": _selected(remaining),
            "excluded_by_subtype": _by_subtype(nobody),
            "remaining_by_subtype": _by_subtype(remaining),
            "in_doubt": in_doubt(_selected(patients), doubt[OpdExclusion.NO_LOCOREGIONAL_OPD]),
        }
    ]
    for label, exclusion in SELECTION_STEPS:
        entered = remaining
        excluded = entered[entered["opd_selection"] == exclusion]
        remaining = entered[entered["opd_selection"] != exclusion]
        steps.append(
            {
                "step": label,
                "entered": _selected(entered),
                "excluded": _selected(excluded),
                "excluded_reason": exclusion,
                "remaining": _selected(remaining),
                "excluded_by_subtype": _by_subtype(excluded),
                "remaining_by_subtype": _by_subtype(remaining),
                "in_doubt": in_doubt(_selected(entered), doubt[OpdExclusion(exclusion)]),
            }
        )
    return steps


def registry_denominators(patients: pd.DataFrame) -> dict:
    """The whole selection the flow starts from: presentation and locoregional OPD."""
    with_opd = patients["opd_selection"] != OpdExclusion.NO_LOCOREGIONAL_OPD.value
    de_novo = patients["presentation"] == "de_novo"
    everyone = _selected(patients)
    return {
        "patients": everyone,
        "de_novo": count(_selected(patients, de_novo.to_numpy()), everyone),
        "with_locoregional_opd": count(_selected(patients, with_opd.to_numpy()), everyone),
        "de_novo_with_locoregional_opd": count(
            _selected(patients, (with_opd & de_novo).to_numpy()),
            _selected(patients, de_novo.to_numpy()),
        ),
    }


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


def oligoprogression(patients: pd.DataFrame, doubt: dict, *, comparisons: bool) -> dict:
    """The figures of one selection of patients; `comparisons` adds the log-rank tests and
    Cox models between groups, which count nothing (a drill-down list goes without them)."""
    cohort = patients[patients["opd_selection"] == OPD_INCLUDED]
    everyone = Counted(cohort, COHORT_FACTS)
    present_subtypes = [g for g in SUBTYPE_GROUPS if (cohort["subtype_group"] == g).any()]
    return {
        "selection": selection(patients, doubt),
        "registry_denominators": registry_denominators(patients),
        "n": everyone,
        "subtype_group": counts_by(cohort, "subtype_group", SUBTYPE_GROUPS),
        "subtype_in_doubt": in_doubt(everyone, doubt[SUBTYPE]),
        "line_at_opd": describe(cohort, "line_at_opd"),
        "regimen_at_opd_by_subtype": {
            group: counts_by(cohort[cohort["subtype_group"] == group], "regimen_group_at_opd")
            for group in present_subtypes
        },
        "pre_opd_pfs": kaplan_meier(cohort, "pre_opd_pfs_months", None),
        "pre_opd_pfs_group": counts_by(cohort, "pre_opd_pfs_group", PRE_OPD_GROUPS),
        "opd_to_surgery": kaplan_meier(cohort, "opd_to_surgery_months", None),
        "procedures": {
            p: count(
                Counted(
                    cohort,
                    (f"opd_surgery_{p}",),
                    where=cohort[f"opd_surgery_{p}"].astype(bool).to_numpy(),
                ),
                everyone,
            )
            for p in PROCEDURES
        },
        "ps_pfs": {
            "overall": kaplan_meier(cohort, "ps_pfs_months", "ps_pfs_event"),
            "by_subtype_group": {
                g: kaplan_meier(
                    cohort[cohort["subtype_group"] == g], "ps_pfs_months", "ps_pfs_event"
                )
                for g in present_subtypes
            },
            "by_pre_opd_pfs_group": {
                g: kaplan_meier(
                    cohort[cohort["pre_opd_pfs_group"] == g], "ps_pfs_months", "ps_pfs_event"
                )
                for g in PRE_OPD_GROUPS
            },
            **(
                {
                    "subtype_comparison": _comparison(
                        cohort, "subtype_group", ["HR+/HER2-", "HER2+"]
                    ),
                    "pre_opd_pfs_comparison": _comparison(
                        cohort, "pre_opd_pfs_group", PRE_OPD_GROUPS
                    ),
                }
                if comparisons
                else {}
            ),
        },
        "follow_up_from_opd": survival.reverse_km_follow_up(
            cohort["follow_up_from_opd_months"].dropna().astype(float),
            ~cohort.dropna(subset=["follow_up_from_opd_months"])["alive_at_last_contact"].astype(
                bool
            ),
        ).as_dict(),
    }


def oligoprogression_counts(
    cohort: Cohort, *, by_centre: bool = False, comparisons: bool = False
) -> dict:
    """The report's figures, each count with its rows (analytics.drilldown lists them);
    with the comparisons between groups for the report itself."""
    doubt = cohort.in_doubt({**OPD_STEP_INPUTS, SUBTYPE: SUBTYPE_INPUTS})
    counts = {"overall": oligoprogression(cohort.patients, doubt, comparisons=comparisons)}
    if by_centre:
        counts["by_centre"] = {
            centre: oligoprogression(group, doubt, comparisons=comparisons)
            for centre, group in cohort.patients.groupby("centre", sort=True)
        }
    return counts


def oligoprogression_report(cohort: Cohort, *, by_centre: bool = False) -> dict:
    return {
        "meta": meta("opd", cohort, regimen_at_opd=REGIMEN_AT_OPD_RULE),
        **numbers(oligoprogression_counts(cohort, by_centre=by_centre, comparisons=True)),
    }
