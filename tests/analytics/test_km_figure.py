"""Kaplan-Meier figure polish: the time axis ends with the last patient at risk, the
at-risk table draws no second axis, the y label names the endpoint, the median is marked."""

import pytest

from analytics import plots
from analytics.catalogue import REPORTS


def estimate(median):
    curve = [
        {
            "time": 0.0,
            "survival": 1.0,
            "lower": 1.0,
            "upper": 1.0,
            "at_risk": 4,
            "events": 0,
            "censored": 0,
        },
        {
            "time": 5.0,
            "survival": 0.75,
            "lower": 0.5,
            "upper": 0.9,
            "at_risk": 4,
            "events": 1,
            "censored": 0,
        },
        {
            "time": 9.0,
            "survival": 0.5,
            "lower": 0.3,
            "upper": 0.8,
            "at_risk": 3,
            "events": 1,
            "censored": 0,
        },
        {
            "time": 14.0,
            "survival": 0.5,
            "lower": 0.3,
            "upper": 0.8,
            "at_risk": 2,
            "events": 0,
            "censored": 1,
        },
        {
            "time": 20.0,
            "survival": 0.5,
            "lower": 0.3,
            "upper": 0.8,
            "at_risk": 1,
            "events": 0,
            "censored": 1,
        },
    ]
    at_risk = [
        {"time": t, "at_risk": n, "events": e, "censored": 0}
        for t, n, e in ((0.0, 4, 0), (6.0, 3, 1), (12.0, 2, 2), (18.0, 1, 2), (24.0, 0, 2))
    ]
    return {"n": 4, "median": median, "curve": curve, "at_risk": at_risk}


@pytest.fixture
def figure():
    plot = REPORTS["cr"].plots["duration-of-cr"]
    return plots.figure(plot, {"duration_of_cr": estimate(9.0)}, data_cutoff=None)


def test_time_axis_ends_at_the_last_time_with_a_patient_at_risk(figure):
    curve_axes, _table = figure.axes
    assert curve_axes.get_xlim() == (0.0, 20.0)
    assert list(curve_axes.get_xticks()) == [0.0, 6.0, 12.0, 18.0]  # 24 months is past it


def test_the_time_axis_is_drawn_once(figure):
    curve_axes, table_axes = figure.axes
    assert curve_axes.get_xlabel() == "Months from the episode's first CR"
    assert table_axes.get_xlabel() == ""
    assert not any(
        label.get_visible() and label.get_text() for label in table_axes.get_xticklabels()
    )
    assert not table_axes.spines["bottom"].get_visible()


def test_at_risk_numbers_are_readable_and_the_median_is_marked(figure):
    curve_axes, table_axes = figure.axes
    at_risk = [t for t in table_axes.texts if t.get_text().startswith("4 (0)")]
    assert at_risk and at_risk[0].get_fontsize() >= 10
    assert "median 9.0" in [t.get_text() for t in curve_axes.texts]
    assert curve_axes.get_ylabel() == "Probability of remaining in complete response"


def test_an_unreached_median_is_not_marked():
    plot = REPORTS["cr"].plots["duration-of-cr"]
    fig = plots.figure(plot, {"duration_of_cr": estimate(None)}, data_cutoff=None)
    assert not any(t.get_text().startswith("median") for t in fig.axes[0].texts)
