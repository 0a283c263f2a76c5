"""Clinical derivations on hand-built courses (pure: no database)."""

from datetime import date, timedelta

import pytest

from registry.domain import biology
from registry.domain.biology import Her2Status, HrStatus, Receptors, Subtype
from registry.domain.course import (
    Contact,
    Line,
    Operation,
    PatientCourse,
    Progression,
    Response,
    SiteDetection,
)
from registry.domain.dates import age_in_completed_years, months_between
from registry.domain.oligoprogression import OpdExclusion, opd_case
from registry.domain.regimens import regimen_group_at
from registry.domain.response import cr_episodes, had_local_approach
from registry.domain.rules import event_date_error, presentation_warning

D0 = date(2020, 1, 1)


def d(days: int) -> date:
    return D0 + timedelta(days=days)


def course(**kwargs) -> PatientCourse:
    defaults = {"patient_id": 1, "mbc_diagnosis": D0, "presentation": "de_novo"}
    return PatientCourse(**{**defaults, **kwargs})


LINE1 = Line(1, "anti_her2_chemo", d(0), d(300), d(100))
LINE2 = Line(2, "chemotherapy", d(300), None, None)


def responses(*items) -> tuple[Response, ...]:
    return tuple(Response(d(day), line, category) for day, line, category in items)


# --- biology -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("er", "pr", "expected"),
    [
        (0, 0, HrStatus.NEGATIVE),
        (1, 0, HrStatus.POSITIVE),
        (0, 1, HrStatus.POSITIVE),
        (None, 0, HrStatus.UNKNOWN),
        (None, 5, HrStatus.POSITIVE),
        (None, None, HrStatus.UNKNOWN),
    ],
)
def test_hormone_receptor_status_uses_the_one_percent_threshold(er, pr, expected):
    assert biology.hr_status(er, pr) is expected


@pytest.mark.parametrize(
    ("ihc", "ish", "expected"),
    [
        ("3+", "", Her2Status.POSITIVE),
        ("2+", "amplified", Her2Status.POSITIVE),
        ("2+", "not_amplified", Her2Status.LOW),
        ("2+", "", Her2Status.EQUIVOCAL),
        ("2+", "pending", Her2Status.EQUIVOCAL),
        ("1+", "", Her2Status.LOW),
        ("0", "", Her2Status.ZERO),
        ("", "amplified", Her2Status.POSITIVE),
        ("", "not_amplified", Her2Status.NEGATIVE),
        ("", "", Her2Status.UNKNOWN),
    ],
)
def test_her2_status_follows_asco_cap(ihc, ish, expected):
    assert biology.her2_status(ihc, ish) is expected


def test_subtypes_and_her2_positive_group():
    assert biology.subtype(HrStatus.POSITIVE, Her2Status.LOW) is Subtype.HR_POS_HER2_NEG
    assert biology.subtype(HrStatus.NEGATIVE, Her2Status.ZERO) is Subtype.TRIPLE_NEGATIVE
    assert biology.subtype(HrStatus.NEGATIVE, Her2Status.POSITIVE).is_her2_positive
    assert biology.subtype(HrStatus.POSITIVE, Her2Status.EQUIVOCAL) is Subtype.UNKNOWN


def test_reference_assessment_is_the_latest_usable_before_diagnosis_else_earliest_after():
    early = Receptors(d(-400), 90, 10, "1+", "")
    late = Receptors(d(-10), 0, 0, "3+", "")
    awaiting_ish = Receptors(d(-1), 50, 0, "2+", "pending")
    after = Receptors(d(30), 0, 0, "0", "")
    assert biology.reference_assessment([early, late, awaiting_ish, after], D0) == late
    assert biology.reference_assessment([after, Receptors(d(90), 5, 5, "0", "")], D0) == after
    assert biology.patient_subtype([awaiting_ish], D0) is Subtype.UNKNOWN


# --- dates and rules ------------------------------------------------------------------


def test_age_is_whole_years_completed():
    assert age_in_completed_years(date(1960, 6, 15), date(2020, 6, 14)) == 59
    assert age_in_completed_years(date(1960, 6, 15), date(2020, 6, 15)) == 60
    assert age_in_completed_years(date(1960, 2, 29), date(2021, 2, 28)) == 60
    assert months_between(D0, d(3044)) == pytest.approx(3044 / 30.4375)


