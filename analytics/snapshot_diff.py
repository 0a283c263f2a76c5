"""What changed between two snapshots, patient by patient: who entered, who left, who changed
group, and which values changed from what to what (read from their stored patient rows)."""

from datetime import date

import pandas as pd

from .models import Snapshot
from .snapshots import stamp, stored_rows

# The columns that put a patient in a report's group: a change here changes a count.
GROUP_COLUMNS = (
    "centre",
    "presentation",
    "subtype",
    "subtype_group",
    "evaluable_for_response",
    "reached_cr",
    "cr_more_than_once",
    "first_cr_line",
    "opd_selection",
    "in_opd_cohort",
    "pre_opd_pfs_group",
    "dead",
    "status_at_last_contact",
)
CHANGES = ("entered", "left", "changed group", "changed")


def _why_absent(row: dict, other: dict, verb: str) -> str:
    """Why a patient of one snapshot is not in the `other` (its stamp), as far as the rows
    can say."""
    other_code = other["id"]
    if date.fromisoformat(row["mbc_diagnosis_date"]) > date.fromisoformat(other["data_cutoff"]):
        return f"MBC diagnosis {row['mbc_diagnosis_date']} is after {other_code}'s cut-off"
    if row["centre"] not in other["centres"]:
        return f"centre {row['centre']} is not covered by {other_code}"
    return {
        "entered": f"not in {other_code}: registered after its freeze, or then archived, in "
        "another centre, or outside its filters",
        "left": f"not in {other_code}: archived, moved to another centre, deleted, or its data "
        "changed so that the filters no longer select it",
    }[verb]


def snapshot_diff(before: Snapshot, after: Snapshot) -> dict:
    """The patients that entered, left or changed between `before` and `after`, with why."""
    columns, old_rows = stored_rows(before, "patients")
    new_columns, new_rows = stored_rows(after, "patients")
    old = {row[0]: dict(zip(columns, row, strict=True)) for row in old_rows}
    new = {row[0]: dict(zip(new_columns, row, strict=True)) for row in new_rows}
    before_stamp, after_stamp = stamp(before), stamp(after)
    entered = [
        {
            "registry_id": rid,
            "centre": new[rid]["centre"],
            "why": _why_absent(new[rid], before_stamp, "entered"),
        }
        for rid in sorted(new.keys() - old.keys())
    ]
    left = [
        {
            "registry_id": rid,
            "centre": old[rid]["centre"],
            "why": _why_absent(old[rid], after_stamp, "left"),
        }
        for rid in sorted(old.keys() - new.keys())
    ]
    changed = []
    for rid in sorted(old.keys() & new.keys()):
        fields = [
            {"field": column, "from": old[rid].get(column), "to": new[rid][column]}
            for column in new_columns
            if old[rid].get(column) != new[rid][column]
        ]
        if fields:
            group = [f for f in fields if f["field"] in GROUP_COLUMNS]
            changed.append(
                {
                    "registry_id": rid,
                    "centre": new[rid]["centre"],
                    "changed_group": bool(group),
                    "group_changes": group,
                    "other_changes": [f for f in fields if f["field"] not in GROUP_COLUMNS],
                }
            )
    return {
        "from": before_stamp,
        "to": after_stamp,
        "group_columns": list(GROUP_COLUMNS),
        "counts": {
            "entered": len(entered),
            "left": len(left),
            "changed_group": sum(c["changed_group"] for c in changed),
            "changed_other_values_only": sum(not c["changed_group"] for c in changed),
            "unchanged": len(old.keys() & new.keys()) - len(changed),
        },
        "entered": entered,
        "left": left,
        "changed": changed,
    }


def diff_table(diff: dict) -> pd.DataFrame:
    """One row per patient entered or left (with why), and per value changed (the CSV)."""
    rows = [
        {
            "registry_id": p["registry_id"],
            "change": change,
            "field": "",
            "from": "",
            "to": "",
            "why": p["why"],
        }
        for change in ("entered", "left")
        for p in diff[change]
    ]
    for patient in diff["changed"]:
        change = "changed group" if patient["changed_group"] else "changed"
        rows += [
            {
                "registry_id": patient["registry_id"],
                "change": change,
                "field": field["field"],
                "from": field["from"],
                "to": field["to"],
                "why": "",
            }
            for field in patient["group_changes"] + patient["other_changes"]
        ]
    frame = pd.DataFrame(rows, columns=["registry_id", "change", "field", "from", "to", "why"])
    frame = frame.fillna({"field": "", "from": "", "to": "", "why": ""})
    return frame.sort_values(["registry_id", "change"], kind="stable", ignore_index=True)
