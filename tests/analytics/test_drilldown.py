"""Every count of a report lists exactly the patients (episodes, lines) it counts."""

import csv
import io
import json
import numbers
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from analytics import drilldown
from analytics.catalogue import REPORTS
from analytics.cohorts import CohortFilter, build_cohort
from analytics.computed import report_result
from analytics.tables import report_tables
from bench.generate import generate
from registry.models import Patient
from tests.builders import build_patient

pytestmark = pytest.mark.django_db

ENDOCRINE = (0, None, None, "endocrine")


@pytest.fixture
def small(centre_a, centre_b):
    """Six patients whose counts are worked out by hand (times in months from MBC)."""
    ids = {}
    ids["C1"] = build_patient(  # CR at 3, in CR at last contact (17 months of CR, censored)
        centre_a,
        lines=[ENDOCRINE],
        responses=[(3, 1, "CR")],
        last_contact=20,
        disease_status="ned",
    )
    ids["C2"] = build_patient(  # evaluable, PR only
        centre_a, lines=[ENDOCRINE], responses=[(3, 1, "PR")], last_contact=9
    )
    ids["C3"] = build_patient(  # no response assessment: not evaluable; triple-negative
        centre_a, subtype="triple-negative", lines=[ENDOCRINE], last_contact=12
    )
    ids["C4"] = build_patient(  # centre B: CR at 3, progression at 9 (6.0 months of CR)
        centre_b,
        lines=[ENDOCRINE],
        responses=[(3, 1, "CR"), (9, 1, "PD")],
        progressions=[(9, "systemic")],
        last_contact=20,
    )
    ids["O1"] = build_patient(  # the OPD-surgery cohort: OPD at 14, surgery, line continued
        centre_a,
        lines=[ENDOCRINE],
        responses=[(3, 1, "PR")],
        progressions=[(14, "locoregional"), (26, "systemic")],
        surgeries=[(15.5, {"mastectomy", "axillary_dissection"}, True)],
        last_contact=40,
    )
    ids["O4"] = build_patient(  # a locoregional OPD, but recurrent: excluded at "de novo"
        centre_a,
        presentation="recurrent",
        lines=[ENDOCRINE],
        progressions=[(10, "locoregional")],
        surgeries=[(11, {"mastectomy"}, True)],
        last_contact=20,
    )
    return {name: patient.registry_id for name, patient in ids.items()}


# (report, cell) -> the patients it counts, by their names in `small`.
BY_HAND = {
    ("cr", "overall.patients"): {"C1", "C2", "C3", "C4", "O1", "O4"},
    ("cr", "overall.not_evaluable"): {"C3", "O4"},
    ("cr", "overall.cr_rate.n"): {"C1", "C4"},
    ("cr", "overall.cr_rate.N"): {"C1", "C2", "C4", "O1"},
    ("cr", "by_centre.CA.cr_rate.n"): {"C1"},
    ("cr", "by_centre.CA.cr_rate.N"): {"C1", "C2", "O1"},
    ("cr", "by_centre.CB.cr_rate.n"): {"C4"},
    ("cr", "overall.cr_rate_by_line[1].N"): {"C1", "C2", "C4", "O1"},
    ("cr", "overall.cr_rate_by_subtype.triple-negative.N"): set(),
    ("cr", "overall.duration_of_cr_from_first_cr.at_risk[6].at_risk"): {"C1", "C4"},
    ("cr", "overall.duration_of_cr_from_first_cr.at_risk[12].at_risk"): {"C1"},
    ("cr", "overall.duration_of_cr_from_first_cr.at_risk[12].events"): {"C4"},
    ("cr", "by_centre.CB.duration_of_cr_from_first_cr.at_risk[6].at_risk"): {"C4"},
    ("characteristics", "overall.subtype.triple-negative.n"): {"C3"},
    ("characteristics", "overall.presentation.recurrent.n"): {"O4"},
    ("characteristics", "by_centre.CA.subtype.HR+/HER2-.N"): {"C1", "C2", "C3", "O1", "O4"},
    ("opd", "overall.selection[patients with a locoregional oligoprogression].remaining"): {
        "O1",
        "O4",
    },
    ("opd", "overall.selection[de novo].entered"): {"O1", "O4"},
    ("opd", "overall.selection[de novo].excluded"): {"O4"},
    ("opd", "overall.selection[with breast/axillary surgery after the OPD].entered"): {"O1"},
    ("opd", "overall.selection[de novo].remaining_by_subtype.HR+/HER2-"): {"O1"},
    ("opd", "overall.n"): {"O1"},
    ("opd", "overall.procedures.axillary_dissection.n"): {"O1"},
    ("opd", "overall.ps_pfs.overall.at_risk[6].at_risk"): {"O1"},
    ("opd", "by_centre.CB.registry_denominators.patients"): {"C4"},
}


