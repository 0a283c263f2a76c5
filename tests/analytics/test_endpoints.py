"""Configurable endpoints: hand-computed times, the fixed reports' numbers, Cox against R."""

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics import survival
from analytics.cohorts import CohortFilter, build_cohort
from analytics.drilldown import UnknownCell, patients_behind, report_counts
from analytics.endpoints import (
    EndpointDefinition,
    InvalidDefinition,
    at_risk_table,
    endpoint_report,
    endpoint_spec,
    endpoint_times,
    parse_definition,
    summary_table,
)
from analytics.reports.complete_response import complete_response_report
from analytics.reports.oligoprogression import oligoprogression_report
from analytics.tables import report_tables
from bench.generate import generate
from registry.models import Patient
from tests.analytics.test_cr_report import galli_like  # noqa: F401 (a fixture)
from tests.analytics.test_opd_report import bianco_like  # noqa: F401 (a fixture)
from tests.builders import build_patient, day

REFERENCE = Path(__file__).parent / "reference"
M = 30.4375


def months(start: float, end: float) -> float:
    """Months between two builder offsets, as the registry computes them (whole days)."""
    return (day(end) - day(start)).days / M


def cohort():
    return build_cohort(Patient.objects.all(), CohortFilter())


def times_of(frame: pd.DataFrame) -> list[tuple[float, bool]]:
    return sorted(zip(frame["months"].round(9), frame["event"], strict=True))


# --- definitions ------------------------------------------------------------------------


def test_a_definition_parses_from_text_values():
    definition = parse_definition(
        {"origin": "line_start", "line": "2", "event": "progression_or_death"}
    )
    assert definition == EndpointDefinition("line_start", "progression_or_death", 2, "all", "")
    assert (
        definition.label
        == "Progression or death (progression-free survival), from the start of line 2"
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"origin": "birth", "event": "death"}, "origin", "Unknown origin 'birth'"),
        ({"event": "death"}, "origin", "Choose the origin."),
        ({"origin": "mbc_diagnosis", "event": "relapse"}, "event", "Unknown event 'relapse'"),
        ({"origin": "line_start", "event": "death"}, "line", "needs its line number"),
        ({"origin": "line_start", "line": "0", "event": "death"}, "line", "from 1 to 99"),
        ({"origin": "line_start", "line": "1.5", "event": "death"}, "line", "whole number"),
        ({"origin": "first_cr", "line": 1, "event": "death"}, "line", "belongs only with"),
        ({"origin": "first_cr", "event": "line_end_or_death"}, "event", "treatment failure"),
        (
            {"origin": "mbc_diagnosis", "event": "death", "group_by": "regimen_group_at_origin"},
            "group_by",
            "No line runs at the MBC diagnosis",
        ),
        ({"origin": "mbc_diagnosis", "event": "death", "group_by": "age"}, "group_by", "Unknown"),
        (
            {"origin": "mbc_diagnosis", "event": "death", "group_by": "death_date"},
            "group_by",
            "Unknown",
        ),
        ({"origin": "mbc_diagnosis", "event": "death", "population": "x"}, "population", "x"),
    ],
)
def test_every_bad_definition_is_refused_at_its_field(data, field, message):
    with pytest.raises(InvalidDefinition) as refused:
        parse_definition(data)
    assert message in " ".join(refused.value.errors[field])


# --- hand-built patients ----------------------------------------------------------------


@pytest.fixture
def os_patients(centre_a):
    """OS from MBC diagnosis: deaths at 10 and 30 months, censored at 5 and 20."""
    build_patient(centre_a, died_at=10)
    build_patient(centre_a, last_contact=20)
    build_patient(centre_a, died_at=30, subtype="triple-negative")
    build_patient(centre_a, last_contact=5, subtype="triple-negative")


