"""Pieces every report uses: counts with denominators, descriptive statistics, metadata."""

import math
from datetime import date

import pandas as pd
from django.utils import timezone

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


def count(numerator: int, denominator: int, *, with_ci: bool = False) -> dict:
    """'n/N (x.x%)' with its parts; the Wilson interval where the rate is the result."""
    proportion = Proportion(int(numerator), int(denominator))
    result = {
        "n": proportion.numerator,
        "N": proportion.denominator,
        "percent": proportion.percent,
        "display": proportion.format(),
    }
    if with_ci:
        result["ci95"] = {"lower": proportion.ci_lower, "upper": proportion.ci_upper}
    return result


def counts_by(series: pd.Series, categories: list[str] | None = None) -> dict:
    """Each category's count over the whole series: nothing silently dropped."""
    denominator = len(series)
    values = series.fillna("unknown").astype(str)
    order = categories or sorted(values.unique())
    extra = [v for v in sorted(values.unique()) if v not in order]
    return {c: count(int((values == c).sum()), denominator) for c in [*order, *extra]}


def describe(series: pd.Series) -> dict:
    """Median, quartiles (type 7), range and n of the non-missing values."""
    values = pd.to_numeric(series, errors="coerce").dropna()
    if values.empty:
        return {"n": 0, "median": None, "q1": None, "q3": None, "min": None, "max": None}
    return {
        "n": int(values.size),
        "median": clean(float(values.median())),
        "q1": clean(float(values.quantile(0.25))),
        "q3": clean(float(values.quantile(0.75))),
        "min": clean(float(values.min())),
        "max": clean(float(values.max())),
    }


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
