"""Properties that must hold for any course or data set (hypothesis)."""

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import survival
from analytics.proportions import Proportion
from registry.domain import biology
from registry.domain.course import Line, PatientCourse, Progression, Response
from registry.domain.response import CONTINUES_CR, cr_episodes

D0 = date(2020, 1, 1)
CATEGORIES = ["CR", "PR", "SD", "PD", "NE", "non_CR_non_PD"]

assessments = st.lists(
    st.tuples(st.integers(0, 2000), st.sampled_from([1, 2]), st.sampled_from(CATEGORIES)),
    max_size=25,
)
events = st.lists(st.integers(0, 2000), max_size=5)


def course_of(responses, progressions) -> PatientCourse:
    unique = {(day, line): category for day, line, category in responses}
    return PatientCourse(
        patient_id=1,
        mbc_diagnosis=D0,
        presentation="de_novo",
        lines=(
            Line(1, "chemotherapy", D0, None, D0 + timedelta(days=300)),
            Line(2, "endocrine", D0 + timedelta(days=1000), None, None),
        ),
        responses=tuple(
            Response(D0 + timedelta(days=d), line, c) for (d, line), c in unique.items()
        ),
        progressions=tuple(
            Progression(D0 + timedelta(days=d), "systemic", None) for d in set(progressions)
        ),
    )


@settings(max_examples=300, deadline=None)
@given(assessments, events)
def test_cr_episodes_are_ordered_disjoint_and_start_at_a_cr(responses, progressions):
    course = course_of(responses, progressions)
    episodes = cr_episodes(course)
    cr_days = {(r.assessed_on, r.line_number) for r in course.responses if r.category == "CR"}

    assert all((e.first_cr_on, e.line_number) in cr_days for e in episodes)
    assert all(e.ended_by not in CONTINUES_CR for e in episodes)
    for earlier, later in itertools.pairwise(episodes):
        assert earlier.ended_on is not None and earlier.ended_on <= later.first_cr_on
    assert all(e.ended_on is None or e.ended_on >= e.first_cr_on for e in episodes)
    assert len(episodes) <= len(cr_days)
    assert (
        bool(episodes) == bool(cr_days)
        or all(  # a CR can only be lost to a same-day event
            any(p.occurred_on == day for p in course.progressions) for day, _ in cr_days
        )
        is False
        or not episodes
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.1, 100, allow_nan=False), st.booleans()), min_size=1, max_size=40
    )
)
def test_kaplan_meier_is_a_non_increasing_probability_and_the_median_an_event_time(data):
    times = [t for t, _ in data]
    observed = [e for _, e in data]
    summary = survival.kaplan_meier(times, observed)
    values = [p.survival for p in summary.curve]

    assert all(0 <= v <= 1 for v in values)
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(values))
    assert summary.events + summary.censored == summary.n == len(data)
    if summary.median is not None:
        assert any(t == summary.median and e for t, e in data)
        ci = summary.median_ci_transformed
        if ci.lower is not None:
            assert ci.lower <= summary.median
        if ci.upper is not None:
            assert summary.median <= ci.upper
    rows = summary.at_risk
    assert all(a.at_risk >= b.at_risk for a, b in itertools.pairwise(rows))


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_holds_the_observed_proportion(numerator, denominator):
    numerator = min(numerator, denominator)
    proportion = Proportion(numerator, denominator)
    assert proportion.ci_lower <= numerator / denominator <= proportion.ci_upper
    assert proportion.format().startswith(f"{numerator}/{denominator} (")


@given(
    st.one_of(st.none(), st.integers(0, 100)),
    st.one_of(st.none(), st.integers(0, 100)),
    st.sampled_from(["", "0", "1+", "2+", "3+"]),
    st.sampled_from(["", "amplified", "not_amplified", "pending"]),
)
def test_subtype_is_known_exactly_when_hr_and_a_final_her2_status_are(er, pr, ihc, ish):
    hr = biology.hr_status(er, pr)
    her2 = biology.her2_status(ihc, ish)
    subtype = biology.subtype(hr, her2)
    final = her2 not in (biology.Her2Status.EQUIVOCAL, biology.Her2Status.UNKNOWN)
    assert (subtype is not biology.Subtype.UNKNOWN) == (
        hr is not biology.HrStatus.UNKNOWN and final
    )
    assert subtype.is_her2_positive == (
        subtype is not biology.Subtype.UNKNOWN and her2 is biology.Her2Status.POSITIVE
    )
