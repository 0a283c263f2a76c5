"""Endpoint pages and API: define, save, open with filters, download; errors; access."""

import csv
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from analytics.models import SavedEndpoint
from registry.models import Patient
from tests.builders import build_patient

pytestmark = pytest.mark.django_db

PFS_LINE_1 = {
    "origin": "line_start",
    "line": "1",
    "event": "progression_or_death",
    "group_by": "subtype_group",
}


def endpoint_of(case=None) -> SavedEndpoint:
    """The saved endpoint the access matrices open (definitions belong to no centre)."""
    saved, _ = SavedEndpoint.objects.get_or_create(
        slug="os-from-mbc-diagnosis",
        defaults={"name": "OS from MBC diagnosis", "origin": "mbc_diagnosis", "event": "death"},
    )
    return saved


@pytest.fixture
def patients(centre_a, centre_b):
    for centre, subtype, died in (
        (centre_a, "HR+/HER2-", 10),
        (centre_a, "triple-negative", 5),
        (centre_b, "HR+/HER2-", 20),
    ):
        build_patient(
            centre,
            subtype=subtype,
            lines=[(0, None, None, "endocrine")],
            responses=[(3, 1, "PD")],
            died_at=died,
        )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_analyst_defines_pfs_on_line_1_by_subtype_on_the_page(client, analyst, patients):
    client.force_login(analyst)
    response = client.get(reverse("analytics:endpoint-analysis"), PFS_LINE_1)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Progression or death (progression-free survival), from the start of line 1" in page
    assert "By subtype_group" in page and "triple-negative vs HR+/HER2- (reference)" in page
    assert "figure.png?" in page
    report = response.context["report"]
    assert report["overall"]["km"]["events"] == 3
    assert set(report["groups"]["estimates"]) == {"HR+/HER2-", "triple-negative"}


def test_the_empty_form_is_a_page_and_a_bad_definition_is_a_400_at_its_field(client, analyst):
    client.force_login(analyst)
    url = reverse("analytics:endpoint-analysis")
    assert client.get(url).status_code == 200

    response = client.get(url, {"origin": "first_cr", "event": "line_end_or_death", "line": 2})

    assert response.status_code == 400
    form = response.context["definition_form"]
    assert "belongs only with" in form.errors["line"][0]
    assert "treatment failure" in form.errors["event"][0]
    assert (
        client.get(
            reverse("analytics:endpoint-analysis-file", args=["figure.png"]), {"origin": "x"}
        ).status_code
        == 400
    )


def test_an_analyst_saves_a_definition_and_reopens_it_with_filters(client, analyst, patients):
    client.force_login(analyst)
    response = client.post(reverse("analytics:endpoint-list"), {**PFS_LINE_1, "name": "PFS L1"})

    saved = SavedEndpoint.objects.get()
    assert response.status_code == 302 and response.url == f"/reports/endpoints/saved/{saved.slug}/"
    assert (saved.slug, saved.defined_by, saved.line) == ("pfs-l1", analyst, 1)
    listing = client.get(reverse("analytics:endpoint-list")).content.decode()
    assert "PFS L1" in listing and analyst.username in listing

    page = client.get(response.url, {"centre": "CB", "by_centre": "on"})
    assert page.status_code == 200
    assert page.context["report"]["overall"]["km"]["n"] == 1
    assert list(page.context["report"]["by_centre"]) == ["CB"]

    again = client.post(reverse("analytics:endpoint-list"), {**PFS_LINE_1, "name": "pfs l1"})
    assert again.status_code == 400
    assert "already has this name" in again.context["save_form"].errors["name"][0]
    bad = client.post(reverse("analytics:endpoint-list"), {"name": "x", "origin": "birth"})
    assert bad.status_code == 400 and SavedEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("analysis.json", "application/json"),
        ("summary.csv", "text/csv"),
        ("at-risk.csv", "text/csv"),
        ("figure.png", "image/png"),
        ("figure.svg", "image/svg+xml"),
    ],
)
def test_every_file_of_an_analysis(client, auditor, patients, filename, content_type):
    client.force_login(auditor)
    url = reverse("analytics:endpoint-analysis-file", args=[filename])
    response = client.get(url, PFS_LINE_1)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_the_summary_csv_has_a_row_per_group_with_both_median_intervals(client, auditor, patients):
    client.force_login(auditor)
    url = reverse("analytics:endpoint-analysis-file", args=["summary.csv"])
    rows = list(csv.DictReader(io.StringIO(client.get(url, PFS_LINE_1).content.decode())))

    assert [(r["grouping"], r["group"], r["n"]) for r in rows] == [
        ("overall", "All patients", "3"),
        ("subtype_group", "HR+/HER2-", "2"),
        ("subtype_group", "triple-negative", "1"),
    ]
    assert {"median_ci_transformed_lower", "median_ci_symmetric_upper", "survival_12m"} <= set(
        rows[0]
    )


