"""Complete response report (Galli et al. 2017; DEFINITIONS.md, "Complete response")."""

import numpy as np
import pandas as pd

from analytics import survival
from analytics.cohorts import Cohort
from registry.domain.quality_rules import CR_STEP_INPUTS, SUBTYPE_INPUTS

from .characteristics import SUBTYPE_GROUPS, SUBTYPES, characteristics
from .common import SUBTYPE, Counted, count, in_doubt, kaplan_meier, meta, numbers

STATUSES = ["alive_ned", "alive_with_disease", "dead", "unknown", "not_recorded"]
# What the list behind each kind of count shows beside the registry ID and the centre.
EVALUABLE = ("evaluable_for_response", "subtype")
WITH_CR = ("first_cr_date", "first_cr_line", "cr_episodes", "subtype")
LINE_FACTS = ("line", "regimen", "evaluable", "cr")
EPISODE_FACTS = ("episode", "first_cr_date", "line", "during_maintenance", "ended_by")


def _rate_by(evaluable: pd.DataFrame, column: str, categories: list[str]) -> dict:
    """CR rate within each category of evaluable patients (N = that category's evaluable)."""
    rates = {}
    for category in categories:
        group = evaluable[evaluable[column] == category]
        rates[category] = count(
            Counted(group, (column, *WITH_CR), where=group["reached_cr"].astype(bool).to_numpy()),
            Counted(group, (column, "evaluable_for_response")),
            with_ci=True,
        )
    return rates


def _rate_by_line(lines: pd.DataFrame) -> list[dict]:
    evaluable = lines[lines["evaluable"].astype(bool)]
    return [
        {
            "line": int(number),
            **count(
                Counted(group, LINE_FACTS, "lines", where=group["cr"].astype(bool).to_numpy()),
                Counted(group, LINE_FACTS, "lines"),
                with_ci=True,
            ),
        }
        for number, group in evaluable.groupby("line", sort=True)
    ]


def selection(patients: pd.DataFrame, evaluable: pd.DataFrame, doubt: dict) -> list[dict]:
    """Selected, evaluable, with a CR: each step's count, and the patients it decides on
    whose data it reads are in doubt (`doubt`: registry IDs per step)."""
    is_evaluable = patients["evaluable_for_response"].astype(bool).to_numpy()
    reached_cr = evaluable["reached_cr"].astype(bool).to_numpy()
    selected = Counted(patients, EVALUABLE)
    assessed = Counted(evaluable, EVALUABLE)
    return [
        {
            "step": "patients selected",
            "excluded": Counted(patients, EVALUABLE, where=np.zeros(len(patients), dtype=bool)),
            "remaining": selected,
        },
        {
            "step": "evaluable (at least one response assessment)",
            "excluded": Counted(patients, EVALUABLE, where=~is_evaluable),
            "excluded_reason": "no response assessment",
            "remaining": assessed,
            "in_doubt": in_doubt(selected, doubt["evaluable"]),
        },
        {
            "step": "with at least one CR",
            "excluded": Counted(evaluable, EVALUABLE, where=~reached_cr),
            "excluded_reason": "no CR",
            "remaining": Counted(evaluable, WITH_CR, where=reached_cr),
            "in_doubt": in_doubt(assessed, doubt["reached_cr"]),
        },
    ]


