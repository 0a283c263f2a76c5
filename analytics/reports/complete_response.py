"""Complete response report (Galli et al. 2017; DEFINITIONS.md, "Complete response")."""

import pandas as pd

from analytics import survival
from analytics.cohorts import Cohort
from analytics.quality import patients_in_doubt
from registry.domain.quality_rules import CR_STEP_INPUTS, SUBTYPE_INPUTS

from .characteristics import SUBTYPE_GROUPS, SUBTYPES, characteristics
from .common import SUBTYPE, count, in_doubt, meta

STATUSES = ["alive_ned", "alive_with_disease", "dead", "unknown", "not_recorded"]


def _rate_by(evaluable: pd.DataFrame, column: str, categories: list[str]) -> dict:
    """CR rate within each category of evaluable patients (N = that category's evaluable)."""
    rates = {}
    for category in categories:
        group = evaluable[evaluable[column] == category]
        rates[category] = count(int(group["reached_cr"].sum()), len(group), with_ci=True)
    return rates


def _rate_by_line(lines: pd.DataFrame) -> list[dict]:
    evaluable = lines[lines["evaluable"].astype(bool)]
    return [
        {"line": int(number), **count(int(group["cr"].sum()), len(group), with_ci=True)}
        for number, group in evaluable.groupby("line", sort=True)
    ]


def selection(patients: pd.DataFrame, evaluable: pd.DataFrame, with_cr, doubt: dict) -> list:
    """Selected, evaluable, with a CR: each step's count, and the patients it decides on
    whose data it reads are in doubt (`doubt`: registry IDs per step)."""
    return [
        {"step": "patients selected", "excluded": 0, "remaining": len(patients)},
        {
            "step": "evaluable (at least one response assessment)",
            "excluded": len(patients) - len(evaluable),
            "excluded_reason": "no response assessment",
            "remaining": len(evaluable),
            "in_doubt": in_doubt(patients, doubt["evaluable"]),
        },
        {
            "step": "with at least one CR",
            "excluded": len(evaluable) - len(with_cr),
            "excluded_reason": "no CR",
            "remaining": len(with_cr),
            "in_doubt": in_doubt(evaluable, doubt["reached_cr"]),
        },
    ]


def complete_response(
    patients: pd.DataFrame, episodes: pd.DataFrame, lines: pd.DataFrame, doubt: dict
) -> dict:
    evaluable = patients[patients["evaluable_for_response"].astype(bool)]
    with_cr = patients[patients["reached_cr"].astype(bool)]
    cr_ids = set(with_cr["registry_id"])
    cr_episodes = episodes[episodes["registry_id"].isin(cr_ids)]
    timed_episodes = cr_episodes.dropna(subset=["duration_months"])
    first_episodes = with_cr.dropna(subset=["cr_duration_months"])
    return {
        "patients": len(patients),
        "evaluable": len(evaluable),
        "not_evaluable": len(patients) - len(evaluable),
        "selection": selection(patients, evaluable, with_cr, doubt),
        "subtype_in_doubt": in_doubt(evaluable, doubt[SUBTYPE]),
        "cr_rate": count(len(with_cr), len(evaluable), with_ci=True),
        "cr_rate_by_line": _rate_by_line(
            lines[lines["registry_id"].isin(set(evaluable["registry_id"]))]
        ),
        "cr_rate_by_subtype": _rate_by(evaluable, "subtype", SUBTYPES),
        "cr_rate_by_subtype_group": _rate_by(evaluable, "subtype_group", SUBTYPE_GROUPS),
        "patients_with_cr": len(with_cr),
        "cr_episodes": len(cr_episodes),
        "cr_more_than_once": count(int(with_cr["cr_more_than_once"].sum()), len(with_cr)),
        "cr_patient_characteristics": characteristics(with_cr),
        "cr_during_maintenance": count(
            int(episodes["during_maintenance"].astype(bool).sum()), len(episodes)
        ),
        "local_approach": count(
            int(with_cr["local_approach_before_first_cr"].astype(bool).sum()), len(with_cr)
        ),
        "single_site_at_first_cr": count(
            int(with_cr["single_site_at_first_cr"].astype(bool).sum()), len(with_cr)
        ),
        "status_at_last_follow_up": {
            status: count(int((with_cr["status_at_last_contact"] == status).sum()), len(with_cr))
            for status in STATUSES
        },
        # DEFINITIONS.md: each episode from its first CR to the next progression or death.
        "duration_of_cr": survival.kaplan_meier(
            timed_episodes["duration_months"].astype(float),
            timed_episodes["progression_or_death"].astype(bool),
        ).as_dict(),
        "duration_of_cr_unit": "CR episode (a patient with two episodes counts twice)",
        "duration_of_cr_from_first_cr": survival.kaplan_meier(
            first_episodes["cr_duration_months"].astype(float),
            first_episodes["cr_duration_event"].astype(bool),
        ).as_dict(),
        "duration_of_cr_from_first_cr_unit": "patient, from the first CR (secondary analysis)",
        "follow_up_from_mbc_diagnosis": _follow_up(with_cr, "follow_up_from_mbc_months"),
    }


def _follow_up(patients: pd.DataFrame, column: str) -> dict:
    known = patients.dropna(subset=[column])
    return survival.reverse_km_follow_up(
        known[column].astype(float), ~known["alive_at_last_contact"].astype(bool)
    ).as_dict()


def complete_response_report(cohort: Cohort, *, by_centre: bool = False) -> dict:
    doubt = patients_in_doubt(cohort.patient_ids, {**CR_STEP_INPUTS, SUBTYPE: SUBTYPE_INPUTS})
    report = {
        "meta": meta("cr", cohort, episode_definition="DEFINITIONS.md, 'CR episode'"),
        "overall": complete_response(cohort.patients, cohort.episodes, cohort.lines, doubt),
    }
    if by_centre:
        report["by_centre"] = {
            centre: complete_response(
                group,
                cohort.episodes[cohort.episodes["centre"] == centre],
                cohort.lines[cohort.lines["centre"] == centre],
                doubt,
            )
            for centre, group in cohort.patients.groupby("centre", sort=True)
        }
    return report
