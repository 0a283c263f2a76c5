"""Survival statistics against R's survival package (expected.json, from reference.R).

Tolerance: 1e-6 relative for estimates and limits (1e-5 for Cox models); the data are R's
own `aml` and `lung`.
"""

import csv
import json
from pathlib import Path

import pytest
from lifelines import KaplanMeierFitter

from analytics import survival
from analytics.proportions import Proportion

REFERENCE = Path(__file__).parent / "reference"
EXPECTED = json.loads((REFERENCE / "expected.json").read_text())
AML_MAINTAINED = ([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
AML_NONMAINTAINED = (
    [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45],
    [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
)


def approx(value):
    return None if value is None else pytest.approx(value, rel=1e-6)


def lung():
    with (REFERENCE / "lung.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return (
        [float(r["time"]) for r in rows],
        [r["status"] == "1" for r in rows],
        [int(r["sex"]) for r in rows],
    )


def check_km(summary, expected):
    assert summary.n == expected["n"]
    assert summary.events == expected["events"]
    assert summary.median == approx(expected["median"])
    assert summary.median_ci_transformed.lower == approx(expected["lower"])
    assert summary.median_ci_transformed.upper == approx(expected["upper"])
    assert summary.median_ci_symmetric.lower == approx(expected["symmetric"]["lower"])
    assert summary.median_ci_symmetric.upper == approx(expected["symmetric"]["upper"])
    for ours, theirs in zip(summary.survival_at, expected.get("survival_at", []), strict=False):
        assert (ours.survival, ours.lower, ours.upper) == (
            approx(theirs["survival"]),
            approx(theirs["lower"]),
            approx(theirs["upper"]),
        )


@pytest.mark.parametrize(
    ("data", "key", "times"),
    [
        (AML_MAINTAINED, "aml_maintained", (12, 24, 36)),
        (AML_NONMAINTAINED, "aml_nonmaintained", (12, 24)),
    ],
)
def test_kaplan_meier_matches_r_on_aml(data, key, times):
    check_km(survival.kaplan_meier(*data, survival_times=times), EXPECTED[key])


def test_kaplan_meier_matches_r_on_lung():
    times, events, _ = lung()
    check_km(survival.kaplan_meier(times, events, survival_times=(180, 365, 730)), EXPECTED["lung"])


def test_kaplan_meier_matches_r_on_lung_women():
    times, events, sex = lung()
    women = [i for i, s in enumerate(sex) if s == 2]
    summary = survival.kaplan_meier([times[i] for i in women], [events[i] for i in women])
    check_km(summary, EXPECTED["lung_female"])


@pytest.mark.parametrize("key", ["aml_follow_up", "lung_follow_up"])
def test_reverse_km_follow_up_matches_r(key):
    if key == "aml_follow_up":
        times = AML_MAINTAINED[0] + AML_NONMAINTAINED[0]
        events = [bool(e) for e in AML_MAINTAINED[1] + AML_NONMAINTAINED[1]]
    else:
        times, events, _ = lung()
    follow_up = survival.reverse_km_follow_up(times, events)
    expected = EXPECTED[key]
    assert (follow_up.q1, follow_up.median, follow_up.q3) == (
        approx(expected["q1"]),
        approx(expected["median"]),
        approx(expected["q3"]),
    )
    assert follow_up.ci_transformed.lower == approx(expected["lower"])
    assert follow_up.ci_transformed.upper == approx(expected["upper"])


def test_log_rank_and_cox_hazard_ratio_match_r_on_lung():
    times, events, sex = lung()
    test = survival.log_rank(times, events, sex)
    ratio = survival.hazard_ratio(times, events, [s == 2 for s in sex])
    assert test.chi_square == approx(EXPECTED["lung_log_rank"]["chi_square"])
    assert test.p_value == approx(EXPECTED["lung_log_rank"]["p_value"])
    assert test.df == 1
    # Cox estimates: 1e-5 relative (lifelines' and R's Newton-Raphson stop at different steps).
    assert (ratio.ratio, ratio.lower, ratio.upper) == (
        pytest.approx(EXPECTED["lung_hazard_ratio"]["ratio"], rel=1e-5),
        pytest.approx(EXPECTED["lung_hazard_ratio"]["lower"], rel=1e-5),
        pytest.approx(EXPECTED["lung_hazard_ratio"]["upper"], rel=1e-5),
    )


def test_log_rank_and_cox_match_r_on_aml():
    times = AML_MAINTAINED[0] + AML_NONMAINTAINED[0]
    events = AML_MAINTAINED[1] + AML_NONMAINTAINED[1]
    groups = ["M"] * 11 + ["N"] * 12
    test = survival.log_rank(times, events, groups)
    ratio = survival.hazard_ratio(times, events, [g == "N" for g in groups])
    assert test.chi_square == approx(EXPECTED["aml_log_rank"]["chi_square"])
    assert test.p_value == approx(EXPECTED["aml_log_rank"]["p_value"])
    assert ratio.ratio == pytest.approx(EXPECTED["aml_hazard_ratio"]["ratio"], rel=1e-5)


@pytest.mark.parametrize(
    ("label", "n", "total"), [("47/76", 47, 76), ("4/5", 4, 5), ("0/12", 0, 12)]
)
def test_wilson_interval_matches_r_prop_test(label, n, total):
    proportion = Proportion(n, total)
    lower, upper = EXPECTED["wilson"][label]
    assert (proportion.ci_lower, proportion.ci_upper) == (approx(lower), approx(upper))


def test_proportion_is_shown_with_its_numerator_and_denominator():
    assert Proportion(47, 76).format() == "47/76 (61.8%)"
    assert Proportion(0, 0).format() == "0/0 (–)"
    assert Proportion(0, 0).percent is None


def test_median_is_the_event_time_where_survival_reaches_exactly_half():
    # Six subjects, three events before any censoring: S(3) = 5/6 * 4/5 * 3/4 = 1/2, which
    # lifelines stores as 0.5000000000000001 and so reports the median as not reached.
    times = [1, 2, 3, 4, 5, 6]
    events = [1, 1, 1, 0, 0, 0]
    summary = survival.kaplan_meier(times, events)
    lifelines_median = KaplanMeierFitter().fit(times, events).median_survival_time_
    assert summary.median == 3
    assert lifelines_median == float("inf")  # why the 1e-9 tolerance exists


def test_median_not_reached_is_none_with_a_note():
    summary = survival.kaplan_meier([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0])
    assert summary.median is None
    assert summary.median_ci_symmetric.lower is None
    assert "not reached" in summary.median_ci_symmetric.note
    assert summary.as_dict()["median"] is None


def test_a_curve_ending_at_zero_leaves_the_upper_limit_not_reached():
    summary = survival.kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert summary.median == 2
    assert summary.median_ci_transformed.upper is None
    # Collett by hand: u = 1 (S .75), l = 3 (S .25), f = .25; Greenwood 1/12 + 1/6 = 1/4,
    # se S(2) = .5 * .5 = .25, SE = 1: 2 -/+ 1.96.
    assert summary.median_ci_symmetric.lower == pytest.approx(2 - 1.959963984540054)
    assert summary.median_ci_symmetric.upper == pytest.approx(2 + 1.959963984540054)


def test_a_one_patient_group_says_why_its_symmetric_interval_is_null():
    summary = survival.kaplan_meier([5.0], [True])
    assert summary.median == 5.0
    ci = summary.as_dict()["median_ci_symmetric"]
    assert (ci["lower"], ci["upper"]) == (None, None)
    # S falls to 0 at the median: Greenwood's d / (n (n - d)) divides by zero.
    assert ci["note"].startswith("not estimable")
    assert "Greenwood" in ci["note"]


def test_every_null_survival_at_a_time_says_why():
    summary = survival.kaplan_meier([3.0, 8.0], [True, False]).as_dict()
    beyond = [s for s in summary["survival_at"] if s["survival"] is None]
    assert [s["time"] for s in beyond] == [12.0, 24.0, 36.0]
    assert {s["note"] for s in beyond} == {"beyond the last observation"}


def test_a_symmetric_lower_limit_below_zero_is_kept_and_noted():
    # Collett by hand: median 1 (S .5); u = 0 (S 1), l = 4 (S 0), f = 1/4; Greenwood at 1:
    # 1/(2*1), se S = .5 * sqrt(.5), SE = 1.414: 1 - 1.96 * 1.414 < 0.
    summary = survival.kaplan_meier([1.0, 4.0], [True, True])
    ci = summary.median_ci_symmetric
    assert ci.lower == pytest.approx(1 - 1.959963984540054 * 0.5 * 0.5**0.5 / 0.25)
    assert ci.lower < 0
    assert ci.note == survival.NEGATIVE_LOWER_LIMIT


def test_at_tied_times_events_come_before_censorings():
    # At t = 2 one event and one censoring: the censored subject is still at risk at 2.
    summary = survival.kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
    at_two = next(p for p in summary.curve if p.time == 2)
    assert at_two.at_risk == 3
    assert at_two.survival == pytest.approx(0.75 * 2 / 3)


def test_at_risk_table_counts_cumulative_events_and_censorings():
    rows = survival.at_risk_table([2, 5, 7, 7, 13], [1, 0, 1, 0, 1], ticks=[0, 6, 12])
    assert [(r.time, r.at_risk, r.events, r.censored) for r in rows] == [
        (0, 5, 0, 0),
        (6, 3, 1, 1),
        (12, 1, 2, 2),
    ]


def test_empty_and_invalid_input():
    assert survival.kaplan_meier([], []).n == 0
    with pytest.raises(ValueError, match="negative"):
        survival.kaplan_meier([-1, 2], [1, 1])
    with pytest.raises(ValueError, match="2 durations but 1"):
        survival.kaplan_meier([1, 2], [1])
    assert survival.hazard_ratio([1, 2, 3], [1, 1, 0], [True, True, False]) is None
