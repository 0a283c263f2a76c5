"""The reproducible package: R recomputes the report, the statistics packages' files read back
with their labels, the same input gives the same bytes (analytics/package.py).

The demo cohort is written once for the module (bench/generate.py: the demo's courses, in
bulk) inside a transaction that is rolled back at the end.
"""

import csv
import io
import json
import math
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from django.db import transaction
from django.urls import reverse

from analytics import downloads
from analytics.catalogue import REPORTS
from analytics.codebook import BOOLEAN, DATASETS, DATE, INTEGER, NUMBER, codebook
from analytics.cohorts import build_cohort
from analytics.computed import report_result
from analytics.filters import CohortFilter
from analytics.package import analysis_package, package_name
from analytics.recompute import TOLERANCE
from analytics.statfiles import STATA_LABEL_LENGTH
from analytics.tables import report_tables
from bench.generate import generate
from registry.models import Patient
from tests.builders import build_patient

# Every test is marked, also those that read only the module's demo cohort: pytest-django
# creates the test database for the marked tests only. Small centres' Cox models warn.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning"),
]

REPORT_NAMES = ("cr", "opd", "characteristics")
RSCRIPT = shutil.which("Rscript")
# Figures of which the demo cohort's reports have at least one with a value.
KM = (
    "median",
    "median_ci_transformed.lower",
    "median_ci_transformed.upper",
    "median_ci_symmetric.lower",
    "median_ci_symmetric.upper",
    "survival_at[0].survival",
    "survival_at[1].lower",
    "survival_at[2].upper",
    "ci_transformed.lower",
    "ci_symmetric.upper",
    "log_rank.chi_square",
    "log_rank.p_value",
)
COMPUTED_FIGURES = {
    "cr": (*KM, "ci95.lower", "ci95.upper", "cr_patient_characteristics.subtype_group.HER2+.n"),
    "opd": KM,
    "characteristics": (
        "overall.age_at_mbc_diagnosis.q1",
        "overall.lines_received.max",
        "overall.subtype.triple-negative.n",
        "by_centre.TOR.histology.unknown.N",
    ),
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo cohort's frames and its three reports, centres compared."""
    with django_db_blocker.unblock(), transaction.atomic():
        generate(patients=200, seed=2017, board_meetings=False, out=lambda line: None)
        cohort = build_cohort(Patient.objects.all(), CohortFilter(), all_at_once=True)
        results = {
            name: json.loads(
                downloads.json_bytes(report_result(REPORTS[name], cohort, by_centre=True))
            )
            for name in REPORT_NAMES
        }
        transaction.set_rollback(True)
    return cohort, results


@pytest.fixture(scope="module")
def unpacked(demo, tmp_path_factory):
    """Each report's package, unpacked: report name -> its folder."""
    cohort, results = demo
    folders = {}
    for name in REPORT_NAMES:
        built = analysis_package(name, cohort, results[name], snapshot_id="SNAP-7")
        root = tmp_path_factory.mktemp(name)
        with zipfile.ZipFile(io.BytesIO(built.content)) as archive:
            archive.extractall(root)
        folders[name] = root / package_name(name, "SNAP-7")
    return folders


def rscript_or_skip(rscript: str | None) -> str:
    """Rscript's path; without it the test is skipped, except in CI (CI=true, as .ci/run
    sets it), which installs R: there a missing R fails the test."""
    if rscript is None:
        message = (
            "Rscript is missing: apt-get install --no-install-recommends r-base-core "
            "r-cran-survival"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return rscript


def test_without_r_the_test_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Rscript is missing"):
        rscript_or_skip(None)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        rscript_or_skip(None)
    assert rscript_or_skip("/usr/bin/Rscript") == "/usr/bin/Rscript"


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def agrees(ours: float | None, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= TOLERANCE * max(1.0, abs(theirs))


def recomputable(report: dict) -> set[str]:
    """Figures R must give: every number of every Kaplan-Meier estimate, follow-up, log-rank
    test and rate with a Wilson interval in the report (not the Cox hazard ratios)."""
    found: set[str] = set()

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            if {"median_ci_transformed", "median_ci_symmetric"} <= node.keys():
                found.update(_numbers(node, path, skip={"at_risk", "curve"}))
                return
            if {"ci_transformed", "ci_symmetric"} <= node.keys():
                found.update(_numbers(node, path))
                return
            if "ci95" in node:
                found.update(_numbers(node, path, skip={"percent", "line"}))  # line: its label
                return
            for key, value in node.items():
                if key == "log_rank":
                    found.update(_numbers({key: value}, path, skip=set()))
                elif key != "hazard_ratio":
                    walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                label = item.get("line", index) if isinstance(item, dict) else index
                walk(item, f"{path}[{label}]")

    walk(report, "")
    return found


def _numbers(node: dict, path: str, skip: set[str] = frozenset()) -> set[str]:
    figures = report_tables({k: v for k, v in node.items() if k not in skip})["figures"]
    return {
        f"{path}.{row.figure}"
        for row in figures.itertuples()
        if row.value is None or isinstance(row.value, int | float)
    }


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_the_r_script_recomputes_every_figure_of_the_report(demo, unpacked, name):
    rscript = rscript_or_skip(RSCRIPT)
    _, results = demo
    folder = unpacked[name]
    run = subprocess.run(
        [rscript, "analysis.R"], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all equal the registry's" in run.stdout

    with (folder / "results" / "r_results.csv").open() as handle:
        from_r = {row["figure"]: number(row["value"]) for row in csv.DictReader(handle)}
    registry = {
        row.figure: row.value for row in report_tables(results[name])["figures"].itertuples()
    }
    assert recomputable(results[name]) <= set(from_r)
    differing = {
        figure: (value, registry.get(figure, "absent"))
        for figure, value in from_r.items()
        if figure not in registry or not agrees(value, registry[figure])
    }
    assert not differing
    # The comparison is not vacuous: estimates, limits, tests and rates were computed.
    for leaf in COMPUTED_FIGURES[name]:
        assert any(f.endswith(leaf) and v is not None for f, v in from_r.items()), leaf
    json_figures = json.loads((folder / "results" / "r_results.json").read_text())
    assert json_figures.keys() == from_r.keys()


def test_the_opd_comparisons_and_centres_are_recomputed(demo, unpacked):
    _, results = demo
    with (unpacked["opd"] / "results" / "r_results.csv").open() as handle:
        from_r = {row["figure"]: number(row["value"]) for row in csv.DictReader(handle)}
    overall = results["opd"]["overall"]["ps_pfs"]["subtype_comparison"]["log_rank"]
    assert from_r["overall.ps_pfs.subtype_comparison.log_rank.p_value"] == pytest.approx(
        overall["p_value"], rel=TOLERANCE
    )
    comparison = results["opd"]["centre_comparison"]["log_rank"]
    assert from_r["centre_comparison.log_rank.chi_square"] == pytest.approx(
        comparison["chi_square"], rel=TOLERANCE
    )
    assert from_r["centre_comparison.log_rank.df"] == 2  # three centres


def test_the_package_holds_the_datasets_codebook_script_and_results(demo, unpacked):
    cohort, results = demo
    folder = unpacked["cr"]
    members = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert [m for m in members if not m.startswith("results/")] == [
        "README.md",
        "SHA256SUMS",
        "analysis.R",
        "data/codebook.csv",
        "data/episodes.csv",
        "data/lines.csv",
        "data/patients.csv",
        "data/progressions.csv",
        "registry/at_risk.csv",
        "registry/figures.csv",
        "registry/report.json",
        "spss/episodes.sav",
        "spss/lines.sav",
        "spss/patients.sav",
        "spss/progressions.sav",
        "stata/episodes.dta",
        "stata/lines.dta",
        "stata/patients.dta",
        "stata/progressions.dta",
    ]
    assert json.loads((folder / "registry" / "report.json").read_text()) == results["cr"]
    for dataset in DATASETS:
        frame = pd.read_csv(folder / "data" / f"{dataset}.csv")
        assert list(frame.columns) == list(getattr(cohort, dataset).columns)
        assert len(frame) == len(getattr(cohort, dataset)) > 0
    rows = list(csv.DictReader((folder / "data" / "codebook.csv").open()))
    by_name = {(r["dataset"], r["column"]): r for r in rows}
    assert by_name[("patients", "ps_pfs_event")]["type"] == "boolean"
    assert by_name[("patients", "ps_pfs_event")]["value_labels"] == (
        "1 (True) = progression or death; 0 (False) = censored at last contact"
    )
    assert by_name[("patients", "presentation")]["value_labels"].startswith(
        "de_novo = De novo (metastatic at first diagnosis)"
    )
    assert by_name[("patients", "site_skin_soft_tissue_at_mbc_diagnosis")]["stata_name"] == (
        "site_skin_soft_at_mbc_dx"
    )
    readme = (folder / "README.md").read_text()
    assert "Rscript analysis.R" in readme and "- Snapshot: SNAP-7" in readme
    assert "# Snapshot: SNAP-7" in (folder / "analysis.R").read_text()
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(members) - 1 - len([m for m in members if m.startswith("results/")])


def _csv_value(variable, text: str):
    """What the statistics packages' files hold for a CSV cell."""
    if text == "":
        return "" if variable.type not in (BOOLEAN, DATE, INTEGER, NUMBER) else None
    if variable.type == BOOLEAN:
        return {"True": 1.0, "False": 0.0}[text]
    if variable.type == DATE:
        return date.fromisoformat(text)
    if variable.type in (INTEGER, NUMBER):
        return float(text)
    return text


def _file_value(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    return float(value) if isinstance(value, int) else value


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_stata_and_spss_files_read_back_with_their_labels_and_the_csv_values(unpacked, dataset):
    import pyreadstat

    folder = unpacked["opd"]
    variables = codebook(dataset)
    with (folder / "data" / f"{dataset}.csv").open() as handle:
        csv_rows = list(csv.DictReader(handle))
    stata, stata_meta = pyreadstat.read_dta(folder / "stata" / f"{dataset}.dta")
    spss, spss_meta = pyreadstat.read_sav(folder / "spss" / f"{dataset}.sav")

    assert list(stata.columns) == [v.stata_name for v in variables]
    assert list(spss.columns) == [v.column for v in variables]
    for v in variables:
        assert spss_meta.column_names_to_labels[v.column] == v.meaning
        assert stata_meta.column_names_to_labels[v.stata_name] == (
            v.meaning if len(v.meaning) <= STATA_LABEL_LENGTH else v.meaning[:77] + "..."
        )
        if v.type == BOOLEAN:
            labels = dict(v.value_labels)
            assert stata_meta.variable_value_labels[v.stata_name] == labels
            assert spss_meta.variable_value_labels[v.column] == labels
        if v.type == DATE:
            assert stata_meta.original_variable_types[v.stata_name] == "%td"
            assert spss_meta.original_variable_types[v.column] == "DATE11"
        expected = [_csv_value(v, row[v.column]) for row in csv_rows]
        assert [_file_value(x) for x in stata[v.stata_name]] == expected, v.column
        assert [_file_value(x) for x in spss[v.column]] == expected, v.column
    assert len(csv_rows) == len(stata) == len(spss) > 0


def test_the_same_input_gives_the_same_bytes(demo):
    cohort, results = demo
    frozen = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    first = analysis_package("opd", cohort, results["opd"], snapshot_id="S 12/a", frozen_at=frozen)
    again = analysis_package("opd", cohort, results["opd"], snapshot_id="S 12/a", frozen_at=frozen)
    other = analysis_package("opd", cohort, results["opd"], snapshot_id="S 13", frozen_at=frozen)

    assert first.content == again.content
    assert first.filename == "mbc-opd-S-12-a.zip"
    assert other.content != first.content
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        infos = archive.infolist()
    assert {i.date_time for i in infos} == {(2027, 3, 1, 9, 30, 0)}
    assert [i.filename for i in infos][:2] == [
        "mbc-opd-S-12-a/README.md",
        "mbc-opd-S-12-a/analysis.R",
    ]
    assert {i.filename.split("/")[0] for i in infos} == {"mbc-opd-S-12-a"}


def test_the_page_offers_the_package_and_repeated_downloads_are_identical(
    client, analyst, centre_a
):
    for _ in range(3):
        build_patient(
            centre_a,
            lines=[(0, None, None, "endocrine")],
            responses=[(3, 1, "CR")],
            last_contact=20,
        )
    client.force_login(analyst)
    page = client.get(reverse("analytics:report", args=["cr"]), {"presentation": "de_novo"})
    url = reverse("analytics:package", args=["cr"])
    assert f'href="{url}?presentation=de_novo"' in page.content.decode()
    assert "Reproducible package (ZIP)" in page.content.decode()

    first = client.get(url, {"presentation": "de_novo"})
    second = client.get(url, {"presentation": "de_novo"})
    json_download = client.get(
        reverse("analytics:download", args=["cr", "json"]), {"presentation": "de_novo"}
    )
    assert first["Content-Type"] == "application/zip"
    assert first["Content-Disposition"] == 'attachment; filename="mbc-cr-package.zip"'
    assert first.content == second.content
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        report = json.loads(archive.read("mbc-cr-package/registry/report.json"))
    assert report == json.loads(json_download.content)  # the stored result, not a new one


def test_a_write_while_the_cohort_is_read_gives_results_from_that_cohort(
    client, analyst, centre_a, monkeypatch
):
    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "CR")])
    versions = iter(["before", "after"])
    monkeypatch.setattr("analytics.package.data_version", lambda: next(versions))
    client.force_login(analyst)
    response = client.get(reverse("analytics:package", args=["cr"]))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        report = json.loads(archive.read("mbc-cr-package/registry/report.json"))
        patients = archive.read("mbc-cr-package/data/patients.csv").decode()
    assert report["overall"]["cr_rate"]["display"] == "1/1 (100.0%)"
    assert patients.count("\n") == 2  # header and the one patient


def test_bad_filters_are_refused_with_their_message(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("analytics:package", args=["cr"]), {"mbc_from": "yesterday"})
    assert page.status_code == 400
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(analyst)
    answer = api.get(reverse("api:report-package", args=["opd"]), {"mbc_from": "yesterday"})
    assert answer.status_code == 400 and "mbc_from" in answer.json()
    assert api.get(reverse("api:report-package", args=["nope"])).status_code == 404
    assert client.get(reverse("analytics:package", args=["nope"])).status_code == 404


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_a_package_of_no_patient_is_whole_and_recomputes(client, analyst, centre_a, tmp_path, name):
    """Filters that match nobody: empty datasets in every format, and R agrees (nothing
    estimable, every count 0)."""
    import pyreadstat

    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "CR")])
    client.force_login(analyst)
    response = client.get(reverse("analytics:package", args=[name]), {"presentation": "recurrent"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / package_name(name, None)
    for dataset in DATASETS:
        assert (folder / "data" / f"{dataset}.csv").read_text().count("\n") == 1  # the header
        assert len(pyreadstat.read_dta(folder / "stata" / f"{dataset}.dta")[0]) == 0
        assert len(pyreadstat.read_sav(folder / "spss" / f"{dataset}.sav")[0]) == 0
    run = subprocess.run(
        [rscript_or_skip(RSCRIPT), "analysis.R"], cwd=folder, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_stored_frames_give_the_same_files_whatever_their_date_type():
    """A snapshot may store its frames and read them back with dates as Timestamps or text:
    the Stata and SPSS files are the same bytes."""
    from analytics import statfiles

    episodes = pd.DataFrame(
        {
            "registry_id": ["MBC-000001", "MBC-000002"],
            "centre": ["MIL", "TOR"],
            "episode": [1, 1],
            "first_cr_date": [date(2021, 3, 4), date(2022, 5, 6)],
            "line": [1, 2],
            "during_maintenance": [False, True],
            "ended_on": [date(2021, 9, 1), None],
            "ended_by": ["PD", None],
            "duration_months": [5.9, 12.25],
            "progression_or_death": [True, False],
        }
    )
    stamp = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    as_timestamps = episodes.assign(
        first_cr_date=pd.to_datetime(episodes["first_cr_date"]),
        ended_on=pd.to_datetime(episodes["ended_on"]),
    )
    as_text = episodes.assign(
        first_cr_date=["2021-03-04", "2022-05-06"], ended_on=["2021-09-01", None]
    )
    for write in (statfiles.dta_bytes, statfiles.sav_bytes):
        expected = write("episodes", episodes, stamp=stamp)
        assert write("episodes", as_timestamps, stamp=stamp) == expected
        assert write("episodes", as_text, stamp=stamp) == expected
    assert b"02 Jan 2027 03:04" in statfiles.dta_bytes("episodes", episodes, stamp=stamp)
    assert b"02 Jan 2703:04:05" in statfiles.sav_bytes("episodes", episodes, stamp=stamp)
