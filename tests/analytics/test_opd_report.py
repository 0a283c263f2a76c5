"""The oligoprogression report on eight patients whose figures are worked out by hand."""

import pytest
from scipy.stats import chi2

from analytics.cohorts import CohortFilter, build_cohort
from analytics.reports.oligoprogression import oligoprogression_report
from registry.models import Patient
from tests.builders import build_patient, day

pytestmark = pytest.mark.django_db

ENDOCRINE = (0, None, None, "endocrine_cdk46")


def months(start, end) -> float:
    return (end - start).days / 30.4375


@pytest.fixture
def bianco_like(centre_a):
    """O1-O3 form the OPD-surgery cohort; O4-O8 are each excluded at one selection step."""
    build_patient(  # O1: HR+/HER2-, pre-OPD PFS 14, pS-PFS event at 12
        centre_a,
        lines=[ENDOCRINE],
        responses=[(3, 1, "PR")],
        progressions=[(14, "locoregional"), (26, "systemic")],
        surgeries=[(15.5, {"mastectomy", "axillary_dissection"}, True)],
        last_contact=40,
    )
    build_patient(  # O2: HER2+ in anti-HER2 maintenance at OPD, censored
        centre_a,
        subtype="HR-/HER2+",
        lines=[(0, None, 4, "anti_her2_chemo")],
        progressions=[(8, "locoregional")],
        surgeries=[(9, {"lumpectomy", "sentinel_node_biopsy"}, True)],
        last_contact=30,
    )
    build_patient(  # O3: OPD on line 2, dies: pS-PFS event at death
        centre_a,
        lines=[(0, 10, None, "chemotherapy"), (10, None, None, "endocrine")],
        progressions=[(20, "locoregional")],
        surgeries=[(21, {"mastectomy"}, True)],
        died_at=30,
    )
    build_patient(  # O4: recurrent
        centre_a,
        presentation="recurrent",
        lines=[ENDOCRINE],
        progressions=[(10, "locoregional")],
        surgeries=[(11, {"mastectomy"}, True)],
        last_contact=20,
    )
    build_patient(  # O5: no locoregional OPD
        centre_a, lines=[ENDOCRINE], progressions=[(10, "systemic")], last_contact=20
    )
    build_patient(  # O6: OPD without surgery
        centre_a, lines=[ENDOCRINE], progressions=[(12, "locoregional")], last_contact=20
    )
    build_patient(  # O7: surgery, but the line was changed
        centre_a,
        lines=[ENDOCRINE],
        progressions=[(12, "locoregional")],
        surgeries=[(13, {"mastectomy"}, False)],
        last_contact=20,
    )
    build_patient(  # O8: surgery only after a later progression
        centre_a,
        lines=[ENDOCRINE],
        progressions=[(12, "locoregional"), (13, "systemic")],
        surgeries=[(14, {"mastectomy"}, True)],
        last_contact=20,
    )


@pytest.fixture
def report(bianco_like):
    return oligoprogression_report(build_cohort(Patient.objects.all(), CohortFilter()))["overall"]


def test_selection_is_the_papers_flow_from_the_patients_with_a_locoregional_opd(report):
    # Seven of the eight had a locoregional OPD (not O5); then O4 is recurrent, O6 and O8
    # have no qualifying operation, O7's line was changed.
    steps = [(s["step"], s["excluded"], s["remaining"]) for s in report["selection"]]
    assert steps == [
        ("patients with a locoregional oligoprogression", 0, 7),
        ("de novo", 1, 6),
        ("with breast/axillary surgery after the OPD", 2, 4),
        ("systemic line continued after surgery", 1, 3),
    ]
    assert report["selection"][1]["excluded_reason"] == "recurrent (not de novo)"
    assert report["n"] == 3


def test_selection_counts_each_step_by_subtype(report):
    first, recurrent, surgery, continued = report["selection"]
    assert first["remaining_by_subtype"] == {
        "HR+/HER2-": 6,
        "HER2+": 1,
        "triple-negative": 0,
        "unknown": 0,
    }
    assert recurrent["excluded_by_subtype"]["HR+/HER2-"] == 1
    assert surgery["excluded_by_subtype"] == {
        "HR+/HER2-": 2,
        "HER2+": 0,
        "triple-negative": 0,
        "unknown": 0,
    }
    assert continued["remaining_by_subtype"]["HR+/HER2-"] == 2
    assert continued["remaining_by_subtype"]["HER2+"] == 1


def test_a_recurrent_patient_without_an_opd_is_outside_the_flow(bianco_like, centre_a):
    build_patient(
        centre_a, presentation="recurrent", lines=[ENDOCRINE], last_contact=20, subtype="HR+/HER2-"
    )
    report = oligoprogression_report(build_cohort(Patient.objects.all(), CohortFilter()))
    overall = report["overall"]
    # Only O4, who had an OPD, is excluded as recurrent; the new patient is counted with
    # the whole-selection denominators beside the flow.
    assert [(s["excluded"], s["remaining"]) for s in overall["selection"]][:2] == [(0, 7), (1, 6)]
    denominators = overall["registry_denominators"]
    assert denominators["patients"] == 9
    assert denominators["de_novo"]["display"] == "7/9 (77.8%)"
    assert denominators["with_locoregional_opd"]["display"] == "7/9 (77.8%)"
    assert denominators["de_novo_with_locoregional_opd"]["display"] == "6/7 (85.7%)"