def api_list(client, report: str, cell: str, **query) -> dict:
    response = client.get(reverse("api:report-patients", args=[report, cell]), query)
    assert response.status_code == 200, (cell, response.content)
    return response.json()


@pytest.mark.parametrize(("report", "cell"), sorted(BY_HAND))
def test_a_count_lists_the_patients_worked_out_by_hand(auditor, small, report, cell):
    client = APIClient()
    client.force_authenticate(auditor)
    listed = api_list(client, report, cell)
    expected = {small[name] for name in BY_HAND[report, cell]}
    assert {row["registry_id"] for row in listed["results"]} == expected
    assert listed["count"] == len(expected)


def test_the_list_page_and_its_csv_hold_the_count(client, auditor, small):
    client.force_login(auditor)
    cell = "overall.cr_rate.N"
    page = client.get(reverse("analytics:patients", args=["cr", cell]))
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.count == 4
    html = page.content.decode()
    for name in ("C1", "C2", "C4", "O1"):
        link = reverse("registry:patient-detail", args=[small[name]])
        assert f'href="{link}"' in html
    assert small["C3"] not in html
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("analytics:patients-csv", args=["cr", cell])).content.decode()
            )
        )
    )
    assert {r["registry_id"] for r in rows} == {small[n] for n in ("C1", "C2", "C4", "O1")}
    assert set(rows[0]) >= {"registry_id", "centre", "evaluable_for_response"}


def test_the_filters_narrow_the_list_as_they_narrow_the_report(auditor, small):
    client = APIClient()
    client.force_authenticate(auditor)
    listed = api_list(client, "cr", "overall.cr_rate.n", centre="CB")
    assert [row["registry_id"] for row in listed["results"]] == [small["C4"]]