@pytest.mark.django_db
def test_overall_survival_from_the_mbc_diagnosis_by_hand(os_patients):
    definition = parse_definition({"origin": "mbc_diagnosis", "event": "death"})
    report = endpoint_report(cohort(), definition)
    km = report["overall"]["km"]

    # Times 5 (censored), 10 (death, 3 at risk: S = 2/3), 20 (censored), 30 (death, 1 at
    # risk: S = 0): the median is 30 months; the 12-month survival is 2/3.
    assert (km["n"], km["events"], km["censored"]) == (4, 2, 2)
    assert km["median"] == pytest.approx(months(0, 30))
    assert km["survival_at"][0]["survival"] == pytest.approx(2 / 3)
    assert [(r["time"], r["at_risk"], r["events"], r["censored"]) for r in km["at_risk"][:3]] == [
        (0.0, 4, 0, 0),
        (6.0, 3, 0, 1),
        (12.0, 2, 1, 1),
    ]
    # Reverse KM: the alive are the events (5 and 20), deaths censor: S = 3/4 after 5,
    # then 10 censors, 20 is the event with 2 at risk: S = 3/8; the median is 20.
    assert report["overall"]["follow_up"]["median"] == pytest.approx(months(0, 20))
    assert report["definition"]["label"] == "Death (overall survival), from the MBC diagnosis"


@pytest.mark.django_db
def test_a_data_cut_off_ignores_later_events_and_censors_at_it(os_patients, centre_a):
    build_patient(centre_a, lines=[(26, None, None, "endocrine")], last_contact=40)
    cutoff = day(25)
    definition = parse_definition({"origin": "mbc_diagnosis", "event": "death"})

    times = endpoint_times(cohort(), definition, cutoff=cutoff).frame

    # The death at 30 is after the cut-off: censored at 25, alive then; the fifth patient's
    # last contact (40) is after it too.
    assert times_of(times) == [
        (round(months(0, 5), 9), False),
        (round(months(0, 10), 9), True),
        (round(months(0, 20), 9), False),
        (round(months(0, 25), 9), False),
        (round(months(0, 25), 9), False),
    ]
    assert times["end_date"].max() == cutoff
    assert times["alive_at_end"].sum() == 4

    line_start = parse_definition({"origin": "line_start", "line": 1, "event": "death"})
    steps = endpoint_times(cohort(), line_start, cutoff=cutoff).selection
    # The only line starts after the cut-off: not seen.
    assert [len(s["remaining"]) for s in steps] == [5, 5, 1, 0, 0]


@pytest.fixture
def pfs_patients(centre_a):
    """PFS on line 1: HR+/HER2- 6 (PD), 12 (event and PD the same day), censored 18;
    triple-negative 4 (death), 8 (the progression on the line's start day does not count);
    one patient without a line."""
    build_patient(
        centre_a, lines=[(0, 6, None, "endocrine")], responses=[(6, 1, "PD")], last_contact=30
    )
    build_patient(
        centre_a,
        lines=[(0, 12, None, "endocrine_cdk46")],
        responses=[(12, 1, "PD")],
        progressions=[(12, "systemic")],
        last_contact=30,
    )
    build_patient(centre_a, lines=[(2, None, None, "endocrine")], last_contact=20)
    build_patient(
        centre_a, subtype="triple-negative", lines=[(0, None, None, "chemotherapy")], died_at=4
    )
    build_patient(
        centre_a,
        subtype="triple-negative",
        lines=[(1, 9, None, "chemotherapy"), (9, None, None, "chemotherapy")],
        progressions=[(1, "systemic"), (9, "systemic")],
        last_contact=20,
    )
    build_patient(centre_a, subtype="triple-negative", last_contact=10)


@pytest.mark.django_db
def test_pfs_on_line_1_by_subtype_by_hand(pfs_patients):
    definition = parse_definition(
        {
            "origin": "line_start",
            "line": "1",
            "event": "progression_or_death",
            "group_by": "subtype_group",
        }
    )
    report = endpoint_report(cohort(), definition)
    groups = report["groups"]
    hr, tn = groups["estimates"]["HR+/HER2-"]["km"], groups["estimates"]["triple-negative"]["km"]

    assert [s["remaining"] for s in report["selection"]] == [6, 6, 5, 5]
    assert (hr["n"], hr["events"], hr["censored"]) == (3, 2, 1)
    # 6 (S = 2/3), 12 (S = 1/3), censored at 18: the median is 12.
    assert hr["median"] == pytest.approx(months(0, 12))
    assert (tn["n"], tn["events"], tn["censored"]) == (2, 2, 0)
    # 4 (S = 1/2): the median is 4 months; the other progressed 8 months into its line.
    assert tn["median"] == pytest.approx(months(0, 4))
    assert tn["curve"][-1]["time"] == pytest.approx(months(1, 9))
    assert groups["groups"] == ["HR+/HER2-", "triple-negative"]
    assert groups["hazard_ratios"]["reference"] == "HR+/HER2-"
    # R 4.2, survival 3.5, on these five times (months = days / 30.4375):
    #   survdiff(Surv(t, e) ~ g); coxph(Surv(t, e) ~ g, ties = "efron")
    r_log_rank_chi_square, r_ratio, r_lower, r_upper = R_PFS_BY_SUBTYPE
    assert groups["log_rank"]["chi_square"] == pytest.approx(r_log_rank_chi_square, rel=1e-6)
    (ratio,) = groups["hazard_ratios"]["ratios"]
    assert (ratio["group"], ratio["versus"]) == ("triple-negative", "HR+/HER2-")
    assert (ratio["ratio"], ratio["lower"], ratio["upper"]) == (
        pytest.approx(r_ratio, rel=1e-5),
        pytest.approx(r_lower, rel=1e-5),
        pytest.approx(r_upper, rel=1e-5),
    )


