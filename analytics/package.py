"""A report's reproducible analysis package: one ZIP with everything to recompute it.

The analysis datasets (CSV with a codebook, Stata .dta, SPSS .sav), the R script that
recomputes the report's Kaplan-Meier estimates, log-rank tests and CR rates from them
(`analytics.recompute`), the registry's own results, and a README. The ZIP is
deterministic: the same cohort and result give the same bytes (members in a fixed order,
each stamped with the package's time: the snapshot's freeze time, or the time the report
was computed). docs/decisions/0023-reproducible-packages.md says why it is built so.
"""

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from django.db.models import QuerySet
from django.http import HttpResponse

from registry import access, spreadsheets
from registry.models import Patient
from registry.selectors import data_version

from . import downloads, statfiles
from .catalogue import REPORTS, ReportSpec
from .codebook import DATASETS, codebook_rows
from .cohorts import Cohort, CohortFilter, build_cohort
from .computed import computed_result, report_result
from .recompute import ANALYSES, TOLERANCE, r_script
from .tables import report_tables

CONTENT_TYPE = "application/zip"
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a ZIP member can carry
FILE_MODE = 0o644 << 16
UNIX = 3  # the "made by" system of every member, whatever system builds the ZIP
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Package:
    content: bytes
    filename: str

    def response(self) -> HttpResponse:
        """The ZIP as a download, for the page and the API alike."""
        response = HttpResponse(self.content, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


def _stamp(result: dict, frozen_at: datetime | None) -> datetime:
    """The package's time, in UTC: the freeze time, else when the report was computed."""
    stamp = frozen_at or datetime.fromisoformat(result["meta"]["generated_at"])
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return max(stamp.astimezone(UTC), ZIP_EPOCH)


def package_name(report: str, snapshot_id: str | None) -> str:
    """The folder in the ZIP and the file's stem: the report, and the snapshot if any."""
    if not snapshot_id:
        return f"mbc-{report}-package"
    return f"mbc-{report}-{SAFE_NAME.sub('-', snapshot_id).strip('-') or 'snapshot'}"


def _heading(result: dict, snapshot_id: str | None, stamp: datetime) -> list[str]:
    """What the package was computed from, for the README and the script's heading."""
    meta = result["meta"]
    filters = "; ".join(
        f"{key} = {', '.join(value) if isinstance(value, list) else value}"
        for key, value in meta["filters"].items()
        if value not in ("", None, [])
    )
    selection = meta["selection"]
    return [
        f"Snapshot: {snapshot_id}" if snapshot_id else "Snapshot: none (the live report)",
        f"Report computed: {meta['generated_at']}; package time: {stamp.isoformat()}",
        f"Latest date in the data: {meta['data_cutoff']}",
        f"Filters: {filters or 'none'}",
        f"Centres compared: {'yes' if 'by_centre' in result else 'no'}",
        f"Patients: {selection.get('patients_selected')} selected of "
        f"{selection.get('patients_visible')} visible",
    ]


def _readme(spec: ReportSpec, heading: list[str]) -> str:
    times = ", ".join(f"{t:g}" for t in ANALYSES[spec.name].survival_times)
    recomputes = (
        "`analysis.R` recomputes, from the CSV files alone, every Kaplan-Meier estimate of "
        "the report (per group: n, events, censored, median, the transformed median CI, the "
        f"symmetric median CI, survival at {times} months with its CI), the median follow-up "
        "by reverse Kaplan-Meier, every log-rank test, every rate with its Wilson interval, "
        "and the descriptive statistics (median, quartiles, range) and category counts of "
        "the characteristics tables. It writes `results/r_results.csv` and "
        "`results/r_results.json` (one number per figure, named by its path in the report) "
        "and `results/comparison.csv`, and says whether every number equals the registry's "
        f"(`registry/figures.csv`) to {TOLERANCE} (relative above 1); it stops with exit "
        "status 1 if one does not. Not recomputed: the Cox hazard ratios and the rounded "
        "percentages."
    )
    lines = [
        f"# Reproducible analysis package: {spec.title}",
        "",
        *(f"- {line}" for line in heading),
        "",
        "## How to run it",
        "",
        "In this folder, with R (4.0 or later) and its `survival` package:",
        "",
        "    Rscript analysis.R",
        "",
        recomputes,
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `analysis.R` | the script (base R and `survival` only), generated from the "
        "description of the report's analyses |",
        "| `data/patients.csv`, `episodes.csv`, `lines.csv`, `progressions.csv` | the analysis "
        "datasets: one row per patient, CR episode, treatment line, date of progression; "
        "empty cells are missing, dates YYYY-MM-DD, booleans True/False |",
        "| `data/codebook.csv` | every column: dataset, name, Stata name, type, meaning, "
        "value labels |",
        "| `stata/*.dta` | the same datasets for Stata (format 119): variable labels, booleans "
        "1/0 with value labels, dates as %td dates; names longer than 32 characters are "
        "shortened (codebook `stata_name`) |",
        "| `spss/*.sav` | the same datasets for SPSS: variable labels, booleans 1/0 with value "
        "labels, dates as DATE11 |",
        "| `registry/report.json` | the registry's own report, as its JSON download |",
        "| `registry/figures.csv`, `registry/at_risk.csv` | the same report, one row per number "
        "(as its CSV download) and the numbers at risk |",
        "| `SHA256SUMS` | a checksum of every other file (`sha256sum -c SHA256SUMS`) |",
        "",
        "## Methods (DEFINITIONS.md, `registry/report.json` → `meta.methods`)",
        "",
        "- Times in months (days / 30.4375). At tied times events come before censorings.",
        "- Median: the smallest time with S(t) <= 0.5 (compared with a 1e-9 tolerance). R's "
        "`quantile.survfit` takes the midpoint where S is exactly 0.5 over an interval, so "
        "the script reads the median off the fitted curve instead.",
        "- The confidence band of S(t) is the log(-log) band: `survfit(..., conf.type = "
        '"log-log")`, not R\'s default "log".',
        "- Transformed median CI: the times where that band crosses 0.5; symmetric median CI: "
        "median +/- 1.96 SE(median), SE from Greenwood's variance and Collett's density "
        "between S = 0.55 and 0.45. A missing limit is not reached (transformed) or not "
        "estimable (symmetric).",
        "- Log-rank: `survdiff`; rates: `prop.test(..., correct = FALSE)` (Wilson).",
        "",
        "The datasets are de-identified: registry IDs are pseudonyms; no name, hospital record "
        "number or birth date is in any file.",
        "",
    ]
    return "\n".join(lines)


def _member(name: str, stamp: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = FILE_MODE
    info.create_system = UNIX
    return info


def analysis_package(
    report: str,
    cohort: Cohort,
    result: dict,
    *,
    snapshot_id: str | None = None,
    frozen_at: datetime | None = None,
) -> Package:
    """The package of a report's `result`, computed from `cohort`'s frames.

    A snapshot passes its stored frames and result, its ID and its freeze time; the live
    report passes its cohort and stored result. Same arguments, same bytes.
    """
    spec = REPORTS[report]
    stamp = _stamp(result, frozen_at)
    name = package_name(report, snapshot_id)
    heading = _heading(result, snapshot_id, stamp)
    tables = report_tables(result)
    files: dict[str, bytes] = {
        "README.md": _readme(spec, heading).encode(),
        "analysis.R": r_script(report, spec.title, result, heading=heading).encode(),
    }
    frames = {dataset: getattr(cohort, dataset) for dataset in DATASETS}
    for dataset, frame in frames.items():
        files[f"data/{dataset}.csv"] = spreadsheets.csv_bytes(frame)
    files["data/codebook.csv"] = spreadsheets.csv_bytes(pd.DataFrame(codebook_rows()))
    for dataset, frame in frames.items():
        files[f"stata/{dataset}.dta"] = statfiles.dta_bytes(dataset, frame, stamp=stamp)
    for dataset, frame in frames.items():
        files[f"spss/{dataset}.sav"] = statfiles.sav_bytes(dataset, frame, stamp=stamp)
    files["registry/report.json"] = downloads.json_bytes(result)
    files["registry/figures.csv"] = spreadsheets.csv_bytes(tables["figures"])
    files["registry/at_risk.csv"] = spreadsheets.csv_bytes(tables["at_risk"])
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(content).hexdigest()}  {path}\n" for path, content in files.items()
    ).encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in files.items():
            archive.writestr(_member(f"{name}/{path}", stamp), content)
    return Package(buffer.getvalue(), f"{name}.zip")


def report_package(user, spec: ReportSpec, filters: CohortFilter, *, by_centre: bool) -> Package:
    """The live report's package: the result its page shows, and the cohort behind it.

    The cohort is read between two readings of the data version: unchanged, the result
    is the one stored for that version (the page's and the downloads'); if a write landed
    meanwhile, the result is computed from this cohort, so data and results always match.
    """
    visible: QuerySet[Patient] = access.patients(user)
    version = data_version()
    cohort = build_cohort(visible, filters, all_at_once=True)
    if data_version() == version:
        result = computed_result(
            spec,
            filters,
            by_centre=by_centre,
            visible=visible,
            centre_ids=list(access.visible_centres(user).values_list("pk", flat=True)),
            cohort=cohort,
            version=version,
        ).result
    else:
        result = json.loads(downloads.json_bytes(report_result(spec, cohort, by_centre=by_centre)))
    return analysis_package(spec.name, cohort, result)
