"""The CR report on a small cohort whose every figure is worked out by hand below."""

import math

import pytest

from analytics.cohorts import CohortFilter, build_cohort
from analytics.reports.complete_response import complete_response_report
from registry.models import Patient
from tests.builders import MBC, build_patient, day

pytestmark = pytest.mark.django_db


def months(start, end) -> float:
    return (end - start).days / 30.4375


@pytest.fixture
def galli_like(centre_a):
    """Six patients. P1: CR on line 1 in maintenance, PD, CR again on line 2 (NE inside).
    P2: CR after radiotherapy, two sites, dies in CR. P3: never CR. P4: CR on line 2 after
    surgery, ended by a progression event. P5: no response assessment. P6: CR, censored."""
    return {
        "P1": build_patient(
            centre_a,
            subtype="HR+/HER2+",
            lines=[(0, 10, 4, "anti_her2_chemo"), (10, None, None, "chemotherapy")],
            responses=[
                (3, 1, "PR"),
                (6, 1, "CR"),
                (9, 1, "CR"),
                (10, 1, "PD"),
                (13, 2, "CR"),
                (16, 2, "NE"),
                (19, 2, "CR"),
            ],
            last_contact=30,
            disease_status="ned",
        ),
        "P2": build_patient(
            centre_a,
            sites=("bone", "liver"),
            lines=[(0, None, None, "endocrine_cdk46")],
            responses=[(3, 1, "SD"), (6, 1, "CR"), (9, 1, "CR")],
            radiotherapy=[1],
            died_at=20,
        ),
        "P3": build_patient(
            centre_a,
            lines=[(0, None, None, "chemotherapy")],
            responses=[(3, 1, "PR"), (6, 1, "PR")],
            last_contact=12,
        ),
        "P4": build_patient(
            centre_a,
            lines=[(0, 8, None, "chemotherapy"), (8, None, None, "chemotherapy")],
            responses=[(3, 1, "SD"), (8, 1, "PD"), (11, 2, "CR")],
            progressions=[(15, "systemic")],
            surgeries=[(9, {"mastectomy"}, True)],
            last_contact=24,
        ),
        "P5": build_patient(centre_a, lines=[(0, None, None, "endocrine")], last_contact=6),
        "P6": build_patient(
            centre_a,
            subtype="triple-negative",
            lines=[(0, None, None, "endocrine")],
            responses=[(4, 1, "CR")],
            last_contact=10,
            disease_status="ned",
        ),
    }


@pytest.fixture
def report(galli_like):
    cohort = build_cohort(Patient.objects.all(), CohortFilter())
    return complete_response_report(cohort)["overall"]


def test_cr_rate_counts_patients_with_an_episode_over_evaluable_patients(report):
    assert (report["patients"], report["evaluable"], report["not_evaluable"]) == (6, 5, 1)
    assert report["cr_rate"]["display"] == "4/5 (80.0%)"
    # Wilson 95% for 4/5 (z = 1.96): centre (4 + 1.92)/(5 + 3.84), half-width as below.
    z = 1.959963984540054
    centre = (4 + z * z / 2) / (5 + z * z)
    half = z * math.sqrt(4 * 1 / 5 + z * z / 4) / (5 + z * z)
    assert report["cr_rate"]["ci95"]["lower"] == pytest.approx(centre - half, abs=1e-9)
    assert report["cr_rate"]["ci95"]["upper"] == pytest.approx(centre + half, abs=1e-9)


def test_cr_rate_by_line_uses_the_line_of_each_episodes_first_cr(report):
    by_line = {row["line"]: row["display"] for row in report["cr_rate_by_line"]}
    # Line 1: P1, P2, P6 of five evaluable; line 2: P1 (second episode) and P4 of two.
    assert by_line == {1: "3/5 (60.0%)", 2: "2/2 (100.0%)"}


def test_cr_rate_by_subtype_has_each_subtypes_own_denominator(report):
    assert report["cr_rate_by_subtype"]["HR+/HER2-"]["display"] == "2/3 (66.7%)"
    assert report["cr_rate_by_subtype"]["HR+/HER2+"]["display"] == "1/1 (100.0%)"
    assert report["cr_rate_by_subtype"]["triple-negative"]["display"] == "1/1 (100.0%)"
    assert report["cr_rate_by_subtype"]["HR-/HER2+"]["display"] == "0/0 (–)"


def test_episodes_maintenance_local_approach_and_single_site(report):
    assert (report["patients_with_cr"], report["cr_episodes"]) == (4, 5)
    assert report["cr_more_than_once"]["display"] == "1/4 (25.0%)"
    assert report["cr_during_maintenance"]["display"] == "1/5 (20.0%)"  # P1's first episode
    assert report["local_approach"]["display"] == "2/4 (50.0%)"  # P2 radiotherapy, P4 surgery
    assert report["single_site_at_first_cr"]["display"] == "3/4 (75.0%)"  # not P2


def test_status_at_last_follow_up_of_cr_patients(report):
    status = {k: v["display"] for k, v in report["status_at_last_follow_up"].items()}
    assert status == {
        "alive_ned": "2/4 (50.0%)",
        "alive_with_disease": "1/4 (25.0%)",
        "dead": "1/4 (25.0%)",
        "unknown": "0/4 (0.0%)",
        "not_recorded": "0/4 (0.0%)",
    }