@pytest.mark.django_db
def test_time_to_next_treatment_and_to_treatment_failure_by_hand(centre_a):
    build_patient(  # line 1 ends at 8, line 2 starts at 10
        centre_a,
        lines=[(0, 8, None, "endocrine"), (10, None, None, "chemotherapy")],
        last_contact=30,
    )
    build_patient(centre_a, lines=[(3, None, None, "endocrine")], last_contact=15)  # ongoing
    build_patient(centre_a, lines=[(0, None, None, "chemotherapy")], died_at=6)  # dies on it

    def times(event):
        definition = parse_definition({"origin": "line_start", "line": 1, "event": event})
        return times_of(endpoint_times(cohort(), definition).frame)

    assert times("next_line_or_death") == [
        (round(months(0, 6), 9), True),
        (round(months(0, 10), 9), True),
        (round(months(3, 15), 9), False),
    ]
    assert times("line_end_or_death") == [
        (round(months(0, 6), 9), True),
        (round(months(0, 8), 9), True),
        (round(months(3, 15), 9), False),
    ]


@pytest.mark.django_db
def test_regimen_group_at_the_origin_and_a_derived_fact_as_groups(pfs_patients):
    by_regimen = parse_definition(
        {
            "origin": "line_start",
            "line": 1,
            "event": "death",
            "group_by": "regimen_group_at_origin",
        }
    )
    frame = endpoint_times(cohort(), by_regimen).frame
    assert sorted(frame["group"]) == ["chemotherapy"] * 2 + ["endocrine-based"] * 3

    by_fact = parse_definition(
        {"origin": "mbc_diagnosis", "event": "death", "group_by": "evaluable_for_response"}
    )
    result = endpoint_times(cohort(), by_fact)
    assert result.group_order == ["no", "yes"]
    assert sorted(result.frame["group"]) == ["no"] * 4 + ["yes"] * 2


@pytest.mark.django_db
def test_every_count_of_an_endpoint_lists_the_patients_counted(centre_a, centre_b):
    """OS from MBC diagnosis by subtype: deaths at 10 (A) and 30 (B, triple-negative),
    censored at 20 (A) and 5 (B, triple-negative); a recurrent patient of A last seen at
    the diagnosis (censored at time 0)."""
    died_10 = build_patient(centre_a, died_at=10).registry_id
    alive_20 = build_patient(centre_a, last_contact=20).registry_id
    died_30 = build_patient(centre_b, died_at=30, subtype="triple-negative").registry_id
    alive_5 = build_patient(centre_b, last_contact=5, subtype="triple-negative").registry_id
    seen_once = build_patient(centre_a, presentation="recurrent").registry_id
    definition = parse_definition(
        {"origin": "mbc_diagnosis", "event": "death", "group_by": "subtype"}
    )
    spec, everyone = endpoint_spec(definition), cohort()

    def listed(cell: str) -> set[str]:
        return set(patients_behind(spec, everyone, cell).rows["registry_id"])

    assert listed("selection[with follow-up after the origin].remaining") == {
        died_10,
        alive_20,
        died_30,
        alive_5,
        seen_once,
    }
    assert listed("overall.km.events") == {died_10, died_30}
    assert listed("overall.km.censored") == {alive_20, alive_5, seen_once}
    # At 12 months: 20 and 30 still at risk; 10 had the event, 5 and 0 were censored.
    assert listed("overall.km.at_risk[12].at_risk") == {alive_20, died_30}
    assert listed("overall.km.at_risk[12].events") == {died_10}
    assert listed("overall.km.at_risk[12].censored") == {alive_5, seen_once}
    assert listed("groups.estimates.triple-negative.km.n") == {died_30, alive_5}
    assert listed("groups.estimates.HR+/HER2-.km.events") == {died_10}
    assert listed("by_centre.CB.km.n") == {died_30, alive_5}
    de_novo = endpoint_spec(parse_definition({**definition.as_dict(), "population": "de_novo"}))
    steps = [
        set(patients_behind(de_novo, everyone, f"selection[{step}].remaining").rows["registry_id"])
        for step in ("patients selected by the filters", "in the population: de novo patients")
    ]
    followed = {died_10, alive_20, died_30, alive_5}
    assert steps == [followed | {seen_once}, followed]
    # Every count the report prints is a list of that length.
    report = endpoint_report(everyone, definition, by_centre=True)
    counts = report_counts(spec, everyone)
    figures = dict(report_tables(report)["figures"].itertuples(index=False))
    plain = {cell: len(rows) for cell, rows in counts.items() if ".at_risk[" not in cell}
    # 4 selection steps; n, events, censored of the overall, 2 subtypes and 2 centres.
    assert len(plain) == 4 + 3 * 5
    assert all(figures[cell] == n for cell, n in plain.items())
    for row in report["by_centre"]["CA"]["km"]["at_risk"]:
        assert len(counts[f"by_centre.CA.km.at_risk[{row['time']:g}].at_risk"]) == row["at_risk"]
    with pytest.raises(UnknownCell):
        patients_behind(spec, everyone, "overall.km.median")