def test_presentation_warning_at_the_90_day_boundary():
    assert presentation_warning("de_novo", D0, d(90)) is None
    assert "91 days" in presentation_warning("de_novo", D0, d(91))
    assert "90 days" in presentation_warning("recurrent", D0, d(90))
    assert presentation_warning("recurrent", D0, d(91)) is None


def test_event_date_rules():
    assert "before the patient's birth" in event_date_error(d(-1), birth=D0, death=None)
    assert "after the patient's death" in event_date_error(d(2), birth=None, death=d(1))
    assert event_date_error(d(1), birth=None, death=d(1)) is None
    assert "future" in event_date_error(date.today() + timedelta(days=1), birth=None, death=None)


# --- CR episodes ----------------------------------------------------------------------


def test_an_episode_runs_through_cr_and_ne_and_ends_at_the_first_pr():
    episodes = cr_episodes(
        course(
            lines=(LINE1,),
            responses=responses((50, 1, "CR"), (80, 1, "NE"), (110, 1, "CR"), (140, 1, "PR")),
        )
    )
    assert [(e.first_cr_on, e.ended_on, e.ended_by) for e in episodes] == [(d(50), d(140), "PR")]


def test_pd_splits_episodes_and_a_later_cr_starts_a_new_one():
    episodes = cr_episodes(
        course(
            lines=(LINE1, LINE2), responses=responses((50, 1, "CR"), (290, 1, "PD"), (350, 2, "CR"))
        )
    )
    assert [(e.first_cr_on, e.line_number, e.ended_by) for e in episodes] == [
        (d(50), 1, "PD"),
        (d(350), 2, ""),
    ]
    assert episodes[1].ended_on is None


def test_a_progression_event_ends_an_episode():
    episodes = cr_episodes(
        course(
            lines=(LINE1,),
            responses=responses((50, 1, "CR"), (200, 1, "CR")),
            progressions=(Progression(d(120), "locoregional", True),),
        )
    )
    assert [(e.first_cr_on, e.ended_on, e.ended_by) for e in episodes] == [
        (d(50), d(120), "progression event"),
        (d(200), None, ""),
    ]


def test_a_change_of_line_in_cr_keeps_the_episode_and_its_first_line():
    episodes = cr_episodes(
        course(
            lines=(LINE1, LINE2),
            responses=responses((250, 1, "CR"), (320, 2, "CR"), (400, 2, "SD")),
        )
    )
    assert [(e.first_cr_on, e.line_number, e.ended_on) for e in episodes] == [
        (d(250), 1, d(400)),
    ]


def test_cr_during_maintenance_counts_from_the_maintenance_start_day():
    on_the_day = cr_episodes(course(lines=(LINE1,), responses=responses((100, 1, "CR"))))
    day_before = cr_episodes(course(lines=(LINE1,), responses=responses((99, 1, "CR"))))
    assert on_the_day[0].during_maintenance
    assert not day_before[0].during_maintenance


def test_duration_of_cr_ends_at_progression_death_or_last_contact():
    progression = course(
        lines=(LINE1,),
        responses=responses((50, 1, "CR"), (200, 1, "PD")),
        progressions=(Progression(d(200), "systemic", None),),
    )
    death = course(
        lines=(LINE1,),
        responses=responses((50, 1, "CR")),
        contacts=(Contact(d(400), "dead", "ned", d(380)),),
    )
    censored = course(
        lines=(LINE1,),
        responses=responses((50, 1, "CR")),
        contacts=(Contact(d(500), "alive", "ned", None),),
    )
    no_follow_up = course(
        lines=(LINE1,), responses=responses((50, 1, "CR"), (90, 1, "CR")), recorded_dates=(d(90),)
    )
    for case, end, event in [
        (progression, d(200), True),
        (death, d(380), True),
        (censored, d(500), False),
        (no_follow_up, d(90), False),
    ]:
        duration = cr_episodes(case)[0].duration(case)
        assert (duration.end, duration.event, duration.days) == (end, event, (end - d(50)).days)


def test_progression_event_and_pd_on_the_same_day_count_once():
    case = course(
        responses=responses((200, 1, "PD")), progressions=(Progression(d(200), "systemic", None),)
    )
    assert case.progression_dates() == [d(200)]