def test_duration_of_cr_is_per_episode_with_both_intervals_by_hand(report):
    # DEFINITIONS.md: each episode from its first CR to the next progression or death, so
    # P1's second episode (CR at 13 on line 2, NE inside, never progresses) counts too.
    km = report["duration_of_cr"]
    p1 = months(day(6), day(10))  # PD ends P1's first episode: event (121 days)
    p4 = months(day(11), day(15))  # progression event: event (122 days)
    p6 = months(day(4), day(10))  # censored at last contact
    p2 = months(day(6), day(20))  # death in CR: event
    p1_second = months(day(13), day(30))  # censored at P1's last contact
    assert sorted([p1, p4, p6, p2, p1_second]) == [p1, p4, p6, p2, p1_second]
    # S: 4/5 after p1, 3/5 after p4, p6 censored, 3/5 * 1/2 = 3/10 after p2 (the median).
    assert (km["n"], km["events"], km["censored"]) == (5, 3, 2)
    assert km["median"] == pytest.approx(p2)
    # Transformed CI: the log(-log) lower band at p1 is 0.8 ** exp(1.96 sqrt(1/20) / -ln 0.8)
    # = 0.20, already below 0.5; the upper band at p2 is 0.3 ** exp(-1.96 sqrt(0.633) /
    # -ln 0.3) = 0.72 and no later event: not reached.
    assert km["median_ci_transformed"]["lower"] == pytest.approx(p1)
    assert km["median_ci_transformed"]["upper"] is None
    # Symmetric CI (Collett): u = p4 (S = .6), l = p2 (S = .3), density = .3 / (p2 - p4);
    # Greenwood at p2: 1/(5*4) + 1/(4*3) + 1/(2*1), se S = 0.3 * sqrt of it.
    se_median = 0.3 * math.sqrt(1 / 20 + 1 / 12 + 1 / 2) / (0.3 / (p2 - p4))
    symmetric = km["median_ci_symmetric"]
    assert symmetric["lower"] == pytest.approx(p2 - 1.959963984540054 * se_median)
    assert symmetric["upper"] == pytest.approx(p2 + 1.959963984540054 * se_median)
    # The lower limit is below 0: kept raw here, and the note says the page truncates it.
    assert symmetric["lower"] < 0
    assert "truncated at 0" in symmetric["note"]
    assert "CR episode" in report["duration_of_cr_unit"]


def test_duration_of_cr_per_patient_from_the_first_cr_stands_beside_it(report):
    km = report["duration_of_cr_from_first_cr"]
    p1 = months(day(6), day(10))  # PD ends P1's first episode: event
    p4 = months(day(11), day(15))  # progression event: event
    p6 = months(day(4), day(10))  # censored at last contact
    p2 = months(day(6), day(20))  # death in CR: event
    assert sorted([p1, p4, p6, p2]) == [p1, p4, p6, p2]
    # S: 3/4 after p1, 3/4 * 2/3 = 1/2 after p4 (exactly half: the median), 0 after p2.
    assert (km["n"], km["events"], km["censored"]) == (4, 3, 1)
    assert km["median"] == pytest.approx(p4)
    # Transformed CI: the log(-log) lower band is already below 0.5 at p1; the upper band
    # never falls to 0.5 before S reaches 0, where it is undefined: not reached.
    assert km["median_ci_transformed"]["lower"] == pytest.approx(p1)
    assert km["median_ci_transformed"]["upper"] is None
    # Symmetric CI (Collett): u = p1 (S = .75), l = p2 (S = 0), density = .75 / (p2 - p1);
    # Greenwood at the median: 1/(4*3) + 1/(3*2) = 1/4, se S = 0.5 * 0.5 = 0.25.
    se_median = 0.25 / (0.75 / (p2 - p1))
    assert km["median_ci_symmetric"]["lower"] == pytest.approx(p4 - 1.959963984540054 * se_median)
    assert km["median_ci_symmetric"]["upper"] == pytest.approx(p4 + 1.959963984540054 * se_median)
    assert "first CR" in report["duration_of_cr_from_first_cr_unit"]


def test_follow_up_of_cr_patients_by_reverse_kaplan_meier(report):
    follow_up = report["follow_up_from_mbc_diagnosis"]
    # Alive at last contact is the event: P6 at 10, P4 at 24, P1 at 30; P2's death censors.
    # Reverse S: 3/4 at 10, 3/4 * 1/2 = 3/8 at 24 (first <= 0.5: the median), 0 at 30.
    assert follow_up["median"] == pytest.approx(months(MBC, day(24)))
    assert follow_up["q1"] == pytest.approx(months(MBC, day(10)))  # S = 0.75
    assert follow_up["q3"] == pytest.approx(months(MBC, day(30)))  # 3/8 > 1/4; 0 at 30


def test_the_page_shows_a_negative_symmetric_limit_truncated_at_0_and_says_so(
    client, analyst, galli_like
):
    from django.urls import reverse

    from analytics.templatetags.reports import interval

    client.force_login(analyst)
    page = client.get(reverse("analytics:report", args=["cr"])).content.decode()
    raw = client.get(reverse("analytics:download", args=["cr", "json"])).json()

    lower = raw["overall"]["duration_of_cr"]["median_ci_symmetric"]["lower"]
    assert lower < 0  # the JSON keeps the raw value
    assert f"0.0–{raw['overall']['duration_of_cr']['median_ci_symmetric']['upper']:.1f} " in page
    assert f"(lower limit {lower:.1f}, truncated at 0)" in page
    assert "Secondary: per patient, from the first CR" in page
    assert interval({"lower": -1.58, "upper": 29.6, "note": ""}) == (
        "0.0–29.6 (lower limit -1.6, truncated at 0)"
    )
    assert interval({"lower": 2.0, "upper": 29.6, "note": ""}) == "2.0–29.6"