@pytest.mark.django_db
def test_summary_and_at_risk_tables_hold_the_reports_numbers(pfs_patients):
    definition = parse_definition(
        {"origin": "line_start", "line": 1, "event": "death", "group_by": "subtype_group"}
    )
    report = endpoint_report(cohort(), definition, by_centre=True)
    summary = summary_table(report)
    at_risk = at_risk_table(report)

    assert list(summary["group"]) == ["All patients", "HR+/HER2-", "triple-negative", "CA"]
    assert list(summary["n"]) == [5, 3, 2, 5]
    assert set(at_risk["grouping"]) == {"overall", "subtype_group", "centre"}
    assert at_risk.iloc[0].to_dict() == {
        "grouping": "overall",
        "group": "All patients",
        "time": 0.0,
        "at_risk": 5,
        "events": 0,
        "censored": 0,
    }


# --- the papers' endpoints give the fixed reports' numbers ------------------------------

PS_PFS = {
    "origin": "first_locoregional_opd",
    "event": "progression_or_death",
    "population": "opd_surgery_cohort",
}
CR_FROM_FIRST_CR = {"origin": "first_cr", "event": "progression_or_death"}
FOLLOW_UP_OF_CR = {"origin": "mbc_diagnosis", "event": "death", "population": "reached_cr"}


def assert_same_opd_figures(cohort_now) -> None:
    fixed = oligoprogression_report(cohort_now)["overall"]
    ps_pfs = endpoint_report(cohort_now, parse_definition(PS_PFS))
    assert ps_pfs["overall"]["km"] == fixed["ps_pfs"]["overall"]
    assert ps_pfs["overall"]["follow_up"] == fixed["follow_up_from_opd"]

    by_subtype = endpoint_report(
        cohort_now, parse_definition({**PS_PFS, "group_by": "subtype_group"})
    )
    assert {g: e["km"] for g, e in by_subtype["groups"]["estimates"].items()} == fixed["ps_pfs"][
        "by_subtype_group"
    ]
    by_pre_opd = endpoint_report(
        cohort_now, parse_definition({**PS_PFS, "group_by": "pre_opd_pfs_group"})
    )
    estimates = {g: e["km"] for g, e in by_pre_opd["groups"]["estimates"].items()}
    assert estimates == {
        g: km for g, km in fixed["ps_pfs"]["by_pre_opd_pfs_group"].items() if km["n"]
    }
    comparison = fixed["ps_pfs"]["pre_opd_pfs_comparison"]
    if comparison["log_rank"]:
        assert by_pre_opd["groups"]["log_rank"] == comparison["log_rank"]
        if comparison["hazard_ratio"]:
            (ratio,) = by_pre_opd["groups"]["hazard_ratios"]["ratios"]
            assert ratio["ratio"] == pytest.approx(comparison["hazard_ratio"]["ratio"], rel=1e-9)
            assert ratio["lower"] == pytest.approx(comparison["hazard_ratio"]["lower"], rel=1e-9)


