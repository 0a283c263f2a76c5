"""The R script of a reproducible package, generated from a description of the analyses.

Each report's analyses are described as data (`ANALYSES`): the dataset, the population
(conditions on its columns), the time and event columns, the grouping column, and where
the registry's own figure sits in the report. `r_script` turns the description into
calls of the R functions in `analytics/r/functions.R` (base R and `survival`), with the
groups the report has: an endpoint is added by describing it, not by writing R.

Every number the script computes is named by its path in the report, as in the report's
CSV (`analytics.tables`): "overall.ps_pfs.by_subtype_group.HER2+.median". The script
writes them to results/ and compares them with registry/figures.csv.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import survival
from .codebook import BOOLEAN, DATASETS, DATE, TEXT, codebook

R_PARTS = Path(__file__).with_name("r")  # functions.R, datasets.R, results.R
R_CLASSES = {TEXT: "character", DATE: "Date", BOOLEAN: "logical"}  # integers, numbers: numeric
TOLERANCE = 1e-6  # what the script's comparison with the registry's figures allows


def r_literal(value) -> str:
    """An R constant: strings quoted (JSON escapes are R escapes), TRUE/FALSE, numbers, and
    a tuple of them as a vector."""
    if isinstance(value, tuple):
        return f"c({', '.join(r_literal(v) for v in value)})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


@dataclass(frozen=True)
class Where:
    """Rows whose column equals the value, or one of a tuple of values (a missing value
    equals nothing)."""

    column: str
    value: object = True

    def r(self, data: str) -> str:
        return f"{data}[[{r_literal(self.column)}]] %in% {r_literal(self.value)}"


def _population(dataset: str, conditions: tuple[Where, ...]) -> str:
    if not conditions:
        return dataset
    return f"rows({dataset}, {' & '.join(c.r(dataset) for c in conditions)})"


@dataclass(frozen=True)
class Analysis(ABC):
    """One analysis of a report: where its figures are, on which rows.

    `result` is the key path in the report below `overall` (or a centre's figures);
    with a `group` column, the report holds one estimate per group there (a mapping, or
    a list whose items carry the group's value), and each is computed on its group's rows.
    """

    result: tuple[str, ...]
    dataset: str
    population: tuple[Where, ...] = ()
    group: str | None = None

    def calls(self, report: dict, base: tuple[str, ...], within: tuple[Where, ...]) -> list[str]:
        node = _node(report, (*base, *self.result))
        if node is _MISSING:
            return []
        path = ".".join((*base, *self.result))
        conditions = (*within, *self.population)
        if self.group is None:
            return [self._call(path, node, conditions)]
        return [
            self._call(label, estimate, (*conditions, Where(self.group, value)))
            for label, value, estimate in _groups(path, node, self.group)
        ]

    @abstractmethod
    def _call(self, path: str, node, conditions: tuple[Where, ...]) -> str:
        """The R call recording the figures of one estimate, test or rate at `path`."""


@dataclass(frozen=True)
class KaplanMeier(Analysis):
    """Kaplan-Meier estimate; without an event column every time ends in its event."""

    time: str = ""
    event: str | None = None

    def _call(self, path, node, conditions):
        return (
            f"record({r_literal(path)}, kaplan_meier({_population(self.dataset, conditions)}, "
            f"{r_literal(self.time)}, {r_literal(self.event) if self.event else 'NULL'}, at))"
        )


@dataclass(frozen=True)
class FollowUp(Analysis):
    """Median follow-up by reverse Kaplan-Meier (`alive` is the reverse estimate's event)."""

    time: str = ""
    alive: str = "alive_at_last_contact"

    def _call(self, path, node, conditions):
        return (
            f"record({r_literal(path)}, follow_up({_population(self.dataset, conditions)}, "
            f"{r_literal(self.time)}, {r_literal(self.alive)}))"
        )


@dataclass(frozen=True)
class LogRank(Analysis):
    """Log-rank test of `compare` across the groups the report names at `result` (its
    "groups"; all groups present if it names none)."""

    time: str = ""
    event: str = ""
    compare: str = ""

    def _call(self, path, node, conditions):
        groups = node.get("groups")
        if groups:
            conditions = (*conditions, Where(self.compare, tuple(groups)))
        data = _population(self.dataset, conditions)
        return (
            f"record({r_literal(path)}, log_rank({data}, {r_literal(self.time)}, "
            f"{r_literal(self.event)}, {r_literal(self.compare)}))"
        )


@dataclass(frozen=True)
class Rate(Analysis):
    """A proportion of the population's rows with the outcome, with its Wilson interval."""

    outcome: str = ""

    def _call(self, path, node, conditions):
        return (
            f"record({r_literal(path)}, rate({_population(self.dataset, conditions)}, "
            f"{r_literal(self.outcome)}))"
        )


@dataclass(frozen=True)
class Describe(Analysis):
    """Median, quartiles (type 7) and range of a numeric column."""

    column: str = ""

    def _call(self, path, node, conditions):
        return (
            f"record({r_literal(path)}, describe({_population(self.dataset, conditions)}, "
            f"{r_literal(self.column)}))"
        )


@dataclass(frozen=True)
class Count(Analysis):
    """The rows of each category the report lists at `result`, over all the rows."""

    column: str = ""

    def _call(self, path, node, conditions):
        categories = r_literal(tuple(str(category) for category in node))
        return (
            f"record({r_literal(path)}, category_counts({_population(self.dataset, conditions)}, "
            f"{r_literal(self.column)}, {categories}))"
        )


@dataclass(frozen=True)
class ReportAnalyses:
    """A report's analyses: those of `overall` (repeated per centre in `by_centre`), and
    the test across centres when centres are compared."""

    overall: tuple[Analysis, ...] = ()
    centre_comparison: LogRank | None = None
    survival_times: tuple[float, ...] = field(default=survival.SURVIVAL_TIMES)


EVALUABLE = Where("evaluable_for_response")
WITH_CR = Where("reached_cr")
OPD_COHORT = Where("opd_selection", "included")
PS_PFS = {"dataset": "patients", "time": "ps_pfs_months", "event": "ps_pfs_event"}
CHARACTERISTICS = (
    Describe(("age_at_mbc_diagnosis",), "patients", column="age_at_mbc_diagnosis"),
    Describe(("lines_received",), "patients", column="lines_received"),
    *(
        Count((column,), "patients", column=column)
        for column in (
            "presentation",
            "histology",
            "subtype",
            "subtype_group",
            "hr_status",
            "her2_status",
        )
    ),
)
ANALYSES = {
    "characteristics": ReportAnalyses(overall=CHARACTERISTICS),
    "cr": ReportAnalyses(
        overall=(
            Rate(("cr_rate",), "patients", (EVALUABLE,), outcome="reached_cr"),
            Rate(("cr_rate_by_line",), "lines", (Where("evaluable"),), "line", outcome="cr"),
            Rate(
                ("cr_rate_by_subtype",), "patients", (EVALUABLE,), "subtype", outcome="reached_cr"
            ),
            Rate(
                ("cr_rate_by_subtype_group",),
                "patients",
                (EVALUABLE,),
                "subtype_group",
                outcome="reached_cr",
            ),
            KaplanMeier(
                ("duration_of_cr",),
                "episodes",
                time="duration_months",
                event="progression_or_death",
            ),
            KaplanMeier(
                ("duration_of_cr_from_first_cr",),
                "patients",
                (WITH_CR,),
                time="cr_duration_months",
                event="cr_duration_event",
            ),
            FollowUp(
                ("follow_up_from_mbc_diagnosis",),
                "patients",
                (WITH_CR,),
                time="follow_up_from_mbc_months",
            ),
            *(
                replace(a, result=("cr_patient_characteristics", *a.result), population=(WITH_CR,))
                for a in CHARACTERISTICS
            ),
        ),
        centre_comparison=LogRank(
            (),
            "patients",
            (WITH_CR,),
            time="cr_duration_months",
            event="cr_duration_event",
            compare="centre",
        ),
    ),
    "opd": ReportAnalyses(
        overall=(
            KaplanMeier(("pre_opd_pfs",), "patients", (OPD_COHORT,), time="pre_opd_pfs_months"),
            KaplanMeier(
                ("opd_to_surgery",), "patients", (OPD_COHORT,), time="opd_to_surgery_months"
            ),
            KaplanMeier(("ps_pfs", "overall"), population=(OPD_COHORT,), **PS_PFS),
            KaplanMeier(
                ("ps_pfs", "by_subtype_group"),
                population=(OPD_COHORT,),
                group="subtype_group",
                **PS_PFS,
            ),
            KaplanMeier(
                ("ps_pfs", "by_pre_opd_pfs_group"),
                population=(OPD_COHORT,),
                group="pre_opd_pfs_group",
                **PS_PFS,
            ),
            LogRank(
                ("ps_pfs", "subtype_comparison"),
                population=(OPD_COHORT,),
                compare="subtype_group",
                **PS_PFS,
            ),
            LogRank(
                ("ps_pfs", "pre_opd_pfs_comparison"),
                population=(OPD_COHORT,),
                compare="pre_opd_pfs_group",
                **PS_PFS,
            ),
            FollowUp(
                ("follow_up_from_opd",), "patients", (OPD_COHORT,), time="follow_up_from_opd_months"
            ),
        ),
        centre_comparison=LogRank((), population=(OPD_COHORT,), compare="centre", **PS_PFS),
    ),
}

_MISSING = object()


def _node(report: dict, path: tuple[str, ...]):
    node = report
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _groups(path: str, node, column: str) -> Iterator[tuple[str, object, dict]]:
    """(figure path, group value, estimate) of each group the report has at `path`.

    A mapping is keyed by the group's value; a list's items carry it in `column`, and the
    report's CSV names them "path[value]" (`analytics.tables`).
    """
    if isinstance(node, dict):
        for key, estimate in node.items():
            yield f"{path}.{key}", key, estimate
    else:
        for item in node:
            yield f"{path}[{item[column]}]", item[column], item


def analysis_calls(report_name: str, report: dict) -> list[str]:
    """The R calls that recompute every described figure of this report's result."""
    analyses = ANALYSES[report_name]
    calls = [c for a in analyses.overall for c in a.calls(report, ("overall",), ())]
    for centre in report.get("by_centre", {}):
        within = (Where("centre", centre),)
        calls += [
            c for a in analyses.overall for c in a.calls(report, ("by_centre", centre), within)
        ]
    if analyses.centre_comparison is not None and report.get("centre_comparison"):
        comparison = analyses.centre_comparison
        calls += comparison.calls(report, ("centre_comparison",), ())
    return calls


def _dataset_reads() -> list[str]:
    lines = []
    for dataset in DATASETS:
        classes = ", ".join(
            f"{r_literal(v.column)} = {r_literal(R_CLASSES.get(v.type, 'numeric'))}"
            for v in codebook(dataset)
        )
        lines.append(f"{dataset} <- read_dataset({r_literal(dataset)}, c({classes}))")
    return lines


def r_script(report_name: str, title: str, report: dict, *, heading: list[str]) -> str:
    """analysis.R for this report's result; `heading` are comment lines naming its data."""
    times = ", ".join(r_literal(float(t)) for t in ANALYSES[report_name].survival_times)
    calls = analysis_calls(report_name, report)
    parts = [
        "# analysis.R: recomputes the figures of the registry's report",
        f'# "{title}"',
        "# from the analysis datasets beside it, with base R and the survival package only.",
        "# Run it in this folder:  Rscript analysis.R",
        "# It was generated by the registry (analytics/recompute.py) from the description of",
        "# the report's analyses: dataset, population, time, event and group columns.",
        *(f"# {' '.join(line.splitlines())}" for line in heading),
        "",
        "suppressPackageStartupMessages(library(survival))",
        'script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))',
        "if (length(script) == 1) setwd(dirname(normalizePath(script)))",
        "",
        (R_PARTS / "functions.R").read_text().rstrip(),
        "",
        (R_PARTS / "datasets.R").read_text().rstrip(),
        *_dataset_reads(),
        "",
        "# ---- The report's analyses (one line per estimate, test or rate) --------------------",
        f"at <- c({times}) # months at which S(t) is reported",
        *calls,
        "",
        (R_PARTS / "results.R").read_text().replace("TOLERANCE", repr(TOLERANCE)).rstrip(),
        "",
    ]
    return "\n".join(parts)
