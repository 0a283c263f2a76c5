"""A course at a data cut-off (pure, hand-built courses): what is dropped, what is censored."""

from datetime import date, timedelta

from registry.domain.analysis import derived_facts
from registry.domain.biology import Receptors
from registry.domain.course import (
    Contact,
    Line,
    Operation,
    PatientCourse,
    Progression,
    Response,
    SiteDetection,
)
from registry.domain.cutoff import course_at_cutoff

D0 = date(2020, 1, 1)
CUTOFF = D0 + timedelta(days=200)


def d(days: int) -> date:
    return D0 + timedelta(days=days)


def operation(day: int) -> Operation:
    return Operation(d(day), False, True, False, False, False, "", True)


def full_course(**changes) -> PatientCourse:
    """Events on both sides of the cut-off (day 200), one exactly on it."""
    values = {
        "patient_id": 1,
        "mbc_diagnosis": D0,
        "presentation": "de_novo",
        "lines": (
            Line(1, "chemotherapy", d(0), d(150), None),
            Line(2, "anti_her2_chemo", d(150), d(260), d(230)),
            Line(3, "endocrine", d(260), None, None),
        ),
        "responses": (
            Response(d(60), 1, "CR"),
            Response(d(200), 2, "CR"),  # on the cut-off: counts
            Response(d(240), 2, "PD"),
        ),
        "progressions": (
            Progression(d(120), "locoregional", True),
            Progression(d(250), "systemic", None),
        ),
        "operations": (operation(130), operation(210)),
        "radiotherapy_dates": (d(20), d(201)),
        "sites": (SiteDetection("bone", d(0)), SiteDetection("liver", d(220))),
        "contacts": (
            Contact(d(180), "alive", "with_disease", None),
            Contact(d(300), "alive", "ned", None),
        ),
        "recorded_dates": (d(0), d(150), d(260), d(240), d(250), d(210), d(201), d(220)),
    }
    return PatientCourse(**{**values, **changes})


RECEPTORS = (
    Receptors(d(-10), 0, 0, "3+", ""),
    Receptors(d(200), 80, 10, "3+", ""),  # on the cut-off: kept
    Receptors(d(201), 0, 0, "0", ""),
)


def test_events_after_the_cutoff_are_dropped_and_one_on_it_counts():
    cut, receptors = course_at_cutoff(full_course(), RECEPTORS, CUTOFF)

    assert [line.number for line in cut.lines] == [1, 2]
    assert cut.lines[0].end == d(150)
    assert cut.lines[1].end is None  # ended after the cut-off: ongoing at it
    assert cut.lines[1].maintenance_start is None  # maintenance started after it
    assert [r.assessed_on for r in cut.responses] == [d(60), d(200)]
    assert [p.occurred_on for p in cut.progressions] == [d(120)]
    assert [o.operated_on for o in cut.operations] == [d(130)]
    assert cut.radiotherapy_dates == (d(20),)
    assert [s.category for s in cut.sites] == ["bone"]
    assert [c.contacted_on for c in cut.contacts] == [d(180)]
    assert [r.assessed_on for r in receptors] == [d(-10), d(200)]


def test_a_patient_followed_beyond_the_cutoff_is_known_alive_at_it():
    cut, _ = course_at_cutoff(full_course(), RECEPTORS, CUTOFF)

    assert full_course().last_contact == d(300)
    assert cut.last_contact == CUTOFF
    assert cut.death_date is None
    assert cut.last_contact_status == "alive_with_disease"  # the contact of day 180


def test_follow_up_ending_before_the_cutoff_is_not_extended():
    course = full_course(
        lines=(Line(1, "chemotherapy", d(0), d(90), None),),
        responses=(),
        progressions=(),
        operations=(),
        radiotherapy_dates=(),
        sites=(),
        contacts=(Contact(d(100), "alive", "ned", None),),
        recorded_dates=(d(0), d(90)),
    )
    cut, _ = course_at_cutoff(course, (), CUTOFF)

    assert cut.last_contact == d(100)
    assert cut == course


def test_a_death_after_the_cutoff_means_alive_at_it():
    course = full_course(contacts=(Contact(d(250), "dead", "with_disease", d(250)),))
    cut, _ = course_at_cutoff(course, (), CUTOFF)

    assert cut.death_date is None
    assert cut.contacts == ()
    assert cut.last_contact == CUTOFF
    assert cut.last_contact_status == "unknown"  # no follow-up contact by the cut-off


def test_a_death_before_the_cutoff_recorded_after_it_counts():
    course = full_course(contacts=(Contact(d(230), "dead", "with_disease", d(190)),))
    cut, _ = course_at_cutoff(course, (), CUTOFF)

    assert cut.death_date == d(190)
    assert cut.contacts == (Contact(CUTOFF, "dead", "with_disease", d(190)),)
    assert cut.last_contact_status == "dead"


def test_a_death_on_the_cutoff_counts():
    course = full_course(contacts=(Contact(d(200), "dead", "ned", d(200)),))
    cut, _ = course_at_cutoff(course, (), CUTOFF)

    assert cut.death_date == CUTOFF


def test_a_patient_diagnosed_after_the_cutoff_is_not_in_the_snapshot():
    assert course_at_cutoff(full_course(mbc_diagnosis=d(201)), (), CUTOFF) is None
    assert course_at_cutoff(full_course(mbc_diagnosis=d(200)), (), CUTOFF) is not None


def test_the_derivation_at_the_cutoff_censors_follow_up_at_it():
    """Hand-computed: the first CR (day 60) runs to the progression of day 120 (60 days);
    the CR of day 200 is ongoing at the cut-off, censored there (0 days); the subtype is
    the reference assessment's (the one before the diagnosis)."""
    cut, receptors = course_at_cutoff(full_course(), RECEPTORS, CUTOFF)
    facts = derived_facts(cut, receptors)

    assert facts.patient["lines_received"] == 2
    assert facts.patient["cr_episodes"] == 2
    assert [e["duration_months"] * 30.4375 for e in facts.episodes] == [60, 0]
    assert [e["progression_or_death"] for e in facts.episodes] == [True, False]
    assert facts.patient["last_contact_date"] == CUTOFF
    assert facts.patient["follow_up_from_mbc_months"] == 200 / 30.4375
    assert facts.patient["dead"] is False
    assert facts.patient["subtype"] == "HR-/HER2+"
    assert facts.patient["sites_at_mbc_diagnosis"] == 1
    assert [row["line"] for row in facts.lines] == [1, 2]
    # The OPD of day 120 and its operation of day 130 were before the cut-off; pS-PFS is
    # censored at the cut-off (the next progression, day 250, is after it).
    assert facts.patient["opd_date"] == d(120)
    assert facts.patient["ps_pfs_months"] * 30.4375 == 80
    assert facts.patient["ps_pfs_event"] is False