def assert_same_cr_figures(cohort_now) -> None:
    fixed = complete_response_report(cohort_now)["overall"]
    duration = endpoint_report(cohort_now, parse_definition(CR_FROM_FIRST_CR))
    assert duration["overall"]["km"] == fixed["duration_of_cr_from_first_cr"]
    follow_up = endpoint_report(cohort_now, parse_definition(FOLLOW_UP_OF_CR))
    assert follow_up["overall"]["follow_up"] == fixed["follow_up_from_mbc_diagnosis"]


@pytest.mark.django_db
@pytest.mark.usefixtures("bianco_like")
def test_ps_pfs_and_its_follow_up_equal_the_opd_reports_on_hand_built_patients():
    assert_same_opd_figures(cohort())


@pytest.mark.django_db
@pytest.mark.usefixtures("galli_like")
def test_duration_of_cr_from_the_first_cr_equals_the_cr_reports_on_hand_built_patients():
    assert_same_cr_figures(cohort())


@pytest.mark.django_db
def test_the_papers_endpoints_equal_the_fixed_reports_on_the_demo_cohort():
    # The demo's own courses, written in bulk (bench/generate.py): what seed_demo writes,
    # without its minutes of per-record services.
    generate(patients=120, seed=2017, board_meetings=False, out=lambda line: None)
    demo = cohort()
    assert (demo.patients["opd_selection"] == "included").sum() >= 5

    assert_same_opd_figures(demo)
    assert_same_cr_figures(demo)


# --- Cox with groups against R ----------------------------------------------------------

# test_pfs_on_line_1_by_subtype_by_hand's five times, in R 4.2 with survival 3.5:
#   t <- c(183, 365, 548, 122, 244) / 30.4375; e <- c(1, 1, 0, 1, 1)
#   g <- factor(c("HR", "HR", "HR", "TN", "TN")); survdiff(Surv(t, e) ~ g)$chisq
#   cox <- coxph(Surv(t, e) ~ g, ties = "efron"); exp(coef(cox)); exp(confint(cox))
R_PFS_BY_SUBTYPE = (1.5908507909362972, 4.2154487355073984, 0.37399354887903274, 47.514210057774513)


def test_cox_hazard_ratios_of_three_groups_match_r():
    data = pd.read_csv(REFERENCE / "lung_ecog.csv", dtype={"ecog": str})
    expected = json.loads((REFERENCE / "cox_groups.json").read_text())

    ratios = survival.hazard_ratios(
        data["time"], data["status"].astype(bool), data["ecog"], ["0", "1", "2+"]
    ).as_dict()
    log_rank = survival.log_rank(data["time"], data["status"].astype(bool), data["ecog"])

    assert ratios["reference"] == expected["reference"]
    for got, want in zip(ratios["ratios"], expected["ratios"], strict=True):
        assert got["group"] == want["group"] and got["versus"] == "0"
        for key in ("ratio", "lower", "upper"):
            assert got[key] == pytest.approx(want[key], rel=1e-5)
    assert log_rank.chi_square == pytest.approx(expected["log_rank"]["chi_square"], rel=1e-6)
    assert log_rank.df == expected["log_rank"]["df"]


def test_two_groups_give_the_binary_hazard_ratio():
    data = pd.read_csv(REFERENCE / "lung.csv")
    sex = data["sex"].astype(str)
    binary = survival.hazard_ratio(data["time"], data["status"].astype(bool), sex == "2")
    (grouped,) = survival.hazard_ratios(
        data["time"], data["status"].astype(bool), sex, ["1", "2"]
    ).ratios.values()
    assert grouped == binary


def test_a_group_without_events_has_no_hazard_ratio():
    assert (
        survival.hazard_ratios([1, 2, 3, 4], [1, 1, 0, 0], ["a", "a", "b", "b"], ["a", "b"]) is None
    )


def test_a_definition_round_trips_through_its_dict():
    definition = EndpointDefinition("first_cr", "death", None, "de_novo", "presentation")
    assert parse_definition(definition.as_dict()) == definition


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning")
def test_a_separated_pair_of_groups_has_no_hazard_ratio():
    # Every 'a' event comes before any 'b' time: the coefficient runs off to infinity.
    assert (
        survival.hazard_ratios(
            [1, 2, 3, 10, 11, 12], [1, 1, 1, 1, 0, 0], list("aaabbb"), ["a", "b"]
        )
        is None
    )
