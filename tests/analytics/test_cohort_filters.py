"""The one cohort filter set on its three entry points, the stored results they share, and
the Wilson interval computed without scipy."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from scipy.stats import binomtest

from analytics.models import ReportResult
from analytics.proportions import wilson_interval
from registry.widgets import INVALID_DATE
from tests.builders import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(centre_a, centre_b):
    for centre in (centre_a, centre_b):
        build_patient(centre, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "CR")])


def test_a_bad_filter_on_the_page_is_a_field_error(client, analyst, cohort):
    client.force_login(analyst)
    url = reverse("analytics:report", args=["cr"])

    response = client.get(url, {"subtype": "HER2-ultra", "centre": "ZZ", "mbc_from": "31/02/2019"})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["centre"] == ["Unknown or not accessible centre: ZZ."]
    assert errors["mbc_from"] == [INVALID_DATE]
    assert "HER2-ultra is not one of the available choices" in errors["subtype"][0]
    assert not ReportResult.objects.exists()


def test_a_bad_filter_on_the_api_is_a_400_json_body_naming_the_field(client, analyst, cohort):
    client.force_login(analyst)

    response = client.get(
        "/api/reports/opd/", {"mbc_from": "2020-01-01", "mbc_to": "2019-01-01", "centre": "ZZ"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "mbc_to": ["The end of the period is before its start."],
        "centre": ["Unknown or not accessible centre: ZZ."],
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--presentation", "metastatic"], "presentation: Select a valid choice. metastatic"),
        (["--mbc-from", "2020-13-01"], f"mbc_from: {INVALID_DATE}"),
        (
            ["--mbc-from", "2020-01-01", "--mbc-to", "2019-01-01"],
            "mbc_to: The end of the period is before its start.",
        ),
        (["--centre", "ZZ"], "centre: Unknown or not accessible centre: ZZ."),
    ],
)
def test_a_bad_filter_in_the_command_is_a_command_error(cohort, arguments, message):
    with pytest.raises(CommandError) as refused:
        call_command("report", "cr", *arguments)

    assert message in str(refused.value)


def test_the_page_the_api_and_the_command_share_one_stored_result(client, analyst, cohort, capsys):
    client.force_login(analyst)
    client.get(reverse("analytics:report", args=["cr"]), {"presentation": "de_novo"})
    stored = ReportResult.objects.get()

    from_api = client.get("/api/reports/cr/", {"presentation": "de_novo"}).json()
    call_command("report", "cr", "--presentation", "de_novo")
    from_command = json.loads(capsys.readouterr().out)

    assert ReportResult.objects.get() == stored  # nothing computed again
    assert from_api == from_command == json.loads(stored.result)
    assert from_api["overall"]["patients"] == 2


def test_a_write_makes_a_new_result_and_drops_the_older_ones(client, analyst, cohort, centre_a):
    client.force_login(analyst)
    url = reverse("analytics:download", args=["cr", "json"])
    client.get(url)
    older = ReportResult.objects.get()

    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "PR")])
    client.get(url)

    newer = ReportResult.objects.get()
    assert newer.data_version != older.data_version
    assert json.loads(newer.result)["overall"]["patients"] == 3


@pytest.mark.parametrize("n", [1, 2, 7, 30, 76, 251])
def test_the_wilson_interval_equals_scipys_to_the_last_bit(n):
    for k in range(n + 1):
        expected = binomtest(k, n).proportion_ci(method="wilson")
        assert wilson_interval(k, n) == (float(expected.low), float(expected.high))


def test_a_rebuild_of_the_derived_rows_makes_a_new_result(client, analyst, cohort):
    client.force_login(analyst)
    url = reverse("analytics:download", args=["cr", "json"])
    client.get(url)
    older = ReportResult.objects.get()

    call_command("rebuild_derived")
    client.get(url)

    assert ReportResult.objects.get().data_version != older.data_version


@pytest.mark.parametrize("report", ["characteristics", "cr", "opd"])
def test_a_stored_result_reads_back_in_the_order_it_was_computed(client, analyst, cohort, report):
    """The first request computes the result, the next read it back: the same bytes, keys
    in the report's own order (PostgreSQL's jsonb would sort them by length)."""
    client.force_login(analyst)
    url = reverse("analytics:download", kwargs={"report": report, "fmt": "json"})
    computed = client.get(url, {"by_centre": "on"}).content
    stored = client.get(url, {"by_centre": "on"}).content

    assert ReportResult.objects.count() == 1
    assert stored == computed
    assert list(json.loads(stored)) == ["meta", "overall", "by_centre", "centre_comparison"]