def test_report_pages_link_their_counts_to_the_lists(client, auditor, small):
    client.force_login(auditor)
    for report in ("characteristics", "cr", "opd"):
        page = client.get(reverse("analytics:report", args=[report]), {"by_centre": "on"})
        html = page.content.decode()
        links = set(re.findall(r'href="(/reports/[^"]+/counts/[^"?]+)/patients/', html))
        assert len(links) > 20, report
        for link in sorted(links)[:: max(1, len(links) // 15)]:  # a sample of every page
            assert client.get(link + "/patients/").status_code == 200, link
    cr = client.get(reverse("analytics:report", args=["cr"]), {"by_centre": "on"}).content
    at_risk = reverse(
        "analytics:patients",
        args=["cr", "by_centre.CB.duration_of_cr_from_first_cr.at_risk[6].at_risk"],
    )
    assert at_risk.encode() in cr


def stated_counts(figures: dict) -> set[str]:
    """The whole numbers a report states that count something: all but a line's number and
    a test's degrees of freedom (and the metadata, which describes the query, not a cell)."""
    return {
        figure
        for figure, value in figures.items()
        if isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and not figure.startswith("meta.")
        and not figure.endswith((".line", ".df"))
    }


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning")  # small centres
def test_every_count_of_the_demo_reports_lists_exactly_what_it_counts():
    # The demo's own courses, written in bulk (bench/generate.py).
    generate(patients=40, seed=2017, board_meetings=False, out=lambda line: None)
    cohort = build_cohort(Patient.objects.all(), CohortFilter())
    checked = 0
    for name, spec in REPORTS.items():
        result = json.loads(json.dumps(report_result(spec, cohort, by_centre=True)))
        tables = report_tables(result)
        figures = dict(zip(tables["figures"]["figure"], tables["figures"]["value"], strict=True))
        for row in tables["at_risk"].to_dict("records"):
            for column in ("at_risk", "events", "censored"):
                figures[f"{row['estimate']}.at_risk[{row['time']:g}].{column}"] = row[column]
        counts = drilldown.report_counts(spec, cohort)
        for cell, counted in counts.items():
            assert figures[cell] == len(counted), (name, cell)
            listed = drilldown.patient_list(cell, counted)
            assert len(listed.records()) == figures[cell]
            assert listed.columns[:2] == ["registry_id", "centre"]
            checked += 1
        # Every count the report states is drillable: none was left without its list.
        stated = stated_counts(figures)
        assert stated == set(counts), (name, sorted(stated ^ set(counts))[:5])
    assert checked > 1500
    assert cohort.patients["opd_selection"].eq("included").sum() >= 3
    assert cohort.patients["reached_cr"].astype(bool).sum() >= 5


def test_a_centre_bound_analyst_lists_only_their_centres_patients(client, analyst_a, small):
    client.force_login(analyst_a)
    api = APIClient()
    api.force_authenticate(analyst_a)
    # A key crafted to name centre B's count: no such count for them, as a missing centre.
    for report, cell in (("cr", "by_centre.CB.cr_rate.n"), ("characteristics", "by_centre.CB.n")):
        for url in (
            reverse("analytics:patients", args=[report, cell]),
            reverse("analytics:patients-csv", args=[report, cell]),
        ):
            assert client.get(url).status_code == 404, url
        response = api.get(reverse("api:report-patients", args=[report, cell]))
        assert response.status_code == 404 and "detail" in response.json()
    # Centre B asked for in the filters: refused at the field.
    refused = api.get(
        reverse("api:report-patients", args=["cr", "overall.patients"]), {"centre": "CB"}
    )
    assert refused.status_code == 400 and "centre" in refused.json()
    page = client.get(
        reverse("analytics:patients", args=["cr", "overall.patients"]), {"centre": "CB"}
    )
    assert page.status_code == 400
    # The whole list is their centre's: C4 (centre B) is not in it.
    listed = api_list(api, "cr", "overall.patients")
    assert {r["registry_id"] for r in listed["results"]} == {
        small[n] for n in ("C1", "C2", "C3", "O1", "O4")
    }
    html = client.get(reverse("analytics:patients", args=["cr", "overall.patients"])).content
    assert small["C4"].encode() not in html


def test_data_managers_are_refused_the_lists(client, data_manager, small):
    client.force_login(data_manager)
    assert (
        client.get(reverse("analytics:patients", args=["cr", "overall.patients"])).status_code
        == 403
    )
    api = APIClient()
    api.force_authenticate(data_manager)
    response = api.get(reverse("api:report-patients", args=["cr", "overall.patients"]))
    assert response.status_code == 403 and "detail" in response.json()


@pytest.mark.parametrize(
    ("report", "cell"),
    [
        ("nope", "overall.patients"),  # no such report
        ("cr", "overall.nothing"),  # no such figure
        ("cr", "overall.cr_rate.percent"),  # a figure, not a count
        ("cr", "overall.cr_rate.display"),
        ("cr", "overall.duration_of_cr.at_risk[999].at_risk"),  # no such tick
        ("cr", "overall.cr_rate_by_line[7].N"),  # no line 7
        ("cr", "meta.selection.patients_selected"),  # stated, but not a count of the frames
        ("cr", "overall.\x00"),
    ],
)
def test_a_bad_cell_is_a_404_never_a_500(client, auditor, small, report, cell):
    client.force_login(auditor)
    for name in ("analytics:patients", "analytics:patients-csv"):
        assert client.get(reverse(name, args=[report, cell])).status_code == 404
    api = APIClient()
    api.force_authenticate(auditor)
    response = api.get(reverse("api:report-patients", args=[report, cell]))
    assert response.status_code == 404 and response.json()["detail"]


def test_bad_filters_and_pages_are_4xx(client, auditor, small):
    client.force_login(auditor)
    url = reverse("analytics:patients", args=["cr", "overall.patients"])
    assert client.get(url, {"mbc_from": "31/02/2020"}).status_code == 400
    assert client.get(url, {"presentation": "sideways"}).status_code == 400
    csv_url = reverse("analytics:patients-csv", args=["cr", "overall.patients"])
    assert client.get(csv_url, {"mbc_to": "tomorrow"}).status_code == 400
    assert client.get(url, {"page": "abc"}).status_code == 200  # the first page
    api = APIClient()
    api.force_authenticate(auditor)
    api_url = reverse("api:report-patients", args=["cr", "overall.patients"])
    response = api.get(api_url, {"mbc_from": "2020-13-01"})
    assert response.status_code == 400 and "mbc_from" in response.json()
    response = api.get(api_url, {"page": "99"})
    assert response.status_code == 404 and response.json()["detail"]


def test_lists_are_paginated_in_registry_order(client, auditor, small, monkeypatch):
    from analytics.views import PatientsBehindView
    from registry.pagination import PageNumberPagination

    monkeypatch.setattr(PatientsBehindView, "page_size", 4)
    monkeypatch.setattr(PageNumberPagination, "page_size", 4)
    everyone = sorted(small.values())
    client.force_login(auditor)
    url = reverse("analytics:patients", args=["cr", "overall.patients"])
    pages = [client.get(url, {"page": n}).context["page_obj"] for n in (1, 2)]
    assert [[r["registry_id"] for r in p] for p in pages] == [everyone[:4], everyone[4:]]
    api = APIClient()
    api.force_authenticate(auditor)
    first = api_list(api, "cr", "overall.patients")
    assert first["count"] == 6 and first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert [r["registry_id"] for r in first["results"] + second["results"]] == everyone


def test_the_api_route_is_documented(auditor):
    api = APIClient()
    api.force_authenticate(auditor)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    route = schema["paths"]["/api/reports/{report}/counts/{cell}/patients/"]["get"]
    assert {p["name"] for p in route["parameters"]} >= {"report", "cell", "centre", "page"}
    assert {"200", "400", "403", "404"} <= set(route["responses"])
    assert "the list's length is the count" in route["description"]


def test_the_list_shows_no_identifying_data(client, analyst, case_a, case_b):
    client.force_login(analyst)
    for name in ("analytics:patients", "analytics:patients-csv"):
        text = client.get(reverse(name, args=["cr", "overall.patients"])).content.decode()
        assert case_a.patient.registry_id in text
        for case in (case_a, case_b):
            p = case.patient
            for value in (p.family_name, p.given_name, p.record_number, p.birth_date.isoformat()):
                assert value not in text


def test_centres_compared_rates_with_wilson_intervals_and_a_log_rank_on_patients(
    client, auditor, small
):
    from scipy.stats import binomtest, chi2

    client.force_login(auditor)
    report = json.loads(
        client.get(reverse("analytics:download", args=["cr", "json"]), {"by_centre": "on"}).content
    )
    for centre, (n, total) in {"CA": (1, 3), "CB": (1, 1)}.items():
        rate = report["by_centre"][centre]["cr_rate"]
        assert (rate["n"], rate["N"]) == (n, total)
        lower, upper = binomtest(n, total).proportion_ci(method="wilson")
        assert rate["ci95"]["lower"] == pytest.approx(lower, abs=1e-12)
        assert rate["ci95"]["upper"] == pytest.approx(upper, abs=1e-12)
    # One time per patient: C4 (centre B) ends at 6.0 months, C1 (centre A) is censored at
    # 17. At C4's event both are at risk: O - E = 1 - 1/2, V = 1*1*1*1 / (2^2 * 1) = 1/4,
    # so chi2 = (1/2)^2 / (1/4) = 1 on 1 df.
    comparison = report["centre_comparison"]
    assert comparison["endpoint"] == "duration of CR per patient, from the first CR"
    assert comparison["centres"] == ["CA", "CB"]
    assert comparison["log_rank"]["chi_square"] == pytest.approx(1.0)
    assert comparison["log_rank"]["p_value"] == pytest.approx(chi2.sf(1.0, 1))
    page = client.get(reverse("analytics:report", args=["cr"]), {"by_centre": "on"})
    text = re.sub(r"<[^>]+>", "", page.content.decode())
    assert "Log-rank test across centres of the duration of CR per patient" in text
    assert "1/3 (33.3%) (95% CI" in text
    for spec in REPORTS.values():
        for plot in spec.plots:
            url = reverse("analytics:plot", args=[spec.name, plot, "png"])
            assert client.get(url, {"by_centre": "on"}).status_code == 200, plot