def test_an_analyst_of_one_centre_analyses_only_that_centres_patients(analyst_a, patients, client):
    endpoint = endpoint_of()
    result = api(analyst_a).get(reverse("api:endpoint-analysis", args=[endpoint.slug])).json()
    assert result["overall"]["km"]["n"] == Patient.objects.filter(centre__code="CA").count() == 2

    client.force_login(analyst_a)
    refused = client.get(
        reverse("analytics:endpoint-saved", args=[endpoint.slug]), {"centre": "CB"}
    )
    assert refused.status_code == 400


def drill_links(page: str, cell: str) -> list[str]:
    """The ad hoc analysis page's links to the list behind `cell`, as a browser follows them."""
    path = reverse("analytics:endpoint-analysis-patients", args=[cell])
    return [html.unescape(h) for h in re.findall(rf'href="({re.escape(path)}\?[^"]*)"', page)]


def test_every_count_of_an_analysis_opens_the_patients_counted(client, analyst, patients):
    triple_negative = Patient.objects.get(summary__subtype="triple-negative")
    client.force_login(analyst)
    page = client.get(reverse("analytics:endpoint-analysis"), PFS_LINE_1).content.decode()

    (link,) = drill_links(page, "groups.estimates.triple-negative.km.events")
    listed = client.get(link)
    assert [row["registry_id"] for row in listed.context["page_obj"]] == [
        triple_negative.registry_id
    ]
    assert listed.context["page_url"] == reverse("analytics:endpoint-analysis")
    assert drill_links(page, "selection[with the origin].remaining")
    assert drill_links(page, "groups.estimates.triple-negative.km.at_risk[0].at_risk")  # figure
    (csv_link,) = drill_links(page, "overall.km.n")
    download = client.get(csv_link.replace("/patients/?", "/patients.csv?"))
    assert len(list(csv.DictReader(io.StringIO(download.content.decode())))) == 3

    endpoint_url = reverse(
        "analytics:endpoint-saved-patients", args=[endpoint_of().slug, "overall.km.n"]
    )
    only_b = client.get(endpoint_url, {"centre": "CB"})
    assert {row["centre"] for row in only_b.context["page_obj"]} == {"CB"}
    adhoc = reverse("analytics:endpoint-analysis-patients", args=["overall.km.n"])
    refused = client.get(adhoc, {**PFS_LINE_1, "line": "0"})
    assert refused.status_code == 400 and "line" in refused.context["form"].errors
    assert client.get(adhoc, {**PFS_LINE_1, "centre": "nowhere"}).status_code == 400
    missing = reverse("analytics:endpoint-analysis-patients", args=["overall.km.median"])
    assert client.get(missing, PFS_LINE_1).status_code == 404


def test_the_api_lists_the_patients_behind_an_analysis_count(analyst, patients):
    triple_negative = Patient.objects.get(summary__subtype="triple-negative")
    cell = "groups.estimates.triple-negative.km.events"
    answer = api(analyst).get(reverse("api:endpoint-adhoc-patients", args=[cell]), PFS_LINE_1)
    assert answer.status_code == 200
    assert (answer.json()["report"], answer.json()["count"]) == ("endpoint", 1)
    assert answer.json()["results"][0]["registry_id"] == triple_negative.registry_id

    saved = reverse("api:endpoint-patients", args=[endpoint_of().slug, "overall.km.n"])
    assert api(analyst).get(saved, {"centre": "CB"}).json()["count"] == 1
    refused = api(analyst).get(
        reverse("api:endpoint-adhoc-patients", args=["overall.km.n"]),
        {"origin": "birth", "event": "death"},
    )
    assert refused.status_code == 400 and "origin" in refused.json()
    unknown = reverse("api:endpoint-patients", args=["no-such-endpoint", "overall.km.n"])
    assert api(analyst).get(unknown).status_code == 404
    not_a_count = reverse("api:endpoint-patients", args=[endpoint_of().slug, "overall.km.median"])
    response = api(analyst).get(not_a_count)
    assert response.status_code == 404 and "no count" in response.json()["detail"]


def test_data_managers_get_no_endpoint(client, data_manager):
    endpoint = endpoint_of()
    client.force_login(data_manager)
    assert client.get(reverse("analytics:endpoint-list")).status_code == 403
    assert client.get(reverse("analytics:endpoint-saved", args=[endpoint.slug])).status_code == 403
    assert api(data_manager).get(reverse("api:endpoint-list")).status_code == 403
    posted = api(data_manager).post(
        reverse("api:endpoint-list"),
        {"name": "x", "origin": "mbc_diagnosis", "event": "death"},
        format="json",
    )
    assert posted.status_code == 403 and not SavedEndpoint.objects.filter(name="x").exists()


