"""Survival statistics as DEFINITIONS.md fixes them ("Survival statistics").

lifelines fits the Kaplan-Meier estimate and its pointwise log(-log) band, the log-rank
test and the Cox model. Medians, quartiles and their intervals are read off the fitted
table here, with a 1e-9 tolerance: lifelines stores an exact 0.5 as 0.5000000000000002,
so its own `median_survival_time_` can land one event time too late.

Times are in the caller's unit (months in the reports); events are booleans, True for
the event and False for a censoring. Nothing returned holds NaN or infinity: a limit
that is not reached is None, with a note saying so.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

TOLERANCE = 1e-9
Z95 = 1.959963984540054
NOT_REACHED = "not reached"
NOT_ESTIMABLE = "not estimable"
NEGATIVE_LOWER_LIMIT = "lower limit below 0: shown truncated at 0, the raw value is kept here"
NO_OBSERVATION = "beyond the last observation"
UNDEFINED_BAND = "band undefined where S(t) = 0"
SURVIVAL_TIMES = (12, 24, 36)  # months at which every summary reports S(t)


@dataclass(frozen=True)
class Interval:
    lower: float | None
    upper: float | None
    method: str
    note: str = ""


@dataclass(frozen=True)
class SurvivalAt:
    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    note: str = ""


@dataclass(frozen=True)
class AtRiskRow:
    """KMunicate table: at risk at the time; events and censorings up to it, cumulative."""

    time: float
    at_risk: int
    events: int
    censored: int


@dataclass(frozen=True)
class CurvePoint:
    time: float
    survival: float
    lower: float | None
    upper: float | None
    at_risk: int
    events: int
    censored: int


@dataclass(frozen=True)
class KaplanMeierSummary:
    n: int
    events: int
    censored: int
    median: float | None
    median_ci_transformed: Interval
    median_ci_symmetric: Interval
    survival_at: list[SurvivalAt] = field(default_factory=list)
    at_risk: list[AtRiskRow] = field(default_factory=list)
    curve: list[CurvePoint] = field(default_factory=list)

    def as_dict(self) -> dict:
        return _json_safe(asdict(self))


@dataclass(frozen=True)
class FollowUpSummary:
    median: float | None
    q1: float | None
    q3: float | None
    ci_transformed: Interval
    ci_symmetric: Interval

    def as_dict(self) -> dict:
        return _json_safe(asdict(self))


@dataclass(frozen=True)
class LogRankResult:
    chi_square: float
    df: int
    p_value: float

    def as_dict(self) -> dict:
        return _json_safe(asdict(self))


@dataclass(frozen=True)
class HazardRatio:
    ratio: float
    lower: float
    upper: float

    def as_dict(self) -> dict:
        return _json_safe(asdict(self))


def _json_safe(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _validated(durations, events) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(durations, dtype=float)
    observed = np.asarray(events, dtype=bool)
    if times.shape != observed.shape:
        raise ValueError(f"{times.size} durations but {observed.size} event indicators.")
    if np.isnan(times).any():
        raise ValueError("A duration is missing.")
    if (times < 0).any():
        raise ValueError("A duration is negative: an end is dated before its origin.")
    return times, observed


@dataclass(frozen=True)
class _Fit:
    """The fitted step function at its distinct times, with time 0 first."""

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    greenwood: np.ndarray  # cumulative sum of d / (n (n - d))
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray


def _fit(times: np.ndarray, observed: np.ndarray) -> _Fit:
    # lifelines (and scipy under it) is imported when a curve is fitted, not at start-up:
    # a report taken from its stored result, and every command and page, start without it.
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(alpha=0.05).fit(times, observed)
    table = kmf.event_table
    d = table["observed"].to_numpy(dtype=float)
    n = table["at_risk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n * (n - d)), 0.0)
    band = kmf.confidence_interval_survival_function_
    lower_column = next(c for c in band.columns if "lower" in c)
    upper_column = next(c for c in band.columns if "upper" in c)
    return _Fit(
        times=table.index.to_numpy(dtype=float),
        survival=kmf.survival_function_.iloc[:, 0].to_numpy(dtype=float),
        lower=band[lower_column].to_numpy(dtype=float),
        upper=band[upper_column].to_numpy(dtype=float),
        greenwood=np.cumsum(terms),
        at_risk=n.astype(int),
        events=d.astype(int),
        censored=table["censored"].to_numpy(dtype=int),
    )


def _first_time_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float | None:
    """Smallest time where a step curve is <= level (with the tolerance), or None."""
    below = np.flatnonzero(values <= level + TOLERANCE)
    return float(times[below[0]]) if below.size else None


def _quantile(fit: _Fit, level: float) -> float | None:
    return _first_time_at_or_below(fit.times, fit.survival, level)


def _transformed_ci(fit: _Fit, level: float = 0.5) -> Interval:
    """Where the log(-log) band crosses the level (Brookmeyer-Crowley style).

    The lower band falls to the level first, giving the lower limit; the upper band
    gives the upper limit, or never gets there ("not reached").
    """
    # The band is undefined where S(t) = 0 (lifelines shows 0, R shows NA): it never
    # reaches the level there, so a curve that ends at 0 does not close the interval.
    defined = fit.survival > TOLERANCE
    lower_band = np.where(defined, np.nan_to_num(fit.lower, nan=np.inf), np.inf)
    upper_band = np.where(defined, np.nan_to_num(fit.upper, nan=np.inf), np.inf)
    lower = _first_time_at_or_below(fit.times, lower_band, level)
    upper = _first_time_at_or_below(fit.times, upper_band, level)
    missing = [name for name, limit in (("lower", lower), ("upper", upper)) if limit is None]
    note = f"{' and '.join(missing)} limit {NOT_REACHED}" if missing else ""
    return Interval(lower, upper, "log(-log) transformed", note)


def _symmetric_ci(fit: _Fit, median: float | None) -> Interval:
    """median +/- 1.96 SE(median); SE by Greenwood and Collett's density (section 2.4).

    Limits are not clipped at 0 (SPSS does not clip either): a negative lower limit is
    kept and its note says so, and pages show it truncated at 0.
    """
    method = "symmetric (Collett)"
    if median is None:
        return Interval(None, None, method, f"{NOT_ESTIMABLE}: median {NOT_REACHED}")
    event_times = fit.events > 0
    high = np.flatnonzero(event_times & (fit.survival >= 0.55 - TOLERANCE))
    low = np.flatnonzero(event_times & (fit.survival <= 0.45 + TOLERANCE))
    if not low.size:
        return Interval(None, None, method, f"{NOT_ESTIMABLE}: survival never falls to 0.45")
    u_time, u_survival = (fit.times[high[-1]], fit.survival[high[-1]]) if high.size else (0.0, 1.0)
    l_time, l_survival = fit.times[low[0]], fit.survival[low[0]]
    density = (u_survival - l_survival) / (l_time - u_time)
    at_median = int(np.flatnonzero(fit.times == median)[0])
    if not math.isfinite(fit.greenwood[at_median]):
        # Everyone still at risk had the event (a one-patient group, say): S falls to 0
        # and Greenwood's d / (n (n - d)) divides by zero.
        return Interval(
            None,
            None,
            method,
            f"{NOT_ESTIMABLE}: S(t) falls to 0 at the median, where Greenwood's "
            "variance is undefined",
        )
    se_survival = fit.survival[at_median] * math.sqrt(fit.greenwood[at_median])
    se_median = se_survival / density
    lower, upper = median - Z95 * se_median, median + Z95 * se_median
    note = NEGATIVE_LOWER_LIMIT if lower < 0 else ""
    return Interval(lower, upper, method, note)


def _step_index(fit: _Fit, time: float) -> int | None:
    """Index of the step in force at `time`; None beyond the last observation."""
    if time > fit.times[-1]:
        return None
    return int(np.searchsorted(fit.times, time, side="right") - 1)


def at_risk_masks(times: np.ndarray, observed: np.ndarray, tick: float) -> tuple[np.ndarray, ...]:
    """Who is at risk at the tick, who had the event by then, who was censored by then.

    The at-risk table counts these; the drill-down lists them (analytics.drilldown).
    """
    return times >= tick, observed & (times <= tick), ~observed & (times <= tick)


def at_risk_table(durations, events, ticks: Sequence[float]) -> list[AtRiskRow]:
    times, observed = _validated(durations, events)
    rows = []
    for tick in ticks:
        at_risk, evented, censored = at_risk_masks(times, observed, tick)
        rows.append(
            AtRiskRow(
                time=float(tick),
                at_risk=int(at_risk.sum()),
                events=int(evented.sum()),
                censored=int(censored.sum()),
            )
        )
    return rows


def regular_ticks(durations, every: float = 6.0) -> list[float]:
    longest = float(np.max(durations)) if len(durations) else 0.0
    return [every * k for k in range(int(longest // every) + 1)]


def kaplan_meier(
    durations,
    events,
    *,
    survival_times: Sequence[float] = SURVIVAL_TIMES,
    at_risk_every: float = 6.0,
) -> KaplanMeierSummary:
    times, observed = _validated(durations, events)
    if times.size == 0:
        empty = Interval(None, None, "", NOT_ESTIMABLE)
        return KaplanMeierSummary(0, 0, 0, None, empty, empty)
    fit = _fit(times, observed)
    median = _quantile(fit, 0.5)
    survival_at = []
    for t in survival_times:
        i = _step_index(fit, t)
        if i is None:
            survival_at.append(SurvivalAt(float(t), None, None, None, NO_OBSERVATION))
            continue
        band = (fit.lower[i], fit.upper[i])
        note = "" if all(math.isfinite(limit) for limit in band) else UNDEFINED_BAND
        survival_at.append(SurvivalAt(float(t), fit.survival[i], *band, note))
    curve = [
        CurvePoint(
            float(fit.times[i]),
            float(fit.survival[i]),
            fit.lower[i],
            fit.upper[i],
            int(fit.at_risk[i]),
            int(fit.events[i]),
            int(fit.censored[i]),
        )
        for i in range(fit.times.size)
    ]
    return KaplanMeierSummary(
        n=int(times.size),
        events=int(observed.sum()),
        censored=int((~observed).sum()),
        median=median,
        median_ci_transformed=_transformed_ci(fit),
        median_ci_symmetric=_symmetric_ci(fit, median),
        survival_at=survival_at,
        at_risk=at_risk_table(times, observed, regular_ticks(times, at_risk_every)),
        curve=curve,
    )


def reverse_km_follow_up(durations, events) -> FollowUpSummary:
    """Median follow-up: Kaplan-Meier with the indicator flipped (alive = event, death censors)."""
    times, observed = _validated(durations, events)
    if times.size == 0:
        empty = Interval(None, None, "", NOT_ESTIMABLE)
        return FollowUpSummary(None, None, None, empty, empty)
    fit = _fit(times, ~observed)
    median = _quantile(fit, 0.5)
    return FollowUpSummary(
        median=median,
        q1=_quantile(fit, 0.75),
        q3=_quantile(fit, 0.25),
        ci_transformed=_transformed_ci(fit),
        ci_symmetric=_symmetric_ci(fit, median),
    )


def log_rank(durations, events, groups) -> LogRankResult:
    times, observed = _validated(durations, events)
    labels = np.asarray(groups)
    if np.unique(labels).size < 2:
        raise ValueError("A log-rank test needs at least two groups.")
    from lifelines.statistics import multivariate_logrank_test

    result = multivariate_logrank_test(times, labels, observed)
    return LogRankResult(
        chi_square=float(result.test_statistic),
        df=int(result.degrees_of_freedom),
        p_value=float(result.p_value),
    )


def hazard_ratio(durations, events, in_group) -> HazardRatio | None:
    """Cox model (Efron ties) of one group against the rest; None if it cannot be fitted."""
    member = np.asarray(in_group, dtype=bool)
    ratios = hazard_ratios(durations, events, np.where(member, "group", "rest"), ["rest", "group"])
    return ratios.ratios["group"] if ratios else None


@dataclass(frozen=True)
class GroupHazardRatios:
    """One Cox model (Efron ties) of the groups, each against the reference group."""

    reference: str
    ratios: dict[str, HazardRatio]

    def as_dict(self) -> dict:
        return _json_safe(
            {
                "reference": self.reference,
                "ratios": [
                    {"group": group, "versus": self.reference, **asdict(ratio)}
                    for group, ratio in self.ratios.items()
                ],
            }
        )


def hazard_ratios(durations, events, groups, order: Sequence[str]) -> GroupHazardRatios | None:
    """Each group of `order[1:]` against `order[0]` (the reference), in one Cox model with a
    0/1 column per non-reference group; None if it cannot be fitted (a group without events,
    the ratio 0 or infinite, or no convergence). With two groups it is `hazard_ratio`."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    times, observed = _validated(durations, events)
    labels = np.asarray(groups, dtype=object)
    if len(order) < 2 or any(not (observed & (labels == g)).any() for g in order):
        return None
    columns = {f"g{i}": (labels == g).astype(int) for i, g in enumerate(order) if i}
    frame = pd.DataFrame({"time": times, "event": observed, **columns})
    try:
        # lifelines stops at a Newton step of 1e-7 by default, 1e-5 off R's coxph with
        # three groups; 1e-9 converges to R's estimates (tests/analytics/reference).
        model = CoxPHFitter().fit(
            frame, duration_col="time", event_col="event", fit_options={"precision": 1e-9}
        )
        ratios = {}
        for i, group in enumerate(order[1:], 1):
            coefficient = float(model.params_[f"g{i}"])
            se = float(model.standard_errors_[f"g{i}"])
            ratios[group] = HazardRatio(
                ratio=math.exp(coefficient),
                lower=math.exp(coefficient - Z95 * se),
                upper=math.exp(coefficient + Z95 * se),
            )
    except (ConvergenceError, ValueError, OverflowError, np.linalg.LinAlgError):
        # A near-separation (one group's events all before the other's) drives the
        # coefficient towards infinity: the ratio is not estimable.
        return None
    return GroupHazardRatios(reference=order[0], ratios=ratios)
