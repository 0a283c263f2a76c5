"""The patients behind a report's count.

Each report builds its counts as the rows they count (`reports.common.Counted`, from the
report's `counts` builder, `ReportSpec.counts`), and its JSON number is their length. A
count is named by its path in the report's JSON, as the CSV download's `figure` column
names it: `overall.cr_rate.n`, `overall.selection[de novo].excluded`,
`by_centre.MIL.cr_rate_by_line[1].N`; the rows of a Kaplan-Meier estimate's at-risk table
are named by their time: `overall.ps_pfs.overall.at_risk[12].at_risk` (also `.events`,
`.censored`). Everything here is computed from a Cohort's frames, so a cohort built from
stored frames (a snapshot) drills down exactly as the live registry's does.
"""

from dataclasses import dataclass

import pandas as pd

from .catalogue import ReportSpec
from .cohorts import Cohort
from .columns import EPISODE_COLUMNS, LINE_COLUMNS, PATIENT_COLUMNS
from .reports.common import Counted, clean
from .tables import item_label

IDENTITY = ("registry_id", "centre")
MEANINGS = {**LINE_COLUMNS, **EPISODE_COLUMNS, **PATIENT_COLUMNS}


class UnknownCell(LookupError):
    """No count of the report has this name (or it names a centre the user does not see)."""


def _label(key: str, item, index: int):
    if key == "at_risk" and isinstance(item, dict) and "time" in item:
        return f"{item['time']:g}"
    return item_label(item, index)


def _walk(tree, path: str, found: dict[str, Counted]) -> None:
    if isinstance(tree, Counted):
        found[path] = tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            _walk(value, f"{path}.{key}" if path else str(key), found)
    elif isinstance(tree, list):
        key = path.rsplit(".", 1)[-1]
        for index, item in enumerate(tree):
            _walk(item, f"{path}[{_label(key, item, index)}]", found)


def drillable_counts(counts: dict) -> dict[str, Counted]:
    """Every count of a counts tree (a report's, or any analysis built with Counted), by name."""
    found: dict[str, Counted] = {}
    _walk(counts, "", found)
    return found


def report_counts(
    spec: ReportSpec, cohort: Cohort, *, by_centre: bool = True
) -> dict[str, Counted]:
    """Every count of a report on this cohort, overall and (by default) for each centre."""
    if spec.counts is None:
        return {}
    return drillable_counts(spec.counts(cohort, by_centre=by_centre))


def patients_behind(spec: ReportSpec, cohort: Cohort, cell: str) -> Counted:
    """The rows one count of the report counts; `UnknownCell` if the report has no such count.

    The cohort is already scoped to what its user may see (registry.access): a count of a
    centre they do not see does not exist for them.
    """
    # Only a centre's count needs the figures of every centre computed.
    counted = report_counts(spec, cohort, by_centre=cell.startswith("by_centre.")).get(cell)
    if counted is None:
        raise UnknownCell(cell)
    return counted


@dataclass(frozen=True)
class PatientList:
    """A count's rows as the list page, its CSV and the API show them."""

    cell: str
    unit: str
    columns: list[str]
    frame: pd.DataFrame

    @property
    def meanings(self) -> dict[str, str]:
        return {column: MEANINGS.get(column, "") for column in self.columns}

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, rows: slice) -> list[dict]:
        """The rows of a slice (a page) as JSON-safe records: only they are converted."""
        return [
            {column: clean(value) for column, value in zip(self.columns, row, strict=True)}
            for row in self.frame.iloc[rows].itertuples(index=False, name=None)
        ]

    def records(self) -> list[dict]:
        """Every row: dates as ISO text, a missing value as None."""
        return self[:]


def patient_list(cell: str, counted: Counted) -> PatientList:
    """Registry ID and centre, then the facts that say why each row is counted."""
    columns = list(dict.fromkeys([*IDENTITY, *counted.facts]))
    return PatientList(cell, counted.unit, columns, counted.rows[columns].reset_index(drop=True))