def test_subtype_line_regimen_and_procedures(report):
    assert report["subtype_group"]["HR+/HER2-"]["display"] == "2/3 (66.7%)"
    assert report["subtype_group"]["HER2+"]["display"] == "1/3 (33.3%)"
    assert report["line_at_opd"] | {} == {
        "n": 3,
        "median": 1.0,
        "q1": 1.0,
        "q3": 1.5,
        "min": 1.0,
        "max": 2.0,
    }
    regimens = report["regimen_at_opd_by_subtype"]
    assert regimens["HR+/HER2-"]["endocrine-based"]["display"] == "2/2 (100.0%)"
    assert regimens["HER2+"]["anti-HER2 maintenance"]["display"] == "1/1 (100.0%)"
    procedures = {k: v["display"] for k, v in report["procedures"].items()}
    assert procedures == {
        "lumpectomy": "1/3 (33.3%)",
        "mastectomy": "2/3 (66.7%)",
        "sentinel_node_biopsy": "1/3 (33.3%)",
        "axillary_dissection": "1/3 (33.3%)",
    }


def test_pre_opd_pfs_and_time_to_surgery(report):
    # Pre-OPD PFS 14 (O1), 8 (O2), 10 (O3, from line 2's start): S = 2/3, 1/3 -> median 10.
    assert report["pre_opd_pfs"]["median"] == pytest.approx(months(day(10), day(20)))
    assert report["pre_opd_pfs_group"][">= 12 months"]["display"] == "1/3 (33.3%)"
    # OPD to surgery 1.5, 1, 1 months: S = 1/3 after the two 1-month times -> median.
    assert report["opd_to_surgery"]["median"] == pytest.approx(months(day(8), day(9)))


def test_post_surgery_pfs_overall_and_by_subtype(report):
    ps_pfs = report["ps_pfs"]
    o1, o2, o3 = months(day(14), day(26)), months(day(8), day(30)), months(day(20), day(30))
    assert (ps_pfs["overall"]["events"], ps_pfs["overall"]["censored"]) == (2, 1)
    assert ps_pfs["overall"]["median"] == pytest.approx(o1)  # S: 2/3 at o3, 1/3 at o1
    # HR+/HER2-: O3 then O1, S = 1/2 exactly at o3: the median is o3, not the next time.
    assert ps_pfs["by_subtype_group"]["HR+/HER2-"]["median"] == pytest.approx(o3)
    assert ps_pfs["by_subtype_group"]["HER2+"]["median"] is None
    assert ps_pfs["by_subtype_group"]["HER2+"]["censored"] == 1
    assert o2 > o1


def test_log_rank_by_subtype_matches_the_hand_computation(report):
    # Event at o3: at risk HR+/HER2- 2, HER2+ 1: E = 2/3, V = 2*1*2/(9*2) = 2/9.
    # Event at o1: at risk 1 and 1: E = 1/2, V = 1/4. O - E = 2 - 7/6 = 5/6.
    chi_square = (5 / 6) ** 2 / (2 / 9 + 1 / 4)
    test = report["ps_pfs"]["subtype_comparison"]["log_rank"]
    assert test["chi_square"] == pytest.approx(chi_square)
    assert test["df"] == 1
    assert test["p_value"] == pytest.approx(chi2.sf(chi_square, 1))


def test_follow_up_from_opd_by_reverse_kaplan_meier(report):
    # Alive at last contact: O1 26, O2 22; O3 died at 10 (censors). Reverse S = 1/2 at 22.
    assert report["follow_up_from_opd"]["median"] == pytest.approx(months(day(8), day(30)))


def test_a_null_comparison_says_why(report):
    # The HER2+ group (O2) has no pS-PFS event: the Cox ratio is not estimable.
    subtype = report["ps_pfs"]["subtype_comparison"]
    assert subtype["log_rank"] is not None and subtype["hazard_ratio"] is None
    assert subtype["note"].startswith("hazard ratio not estimable")
    no_patients = oligoprogression_report(
        build_cohort(Patient.objects.filter(registry_id__in=[]), CohortFilter())
    )["overall"]["ps_pfs"]["pre_opd_pfs_comparison"]
    assert no_patients["log_rank"] is None
    assert no_patients["note"] == "log-rank not tested: fewer than two groups have patients"


def test_page_says_when_the_cox_ratio_is_not_estimable():
    from django.template.loader import render_to_string

    log_rank = {"chi_square": 5.0, "df": 1, "p_value": 0.025}

    page = render_to_string("analytics/_comparison.html", {"cmp": {"log_rank": log_rank}})

    assert "Log-rank test: χ² = 5.00 (1 df)" in page
    assert "Cox hazard ratio not estimable" in page


def test_a_long_anti_her2_line_without_maintenance_date_is_not_tabulated_as_induction(
    bianco_like, centre_a, client, analyst
):
    from django.urls import reverse

    build_patient(  # O9: HER2+, 10 months of trastuzumab/pertuzumab, no maintenance date
        centre_a,
        subtype="HR+/HER2+",
        lines=[(0, None, None, "anti_her2_chemo")],
        progressions=[(10, "locoregional")],
        surgeries=[(11, {"mastectomy"}, True)],
        last_contact=20,
    )
    report = oligoprogression_report(build_cohort(Patient.objects.all(), CohortFilter()))
    her2 = report["overall"]["regimen_at_opd_by_subtype"]["HER2+"]
    client.force_login(analyst)
    page = client.get(reverse("analytics:report", args=["opd"])).content.decode()

    # O2 has a maintenance date (4 months) before her OPD at 8; O9 has none.
    assert her2["anti-HER2 maintenance"]["display"] == "1/2 (50.0%)"
    assert (
        her2["anti-HER2, >= 6 months on the line, maintenance date not recorded"]["display"]
        == "1/2 (50.0%)"
    )
    assert "anti-HER2 induction" not in her2
    assert "0010-anti-her2-line-without-maintenance-date" in report["meta"]["regimen_at_opd"]
    assert "neither presumed" in page
