"""Configurable time-to-event endpoints: an origin, an event, a population and groups.

A definition (`EndpointDefinition`) is parsed and checked once (`parse_definition`), the
same for the page's form, the API and a saved definition. `endpoint_times` turns a
Cohort's frames into one row per patient (origin, end, time in months, event), with
pandas merges only: no derivation from the records, no loop over patients. A data cut-off
is a parameter: events after it are ignored and observation is censored at it.
`endpoint_counts` builds every count with the rows behind it (`Counted`, so the drill-down
lists exactly the patients counted) and `endpoint_report` gives its numbers, the same the
fixed reports show (survival.py does every statistic). Choices the definitions leave open:
docs/decisions/0021-configurable-endpoints.md.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial

import numpy as np
import pandas as pd

from registry.domain.analysis import OPD_INCLUDED, PRE_OPD_PFS_THRESHOLD_MONTHS
from registry.domain.dates import DAYS_PER_MONTH

from . import survival
from .catalogue import Curve, Plot, ReportSpec
from .cohorts import Cohort
from .columns import PATIENT_COLUMNS
from .reports.characteristics import SUBTYPE_GROUPS, SUBTYPES
from .reports.common import Counted, clean, kaplan_meier, meta, numbers

ORIGINS = {
    "mbc_diagnosis": "MBC diagnosis",
    "line_start": "start of line k",
    "first_cr": "first complete response (CR)",
    "first_locoregional_opd": "first locoregional oligoprogression (OPD)",
    "opd_surgery": "breast/axillary operation after the first locoregional OPD (OPD surgery)",
}
EVENTS = {
    "death": "death (overall survival)",
    "progression_or_death": "progression or death (progression-free survival)",
    "next_line_or_death": "start of the next line, or death (time to next treatment)",
    "line_end_or_death": "end of the line for any reason, or death (time to treatment failure)",
}
POPULATIONS = {
    "all": "every patient of the cohort with the origin",
    "de_novo": "de novo patients",
    "recurrent": "recurrent patients",
    "opd_surgery_cohort": "the OPD-surgery cohort (Bianco 2025)",
    "reached_cr": "patients with a CR",
}
REGIMEN_AT_ORIGIN = "regimen_group_at_origin"
# Dates, times and ages are not groups; every other patient column is a derived fact.
GROUPABLE_COLUMNS = [
    c
    for c in PATIENT_COLUMNS
    if c not in {"registry_id", "age_at_mbc_diagnosis"} and not c.endswith(("_date", "_months"))
]
GROUPINGS = {
    "": "no groups",
    REGIMEN_AT_ORIGIN: "regimen group at the origin",
    **{c: PATIENT_COLUMNS[c] for c in GROUPABLE_COLUMNS},
}
# The regimen group at each origin: a derived column of the patient (or of line k).
REGIMEN_COLUMN = {
    "line_start": "regimen_group",
    "first_cr": "regimen_group_at_first_cr",
    "first_locoregional_opd": "regimen_group_at_opd",
    "opd_surgery": "regimen_group_at_opd_surgery",
}
ORIGIN_COLUMN = {
    "mbc_diagnosis": "mbc_diagnosis_date",
    "first_cr": "first_cr_date",
    "first_locoregional_opd": "opd_date",
    "opd_surgery": "opd_surgery_date",
}
GROUP_ORDERS = {
    "subtype": SUBTYPES,
    "subtype_group": SUBTYPE_GROUPS,
    "presentation": ["de_novo", "recurrent"],
    "pre_opd_pfs_group": [
        f">= {PRE_OPD_PFS_THRESHOLD_MONTHS} months",
        f"< {PRE_OPD_PFS_THRESHOLD_MONTHS} months",
    ],
}
UNKNOWN = "unknown"
ALL_PATIENTS = "All patients"
MAX_LINE = 99

# What the definitions leave open, stated in every result (docs/decisions/0021).
DECISIONS = {
    "progression": "a progression event or a PD assessment, whichever is earlier, the same "
    "day once (DEFINITIONS.md); only a progression dated after the origin counts: one on the "
    "origin's day is the one that led to it (a new line, the OPD itself)",
    "death": "a death on or after the origin is an event (a death on the origin's day is an "
    "event at time 0)",
    "time_to_next_treatment": "the start of the next line (line k+1 from line k; from another "
    "origin, the first line started after it) or death, whichever is first",
    "time_to_treatment_failure": "the end of line k for any reason (its recorded end date) "
    "or death, whichever is first; only from the start of line k",
    "surgery_origin": "the OPD surgery: the first breast/axillary operation on or after the "
    "first locoregional OPD and before a later progression (DEFINITIONS.md)",
    "censoring": "at last contact (docs/decisions/0004), or at the data cut-off when the "
    "analysis has one; patients with nothing known after the origin are left out and counted",
    "regimen_at_origin": "line k: its regimen group at its start; first CR: the group of the "
    "first CR episode's line at the CR; OPD and OPD surgery: the line running then",
    "groups": "every group present is shown, 'unknown' included; the Cox model has one "
    "column per non-reference group, the reference being the first group in the listed order",
    "follow_up": "reverse Kaplan-Meier from the origin to last contact (or the cut-off); "
    "death censors",
}
NOT_TESTED = "not tested: fewer than two groups have patients"
HAZARD_RATIO_NOT_ESTIMABLE = (
    "hazard ratios not estimable: a group without events, or the Cox model does not converge"
)

# The time-to-event frame: one row per patient with the origin, observed after it.
TIME_COLUMNS = {
    "registry_id": "Pseudonymous registry ID",
    "centre": "Centre code",
    "group": "The patient's group (the definition's grouping; 'All patients' without one)",
    "origin_date": "Date of the origin",
    "end_date": "Date of the event, or of the censoring",
    "months": "Origin to end_date, in months (days / 30.4375)",
    "event": "True: the event; False: censored",
    "follow_up_months": "Origin to last contact (or the cut-off), in months",
    "alive_at_end": "Reverse Kaplan-Meier event for follow-up: alive at last contact or "
    "the cut-off (death censors)",
}


class InvalidDefinition(ValueError):
    """A definition that cannot be computed: field -> messages, as forms and the API show."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class EndpointDefinition:
    origin: str
    event: str
    line: int | None = None
    population: str = "all"
    group_by: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        origin = ORIGINS[self.origin].replace("line k", f"line {self.line}")
        return f"{EVENTS[self.event].capitalize()}, from the {origin}"