def test_local_approach_boundaries_are_inclusive():
    def with_surgery(day):
        operation = Operation(d(day), False, True, False, False, False, "", None)
        return course(operations=(operation,))

    assert had_local_approach(with_surgery(0), first_cr=d(50))
    assert had_local_approach(with_surgery(50), first_cr=d(50))
    assert not had_local_approach(with_surgery(51), first_cr=d(50))
    assert not had_local_approach(with_surgery(-1), first_cr=d(50))


def test_site_count_on_a_date_counts_distinct_categories():
    case = course(sites=(SiteDetection("bone", d(0)), SiteDetection("liver", d(40))))
    assert (case.site_count_on(d(39)), case.site_count_on(d(40))) == (1, 2)


# --- oligoprogression -------------------------------------------------------------------


def opd_course(*, presentation="de_novo", surgery_day=130, continued=True, extra=()):
    operation = Operation(d(surgery_day), False, True, False, True, False, "", continued)
    return course(
        presentation=presentation,
        lines=(LINE1, LINE2),
        progressions=(
            Progression(d(60), "locoregional", False),
            Progression(d(120), "locoregional", True),
            *extra,
        ),
        operations=(operation,),
    )


def test_first_opd_needs_the_other_sites_to_keep_their_response():
    case = opd_case(opd_course())
    assert case.opd_on == d(120)
    assert case.exclusion is None
    assert case.line.number == 1
    assert case.pre_opd_pfs.days == 120
    assert case.days_opd_to_surgery == 10


@pytest.mark.parametrize(
    ("kwargs", "exclusion"),
    [
        ({"presentation": "recurrent"}, OpdExclusion.NOT_DE_NOVO),
        ({"surgery_day": 110}, OpdExclusion.NO_BREAST_SURGERY),  # before the OPD
        (
            {"surgery_day": 160, "extra": (Progression(d(150), "systemic", None),)},
            OpdExclusion.NO_BREAST_SURGERY,
        ),  # after a later progression
        ({"continued": False}, OpdExclusion.LINE_NOT_CONTINUED),
        ({"continued": None}, OpdExclusion.LINE_NOT_CONTINUED),
    ],
)
def test_each_selection_step_excludes(kwargs, exclusion):
    assert opd_case(opd_course(**kwargs)).exclusion is exclusion


def test_line_at_opd_is_the_latest_started_on_or_before_it():
    case = course(lines=(LINE1, LINE2), progressions=(Progression(d(300), "locoregional", True),))
    assert opd_case(case).line.number == 2  # line 2 starts on the OPD day


def test_ps_pfs_runs_from_opd_to_next_progression_or_death():
    case = opd_course(extra=(Progression(d(400), "systemic", None),))
    ps_pfs = opd_case(case).post_surgery_pfs(case)
    assert (ps_pfs.days, ps_pfs.event) == (280, True)


def test_regimen_group_at_opd():
    assert regimen_group_at(LINE1, d(100)) == "anti-HER2 maintenance"
    assert regimen_group_at(LINE1, d(99)) == "anti-HER2 induction"
    assert regimen_group_at(Line(1, "endocrine_cdk46", D0, None, None), d(5)) == "endocrine-based"
    assert regimen_group_at(None, d(5)) == "no systemic line"


def test_an_anti_her2_line_without_a_maintenance_date_is_not_induction_for_ever():
    # Trastuzumab + pertuzumab + docetaxel from day 0, no maintenance date in the chart.
    line = Line(1, "anti_her2_chemo", D0, None, None)
    six_months = D0 + timedelta(days=round(6 * 30.4375))
    assert regimen_group_at(line, six_months - timedelta(days=1)) == "anti-HER2 induction"
    assert regimen_group_at(line, six_months) == (
        "anti-HER2, >= 6 months on the line, maintenance date not recorded"
    )
    # A recorded maintenance start decides, also when it is the line's first day.
    from_day_one = Line(1, "anti_her2", D0, None, D0)
    assert regimen_group_at(from_day_one, d(0)) == "anti-HER2 maintenance"


def test_immunotherapy_alone_is_its_own_regimen_group():
    line = Line(1, "immunotherapy", D0, None, D0)
    assert regimen_group_at(line, d(30)) == "immunotherapy alone"