def complete_response(
    patients: pd.DataFrame, episodes: pd.DataFrame, lines: pd.DataFrame, doubt: dict
) -> dict:
    is_evaluable = patients["evaluable_for_response"].astype(bool)
    evaluable = patients[is_evaluable]
    with_cr = patients[patients["reached_cr"].astype(bool)]
    cr_ids = set(with_cr["registry_id"])
    cr_episodes = episodes[episodes["registry_id"].isin(cr_ids)]
    first_crs = Counted(with_cr, WITH_CR)
    all_episodes = Counted(episodes, EPISODE_FACTS, "CR episodes")

    def of_cr_patients(mask: pd.Series, *facts: str) -> dict:
        return count(Counted(with_cr, (*facts, *WITH_CR), where=mask.to_numpy()), first_crs)

    return {
        "patients": Counted(patients, EVALUABLE),
        "evaluable": Counted(evaluable, EVALUABLE),
        "not_evaluable": Counted(patients, EVALUABLE, where=(~is_evaluable).to_numpy()),
        "selection": selection(patients, evaluable, doubt),
        "subtype_in_doubt": in_doubt(Counted(evaluable, EVALUABLE), doubt[SUBTYPE]),
        "cr_rate": count(first_crs, Counted(evaluable, EVALUABLE), with_ci=True),
        "cr_rate_by_line": _rate_by_line(
            lines[lines["registry_id"].isin(set(evaluable["registry_id"]))]
        ),
        "cr_rate_by_subtype": _rate_by(evaluable, "subtype", SUBTYPES),
        "cr_rate_by_subtype_group": _rate_by(evaluable, "subtype_group", SUBTYPE_GROUPS),
        "patients_with_cr": first_crs,
        "cr_episodes": Counted(cr_episodes, EPISODE_FACTS, "CR episodes"),
        "cr_more_than_once": of_cr_patients(with_cr["cr_more_than_once"].astype(bool)),
        "cr_patient_characteristics": characteristics(with_cr),
        "cr_during_maintenance": count(
            Counted(
                episodes,
                EPISODE_FACTS,
                "CR episodes",
                where=episodes["during_maintenance"].astype(bool).to_numpy(),
            ),
            all_episodes,
        ),
        "local_approach": of_cr_patients(
            with_cr["local_approach_before_first_cr"].astype(bool),
            "local_approach_before_first_cr",
        ),
        "single_site_at_first_cr": of_cr_patients(
            with_cr["single_site_at_first_cr"].astype(bool), "single_site_at_first_cr"
        ),
        "status_at_last_follow_up": {
            status: of_cr_patients(
                with_cr["status_at_last_contact"] == status,
                "status_at_last_contact",
                "last_contact_date",
            )
            for status in STATUSES
        },
        # DEFINITIONS.md: each episode from its first CR to the next progression or death.
        "duration_of_cr": kaplan_meier(
            cr_episodes, "duration_months", "progression_or_death", unit="CR episodes"
        ),
        "duration_of_cr_unit": "CR episode (a patient with two episodes counts twice)",
        "duration_of_cr_from_first_cr": kaplan_meier(
            with_cr, "cr_duration_months", "cr_duration_event"
        ),
        "duration_of_cr_from_first_cr_unit": "patient, from the first CR (secondary analysis)",
        "follow_up_from_mbc_diagnosis": _follow_up(with_cr, "follow_up_from_mbc_months"),
    }


def _follow_up(patients: pd.DataFrame, column: str) -> dict:
    known = patients.dropna(subset=[column])
    return survival.reverse_km_follow_up(
        known[column].astype(float), ~known["alive_at_last_contact"].astype(bool)
    ).as_dict()


def complete_response_counts(cohort: Cohort, *, by_centre: bool = False) -> dict:
    """The report's figures, each count with its rows (analytics.drilldown lists them)."""
    doubt = cohort.in_doubt({**CR_STEP_INPUTS, SUBTYPE: SUBTYPE_INPUTS})
    counts = {"overall": complete_response(cohort.patients, cohort.episodes, cohort.lines, doubt)}
    if by_centre:
        counts["by_centre"] = {
            centre: complete_response(
                group,
                cohort.episodes[cohort.episodes["centre"] == centre],
                cohort.lines[cohort.lines["centre"] == centre],
                doubt,
            )
            for centre, group in cohort.patients.groupby("centre", sort=True)
        }
    return counts


def complete_response_report(cohort: Cohort, *, by_centre: bool = False) -> dict:
    return {
        "meta": meta("cr", cohort, episode_definition="DEFINITIONS.md, 'CR episode'"),
        **numbers(complete_response_counts(cohort, by_centre=by_centre)),
    }
