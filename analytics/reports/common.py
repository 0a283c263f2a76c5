"""Pieces every report uses: counts with the rows behind them, descriptive statistics,
Kaplan-Meier estimates, metadata."""

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.utils import timezone

from analytics import survival
from analytics.cohorts import Cohort
from analytics.proportions import Proportion

METHODS = {
    "time_unit": "months = days / 30.4375",
    "kaplan_meier_ci": "pointwise 95% band on the log(-log) scale (R conf.type='log-log')",
    "median_ci_transformed": "times where the log(-log) 95% band crosses S(t) = 0.5 "
    "(Brookmeyer-Crowley style)",
    "median_ci_symmetric": "median +/- 1.96 x SE(median), SE from Greenwood's variance and "
    "the Collett density estimate between S = 0.55 and 0.45 (SPSS style)",
    "follow_up": "median follow-up by reverse Kaplan-Meier (alive at last contact is the event)",
    "proportion_ci": "Wilson 95% interval",
    "quartiles": "linear interpolation (R type 7)",
    "ties": "at tied times events come before censorings",
}


def clean(value):
    """JSON has no NaN or Infinity: a missing or unreachable number is null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp | date):
        return value.isoformat()[:10]
    if hasattr(value, "item"):  # numpy scalars
        return clean(value.item())
    return value


@dataclass(frozen=True, eq=False)
class Counted:
    """The rows a count counts: the report prints how many, the drill-down lists them.

    A report builds every count as a Counted and `numbers` turns it into its length, so
    the figure and the list behind it come from one selection and cannot disagree.
    `facts` are the columns that say why a row is counted; `unit` what a row is. `where`
    (a boolean mask over `frame`) selects the rows without copying them: most counts of
    a report are never listed.
    """

    frame: pd.DataFrame
    facts: tuple[str, ...] = ()
    unit: str = "patients"
    where: pd.Series | np.ndarray | None = None

    @property
    def rows(self) -> pd.DataFrame:
        return self.frame if self.where is None else self.frame[self.where]

    def __len__(self) -> int:
        return len(self.frame) if self.where is None else int(np.count_nonzero(self.where))


def numbers(tree):
    """The report as JSON gives it: every Counted replaced by how many rows it holds."""
    if isinstance(tree, Counted):
        return len(tree)
    if isinstance(tree, dict):
        return {key: numbers(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [numbers(value) for value in tree]
    return tree


def count(numerator: Counted, denominator: Counted, *, with_ci: bool = False) -> dict:
    """'n/N (x.x%)' with its parts; the Wilson interval where the rate is the result."""
    proportion = Proportion(len(numerator), len(denominator))
    result = {
        "n": numerator,
        "N": denominator,
        "percent": proportion.percent,
        "display": proportion.format(),
    }
    if with_ci:
        result["ci95"] = {"lower": proportion.ci_lower, "upper": proportion.ci_upper}
    return result


def counts_by(
    frame: pd.DataFrame,
    column: str,
    categories: list[str] | None = None,
    *,
    values: pd.Series | None = None,
) -> dict:
    """Each category's count over the whole frame: nothing silently dropped.

    `values` (aligned with the frame) when the categories are derived from the column.
    """
    shown = (frame[column] if values is None else values).fillna("unknown").astype(str)
    # One pass over the strings, then a comparison of integer codes per category: comparing
    # the strings again for each category took most of a report's time at 100,000 patients.
    codes, present = pd.factorize(shown)
    code_of = {value: code for code, value in enumerate(present)}
    order = categories or sorted(code_of)
    extra = [v for v in sorted(code_of) if v not in order]
    whole = Counted(frame, (column,))
    return {
        c: count(Counted(frame, (column,), where=codes == code_of.get(c, -2)), whole)
        for c in [*order, *extra]
    }


# The in-doubt key of the subtype, beside a selection's steps (analytics.quality).
SUBTYPE = "subtype"


def in_doubt(entering: Counted, registry_ids: frozenset[str]) -> dict:
    """Of the patients a selection step decides on, those with an open finding or query
    on what the step reads (`analytics.quality.patients_in_doubt`)."""
    frame = entering.rows
    doubtful = frame["registry_id"].isin(registry_ids).to_numpy()
    return count(Counted(frame, entering.facts, entering.unit, where=doubtful), entering)


def describe(frame: pd.DataFrame, column: str) -> dict:
    """Median, quartiles (type 7), range and n of the column's non-missing values."""
    numeric = pd.to_numeric(frame[column], errors="coerce")
    known = Counted(frame, (column,), where=numeric.notna().to_numpy())
    values = numeric.dropna()
    if values.empty:
        return {"n": known, "median": None, "q1": None, "q3": None, "min": None, "max": None}
    return {
        "n": known,
        "median": clean(float(values.median())),
        "q1": clean(float(values.quantile(0.25))),
        "q3": clean(float(values.quantile(0.75))),
        "min": clean(float(values.min())),
        "max": clean(float(values.max())),
    }


def kaplan_meier(
    frame: pd.DataFrame,
    duration: str,
    event: str | None,
    *,
    unit: str = "patients",
    facts: tuple[str, ...] | None = None,
) -> dict:
    """The km estimate of the rows with a duration, each of its counts with its rows.

    `event` None: every time ends in its event (pre-OPD PFS, OPD to surgery). The at-risk
    table's rows name who is at risk at each tick, who had the event and who was censored
    by it, with the masks the estimate's own table is counted with. `facts`: the columns a
    listed row shows (the duration and the event by default).
    """
    known = frame.dropna(subset=[duration])
    times = known[duration].astype(float).to_numpy()
    events = (
        np.ones(len(known), dtype=bool) if event is None else known[event].astype(bool).to_numpy()
    )
    if facts is None:
        facts = (duration,) if event is None else (duration, event)
    estimate = survival.kaplan_meier(times, events).as_dict()

    def rows(mask) -> Counted:
        return Counted(known, facts, unit, where=mask)

    estimate.update(n=Counted(known, facts, unit), events=rows(events), censored=rows(~events))
    for row in estimate["at_risk"]:
        at_risk, evented, censored = survival.at_risk_masks(times, events, row["time"])
        row.update(at_risk=rows(at_risk), events=rows(evented), censored=rows(censored))
    return estimate


def meta(report: str, cohort: Cohort, **extra) -> dict:
    """What the report was computed from. A snapshot's report states the snapshot first and
    is dated at its freeze, so reopening it gives the same bytes."""
    frozen = cohort.frozen
    generated_at = frozen.frozen_at if frozen else timezone.now()
    return {
        **({"snapshot": frozen.snapshot} if frozen else {}),
        "report": report,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "data_cutoff": clean(cohort.data_cutoff),
        "filters": cohort.filters.as_dict(),
        "selection": cohort.selection,
        "not_recorded": cohort.not_recorded,
        "quality": cohort.quality,
        "methods": METHODS,
        **extra,
    }