# --- API --------------------------------------------------------------------------------


def test_the_api_creates_lists_and_analyses_a_definition(analyst, patients):
    client = api(analyst)
    created = client.post(
        reverse("api:endpoint-list"), {**PFS_LINE_1, "line": 1, "name": "PFS L1"}, format="json"
    )

    assert created.status_code == 201
    body = created.json()
    assert (body["slug"], body["defined_by"], body["line"]) == ("pfs-l1", analyst.username, 1)
    assert body["label"].startswith("Progression or death")
    assert [e["slug"] for e in client.get(reverse("api:endpoint-list")).json()] == ["pfs-l1"]

    saved = client.get(reverse("api:endpoint-analysis", args=["pfs-l1"])).json()
    ad_hoc = client.get(reverse("api:endpoint-adhoc"), PFS_LINE_1).json()
    assert saved["overall"] == ad_hoc["overall"]
    assert saved["groups"]["hazard_ratios"]["reference"] == "HR+/HER2-"
    figure = client.get(reverse("api:endpoint-file", args=["pfs-l1", "figure.svg"]))
    assert figure.status_code == 200 and figure["Content-Type"] == "image/svg+xml"


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"origin": "birth", "event": "death"}, "origin"),
        ({"origin": "line_start", "event": "death"}, "line"),
        ({"origin": "line_start", "line": "first", "event": "death"}, "line"),
        ({"origin": "first_cr", "event": "line_end_or_death"}, "event"),
        ({"origin": "mbc_diagnosis", "event": "death", "group_by": "registry_id"}, "group_by"),
        ({"origin": "mbc_diagnosis", "event": "death", "population": "men"}, "population"),
    ],
)
def test_every_bad_definition_is_a_400_json_naming_its_field(analyst, definition, field):
    client = api(analyst)
    created = client.post(reverse("api:endpoint-list"), {**definition, "name": "x"}, format="json")
    ad_hoc = client.get(reverse("api:endpoint-adhoc"), definition)

    assert created.status_code == ad_hoc.status_code == 400
    assert field in created.json() and field in ad_hoc.json()
    assert not SavedEndpoint.objects.exists()


def test_the_api_answers_404_json_for_an_unknown_endpoint_and_400_for_bad_filters(analyst):
    client = api(analyst)
    missing = client.get(reverse("api:endpoint-analysis", args=["nothing"]))
    assert missing.status_code == 404 and "detail" in missing.json()
    endpoint = endpoint_of()
    bad = client.get(reverse("api:endpoint-analysis", args=[endpoint.slug]), {"mbc_from": "x"})
    assert bad.status_code == 400 and "mbc_from" in bad.json()


# --- computed once, in a fixed number of queries ---------------------------------------


def queries(client, url, data) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def add_patients(centre, count: int) -> None:
    for _ in range(count):
        build_patient(
            centre,
            lines=[(0, 10, None, "chemotherapy"), (10, None, None, "endocrine")],
            responses=[(3, 1, "CR"), (10, 1, "PD")],
            progressions=[(8, "locoregional")],
            last_contact=20,
        )


# As the fixed reports (tests/test_query_counts.py: 20 computed, 8 stored), with the record
# datasets the definition reads: the ad hoc PFS reads the progressions (one query more);
# the saved overall survival reads none, but reads its definition (one query more).
AD_HOC, SAVED, AD_HOC_STORED, SAVED_STORED = 21, 21, 8, 9


@pytest.mark.parametrize("name", ["page", "file", "api"])
def test_an_analysis_takes_a_fixed_number_of_queries_and_is_computed_once(
    client, auditor, centre_a, name
):
    client.force_login(auditor)
    endpoint = endpoint_of()
    urls = {
        "page": (
            reverse("analytics:endpoint-analysis"),
            reverse("analytics:endpoint-saved", args=[endpoint.slug]),
        ),
        "file": (
            reverse("analytics:endpoint-analysis-file", args=["summary.csv"]),
            reverse("analytics:endpoint-saved-file", args=[endpoint.slug, "at-risk.csv"]),
        ),
        "api": (
            reverse("api:endpoint-adhoc"),
            reverse("api:endpoint-analysis", args=[endpoint.slug]),
        ),
    }
    ad_hoc, saved = urls[name]
    definition = {"origin": "mbc_diagnosis", "event": "progression_or_death"}
    add_patients(centre_a, 2)
    few = (queries(client, ad_hoc, definition), queries(client, saved, {}))
    add_patients(centre_a, 5)
    many = (queries(client, ad_hoc, definition), queries(client, saved, {}))
    stored = (queries(client, ad_hoc, definition), queries(client, saved, {}))

    assert few == many == (AD_HOC, SAVED)
    assert stored == (AD_HOC_STORED, SAVED_STORED)