def _choice(data: Mapping, name: str, choices: dict, errors: dict, default: str = "") -> str:
    value = data.get(name)
    value = default if value in (None, "") else str(value)
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices if c)
        errors.setdefault(name, []).append(
            f"Unknown {name.replace('_', ' ')} {value!r}: use one of {shown}."
            if value
            else f"Choose the {name.replace('_', ' ')}."
        )
    return value


def _line_number(value, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
        valid = str(number) == str(value).strip() and 1 <= number <= MAX_LINE
    except ValueError:
        valid = False
    if not valid:
        errors["line"] = [f"A line number is a whole number from 1 to {MAX_LINE}."]
        return None
    return number


def parse_definition(data: Mapping) -> EndpointDefinition:
    """The definition in `data` (form, query or JSON values), or InvalidDefinition."""
    errors: dict[str, list[str]] = {}
    origin = _choice(data, "origin", ORIGINS, errors)
    event = _choice(data, "event", EVENTS, errors)
    population = _choice(data, "population", POPULATIONS, errors, default="all")
    group_by = _choice(data, "group_by", GROUPINGS, errors)
    line = _line_number(data.get("line"), errors)
    if origin == "line_start" and line is None and "line" not in errors:
        errors["line"] = ["The origin 'start of line k' needs its line number k (1, 2, ...)."]
    if origin in ORIGINS and origin != "line_start" and line is not None:
        errors["line"] = ["A line number belongs only with the origin 'start of line k'."]
    if event == "line_end_or_death" and origin in ORIGINS and origin != "line_start":
        errors.setdefault("event", []).append(
            "Time to treatment failure ends its line, so it starts at a line: choose the "
            "origin 'start of line k'."
        )
    if group_by == REGIMEN_AT_ORIGIN and origin == "mbc_diagnosis":
        errors.setdefault("group_by", []).append(
            "No line runs at the MBC diagnosis: group by the first line's regimen with the "
            "origin 'start of line 1'."
        )
    if errors:
        raise InvalidDefinition(errors)
    return EndpointDefinition(origin, event, line, population, group_by)


@dataclass(frozen=True)
class EndpointTimes:
    """The time-to-event frame (TIME_COLUMNS) and how the cohort came down to it: each step
    with the rows that remain after it."""

    frame: pd.DataFrame
    selection: list[dict]
    group_order: list[str]


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce")


def _population(patients: pd.DataFrame, population: str) -> pd.DataFrame:
    if population == "de_novo":
        return patients[patients["presentation"] == "de_novo"]
    if population == "recurrent":
        return patients[patients["presentation"] == "recurrent"]
    if population == "opd_surgery_cohort":
        return patients[patients["opd_selection"] == OPD_INCLUDED]
    if population == "reached_cr":
        return patients[patients["reached_cr"].astype(bool)]
    return patients


def _line_k(cohort: Cohort, k: int) -> pd.DataFrame:
    lines = cohort.lines[cohort.lines["line"] == k]
    return lines[["registry_id", "start_date", "end_date", "regimen_group"]]


def _first_after(
    origins: pd.DataFrame, dates: pd.DataFrame, column: str, cutoff, *, inclusive=False
) -> pd.Series:
    """Per patient of `origins`, the earliest `dates[column]` after its origin (and on or
    before the cut-off): one merge and one group-by, however many patients."""
    merged = origins[["registry_id", "origin"]].merge(
        dates[["registry_id", column]], on="registry_id"
    )
    when = _dates(merged[column])
    after = when >= merged["origin"] if inclusive else when > merged["origin"]
    if cutoff is not None:
        after &= when <= cutoff
    first = merged.assign(when=when)[after].groupby("registry_id")["when"].min()
    return origins["registry_id"].map(first)


def _group_labels(values: pd.Series) -> pd.Series:
    """Booleans as 'yes'/'no', numbers as text, missing as 'unknown': labelled once per
    distinct value, then mapped (a column holds one type, so True and 1 never meet)."""

    def label(value) -> str:
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    present = values.dropna()
    labels = {value: label(value) for value in pd.unique(present)}
    return values.map(labels).fillna(UNKNOWN).astype(str)


def _group_order(group_by: str, present: set[str]) -> list[str]:
    known = GROUP_ORDERS.get(group_by, ["no", "yes"])
    order = [g for g in known if g in present]
    rest = sorted(g for g in present if g not in order and g != UNKNOWN)
    return [*order, *rest, *([UNKNOWN] if UNKNOWN in present and UNKNOWN not in order else [])]


def endpoint_times(
    cohort: Cohort, definition: EndpointDefinition, *, cutoff: date | None = None
) -> EndpointTimes:
    """One row per patient of the population with the origin and something known after it.

    `cutoff`: a data cut-off (a snapshot's): an origin, an event or a contact after it is
    not seen, and observation ends at it."""
    limit = pd.Timestamp(cutoff) if cutoff is not None else None
    patients = cohort.patients
    population = _population(patients, definition.population)
    frame = population[["registry_id", "centre"]].copy()
    if definition.origin == "line_start":
        line = _line_k(cohort, definition.line).rename(
            columns={"start_date": "origin", "end_date": "line_end"}
        )
        frame = frame.merge(line, on="registry_id", how="left")
        frame["origin"] = _dates(frame["origin"])
    else:
        frame["origin"] = _dates(population[ORIGIN_COLUMN[definition.origin]]).to_numpy()
    steps = [
        _step("patients selected by the filters", patients),
        _step(f"in the population: {POPULATIONS[definition.population]}", frame),
    ]
    frame = frame[frame["origin"].notna()]
    steps.append(_step("with the origin", frame, ("origin",)))
    if limit is not None:
        frame = frame[frame["origin"] <= limit]
        steps.append(_step("with the origin on or before the cut-off", frame, ("origin",)))

    facts = patients.set_index("registry_id")
    ids = frame["registry_id"]
    last_contact = _dates(ids.map(facts["last_contact_date"]))
    death = _dates(ids.map(facts["death_date"]))
    if limit is not None:
        last_contact = last_contact.where(last_contact.isna() | (last_contact <= limit), limit)
        death = death.where(death <= limit)
    frame = frame.assign(observed_until=last_contact.to_numpy(), death=death.to_numpy())
    frame = frame[frame["observed_until"] >= frame["origin"]].copy()
    followed = frame[["registry_id", "centre", "origin", "observed_until"]]
    steps.append(_step("with follow-up after the origin", followed, ("origin", "observed_until")))

    frame["death"] = frame["death"].where(frame["death"] >= frame["origin"])
    candidates = [frame["death"]]
    if definition.event == "progression_or_death":
        candidates.append(_first_after(frame, cohort.progressions, "progression_date", limit))
    elif definition.event == "next_line_or_death":
        later = cohort.lines
        if definition.origin == "line_start":
            later = later[later["line"] > definition.line]
        candidates.append(
            _first_after(
                frame,
                later,
                "start_date",
                limit,
                inclusive=definition.origin == "line_start",
            )
        )
    elif definition.event == "line_end_or_death":
        line_end = _dates(frame["line_end"])
        if limit is not None:
            line_end = line_end.where(line_end <= limit)
        candidates.append(line_end)
    event_date = pd.concat([pd.Series(c.to_numpy()) for c in candidates], axis=1).min(axis=1)
    event_date.index = frame.index
    frame["event"] = event_date.notna()
    frame["end"] = event_date.fillna(frame["observed_until"])
    frame["months"] = (frame["end"] - frame["origin"]).dt.days / DAYS_PER_MONTH
    frame["follow_up_months"] = (frame["observed_until"] - frame["origin"]).dt.days / DAYS_PER_MONTH
    frame["alive_at_end"] = _alive_at_end(frame, facts, limit)
    if definition.group_by == "":
        frame["group"] = ALL_PATIENTS
    elif definition.group_by == REGIMEN_AT_ORIGIN:
        column = REGIMEN_COLUMN[definition.origin]
        values = (
            frame[column]
            if definition.origin == "line_start"
            else frame["registry_id"].map(facts[column])
        )
        frame["group"] = _group_labels(values)
    else:
        frame["group"] = _group_labels(frame["registry_id"].map(facts[definition.group_by]))
    order = (
        [ALL_PATIENTS]
        if definition.group_by == ""
        else _group_order(definition.group_by, set(frame["group"]))
    )
    frame = frame.rename(columns={"origin": "origin_date", "end": "end_date"})
    for column in ("origin_date", "end_date"):
        frame[column] = frame[column].dt.date
    return EndpointTimes(
        frame=frame[list(TIME_COLUMNS)].reset_index(drop=True),
        selection=steps,
        group_order=order,
    )


def _step(name: str, remaining: pd.DataFrame, facts: tuple[str, ...] = ()) -> dict:
    return {"step": name, "remaining": Counted(remaining, facts)}


def _alive_at_end(frame: pd.DataFrame, facts: pd.DataFrame, limit) -> pd.Series:
    """Alive at the end of observation: no death recorded, or (with a cut-off) none by it."""
    death = _dates(frame["registry_id"].map(facts["death_date"]))
    if limit is not None:
        death = death.where(death <= limit)
    return death.isna()


# What a listed patient's row of an estimate shows: why and when it counts.
ESTIMATE_FACTS = ("group", "origin_date", "end_date", "months", "event")


def _estimates(rows: pd.DataFrame) -> dict:
    return {
        "km": kaplan_meier(rows, "months", "event", facts=ESTIMATE_FACTS),
        "follow_up": survival.reverse_km_follow_up(
            rows["follow_up_months"], ~rows["alive_at_end"].astype(bool)
        ).as_dict(),
    }


def _comparison(rows: pd.DataFrame, column: str, order: list[str]) -> dict:
    """Log-rank across the groups present, and the Cox hazard ratios against the first."""
    present = [g for g in order if (rows[column] == g).any()]
    result = {"groups": present, "log_rank": None, "hazard_ratios": None, "note": NOT_TESTED}
    if len(present) < 2:
        return result
    result["log_rank"] = survival.log_rank(rows["months"], rows["event"], rows[column]).as_dict()
    ratios = survival.hazard_ratios(rows["months"], rows["event"], rows[column], present)
    result["hazard_ratios"] = ratios.as_dict() if ratios else None
    result["note"] = "" if ratios else HAZARD_RATIO_NOT_ESTIMABLE
    return result


def endpoint_counts(
    cohort: Cohort,
    definition: EndpointDefinition,
    *,
    by_centre: bool = False,
    cutoff: date | None = None,
    comparisons: bool = False,
) -> dict:
    """The endpoint's selection, KM summary, follow-up and groups, per centre if asked;
    every count with its rows (analytics.drilldown lists them). `comparisons` adds the
    log-rank tests and Cox models between groups and centres, which count nothing."""
    times = endpoint_times(cohort, definition, cutoff=cutoff)
    rows = times.frame
    counts = {"selection": times.selection, "overall": _estimates(rows)}
    if definition.group_by:
        counts["groups"] = {
            "by": definition.group_by,
            "estimates": {
                g: _estimates(rows[rows["group"] == g])
                for g in times.group_order
                if (rows["group"] == g).any()
            },
            **(_comparison(rows, "group", times.group_order) if comparisons else {}),
        }
    if by_centre:
        centres = sorted(rows["centre"].unique().tolist())
        counts["by_centre"] = {c: _estimates(rows[rows["centre"] == c]) for c in centres}
        if comparisons:
            counts["centre_comparison"] = _comparison(rows, "centre", centres)
    return counts


def endpoint_report(
    cohort: Cohort,
    definition: EndpointDefinition,
    *,
    by_centre: bool = False,
    cutoff: date | None = None,
) -> dict:
    """The endpoint's figures as the page, the files and the API give them."""
    counts = endpoint_counts(
        cohort, definition, by_centre=by_centre, cutoff=cutoff, comparisons=True
    )
    report = {
        "meta": meta("endpoint", cohort, analysis_cutoff=clean(cutoff), decisions=DECISIONS),
        "definition": {**definition.as_dict(), "label": definition.label},
        **numbers(counts),
    }
    if cutoff is not None:
        report["meta"]["data_cutoff"] = clean(min(cutoff, cohort.data_cutoff or cutoff))
    return report


def endpoint_spec(definition: EndpointDefinition, *, cutoff: date | None = None) -> ReportSpec:
    """The endpoint as a report of `analytics.computed` (one stored result per key)."""
    return ReportSpec(
        "endpoint",
        definition.label,
        partial(endpoint_report, definition=definition, cutoff=cutoff),
        counts=partial(endpoint_counts, definition=definition, cutoff=cutoff),
    )


def endpoint_plot(report: dict) -> Plot:
    """The KM figure of a computed endpoint: a curve per group (or per centre when split)."""

    def curves(result: dict) -> list[Curve]:
        if "by_centre" in result:
            return [
                Curve(f"Centre {c}", e["km"], f"by_centre.{c}.km")
                for c, e in result["by_centre"].items()
            ]
        if "groups" in result:
            return [
                Curve(g, e["km"], f"groups.estimates.{g}.km")
                for g, e in result["groups"]["estimates"].items()
            ]
        return [Curve(ALL_PATIENTS, result["overall"]["km"], "overall.km")]

    def test(result: dict) -> dict | None:
        comparison = result.get("centre_comparison") or result.get("groups") or {}
        return comparison.get("log_rank")

    definition = report["definition"]
    origin = ORIGINS[definition["origin"]].replace("line k", f"line {definition['line']}")
    return Plot(
        definition["label"],
        f"Months from the {origin}",
        curves,
        test,
        whole_report=True,
        y_label="Probability without the event",
    )


def _estimate_parts(report: dict) -> list[tuple[str, dict]]:
    """(grouping, {group: estimates}) for the overall figures, the groups and the centres."""
    parts = [("overall", {ALL_PATIENTS: report["overall"]})]
    if "groups" in report:
        parts.append((report["groups"]["by"], report["groups"]["estimates"]))
    if "by_centre" in report:
        parts.append(("centre", report["by_centre"]))
    return parts


def summary_table(report: dict) -> pd.DataFrame:
    """One row per estimate (overall, each group, each centre): the page's summary table."""
    rows = []
    for grouping, estimates in _estimate_parts(report):
        for group, estimate in estimates.items():
            km, fu = estimate["km"], estimate["follow_up"]
            row = {
                "grouping": grouping,
                "group": group,
                "n": km["n"],
                "events": km["events"],
                "censored": km["censored"],
                "median_months": km["median"],
                "median_ci_transformed_lower": km["median_ci_transformed"]["lower"],
                "median_ci_transformed_upper": km["median_ci_transformed"]["upper"],
                "median_ci_symmetric_lower": km["median_ci_symmetric"]["lower"],
                "median_ci_symmetric_upper": km["median_ci_symmetric"]["upper"],
            }
            for s in km.get("survival_at", []):
                t = int(s["time"])
                row |= {
                    f"survival_{t}m": s["survival"],
                    f"survival_{t}m_lower": s["lower"],
                    f"survival_{t}m_upper": s["upper"],
                }
            row |= {
                "median_follow_up_months": fu["median"],
                "follow_up_q1": fu["q1"],
                "follow_up_q3": fu["q3"],
            }
            rows.append(row)
    return pd.DataFrame(rows)


def at_risk_table(report: dict) -> pd.DataFrame:
    """The KMunicate numbers of every estimate: at risk, cumulative events and censored."""
    rows = []
    for grouping, estimates in _estimate_parts(report):
        for group, estimate in estimates.items():
            rows += [
                {"grouping": grouping, "group": group, **row} for row in estimate["km"]["at_risk"]
            ]
    columns = ["grouping", "group", "time", "at_risk", "events", "censored"]
    return pd.DataFrame(rows, columns=columns)
