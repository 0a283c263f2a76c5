"""Page, CSV, XLSX, JSON download and the report command carry the same numbers."""

import csv
import io
import json
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.builders import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(centre_a, centre_b):
    for centre in (centre_a, centre_a, centre_b):
        build_patient(
            centre,
            lines=[(0, None, None, "endocrine")],
            responses=[(3, 1, "CR")],
            last_contact=20,
            disease_status="ned",
        )
    build_patient(
        centre_b, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "PR")], last_contact=9
    )


def figures_from_csv(content: bytes) -> dict:
    rows = csv.DictReader(io.StringIO(content.decode()))
    return {row["figure"]: row["value"] for row in rows}


def figures_from_xlsx(content: bytes) -> dict:
    sheet = openpyxl.load_workbook(io.BytesIO(content))["figures"]
    rows = list(sheet.iter_rows(values_only=True))
    return dict(rows[1:])


def test_every_output_has_the_same_figures(client, analyst, cohort, tmp_path):
    client.force_login(analyst)
    query = {"by_centre": "on"}
    page = client.get(reverse("analytics:report", args=["cr"]), query)
    as_json = json.loads(
        client.get(reverse("analytics:download", args=["cr", "json"]), query).content
    )
    as_csv = figures_from_csv(
        client.get(reverse("analytics:download", args=["cr", "csv"]), query).content
    )
    as_xlsx = figures_from_xlsx(
        client.get(reverse("analytics:download", args=["cr", "xlsx"]), query).content
    )
    output = tmp_path / "cr.json"
    call_command("report", "cr", "--by-centre", "--output", str(output))
    from_command = json.loads(output.read_text())

    assert page.context["report"]["overall"]["cr_rate"]["display"] == "3/4 (75.0%)"
    # As read: n and N are links to the patients behind them (analytics.drilldown).
    assert "3/4 (75.0%)" in re.sub(r"<[^>]+>", "", page.content.decode())
    for key in ("generated_at",):
        as_json["meta"].pop(key), from_command["meta"].pop(key)
    assert from_command == as_json
    assert as_csv["overall.cr_rate.display"] == "3/4 (75.0%)"
    assert as_xlsx["overall.cr_rate.display"] == "3/4 (75.0%)"
    assert as_csv["by_centre.CB.cr_rate.display"] == "1/2 (50.0%)"
    assert float(as_csv["overall.duration_of_cr.median"] or "nan") != 0  # a number or empty
    assert set(as_csv) == set(as_xlsx)
    for figure, value in as_xlsx.items():
        if figure != "meta.generated_at":  # each download is stamped with its own second
            assert same_value(value, as_csv[figure]), figure


def same_value(cell, text: str) -> bool:
    """An XLSX cell and its CSV text hold the same figure (numbers compared as numbers)."""
    if cell is None:
        return text == ""
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return str(cell) == text
    return float(text) == pytest.approx(float(cell), rel=1e-12)


def test_centre_limited_analyst_reports_count_only_own_centre(client, analyst_a, cohort):
    client.force_login(analyst_a)
    report = json.loads(client.get(reverse("analytics:download", args=["cr", "json"])).content)
    other = client.get(reverse("analytics:report", args=["cr"]), {"centre": "CB"})

    assert report["overall"]["patients"] == 2
    assert report["meta"]["selection"] == {"patients_visible": 2, "patients_selected": 2}
    assert other.status_code == 400
    assert "centre" in other.context["form"].errors


def test_invalid_filters_are_a_400_naming_the_field(client, analyst, cohort):
    client.force_login(analyst)
    response = client.get(
        reverse("analytics:download", args=["opd", "csv"]),
        {"mbc_from": "2020-01-01", "mbc_to": "2019-01-01"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["mbc_to"] == [
        "The end of the period is before its start."
    ]


def test_dataset_download_has_one_row_per_patient_and_no_identifiers(client, analyst, cohort):
    client.force_login(analyst)
    content = client.get(reverse("analytics:dataset", args=["patients", "csv"])).content.decode()
    rows = list(csv.DictReader(io.StringIO(content)))

    assert len(rows) == 4
    assert {"registry_id", "centre", "subtype", "cr_duration_months"} <= set(rows[0])
    assert not {"family_name", "given_name", "record_number", "birth_date"} & set(rows[0])


def test_report_command_rejects_a_centre_the_user_cannot_see(analyst_a, cohort):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="CB"):
        call_command("report", "cr", "--user", "analyst_a", "--centre", "CB")


def test_page_figures_and_downloads_share_one_computed_result(
    client, analyst, cohort, django_assert_max_num_queries
):
    client.force_login(analyst)
    query = {"by_centre": "on"}
    client.get(reverse("analytics:report", args=["cr"]), query)
    # The figure and the download find the page's result: each request reads its user and
    # the cache key (17 queries); computing again would read the cohort too (28 each).
    with django_assert_max_num_queries(34):
        plot = client.get(
            reverse("analytics:plot", args=["cr", "duration-of-cr-by-centre", "png"]), query
        )
        as_json = json.loads(
            client.get(reverse("analytics:download", args=["cr", "json"]), query).content
        )
    assert plot["Content-Type"] == "image/png"
    assert as_json["centre_comparison"]["centres"] == ["CA", "CB"]
    assert as_json["centre_comparison"]["log_rank"]["df"] == 1


def test_a_new_record_makes_a_new_result(client, analyst, cohort, centre_a):
    client.force_login(analyst)
    url = reverse("analytics:download", args=["cr", "json"])
    before = json.loads(client.get(url).content)["overall"]["patients"]
    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "PR")])
    assert json.loads(client.get(url).content)["overall"]["patients"] == before + 1
