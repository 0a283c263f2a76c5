"""Cut a report dict into tables for CSV and XLSX, so downloads hold the page's numbers.

`figures` has every scalar of the report as (figure, value), the figure named by its path
in the JSON ("overall.cr_rate.n"); `at_risk` has the number-at-risk tables of every
Kaplan-Meier estimate. Curves are data for the plots, not figures, and stay in the JSON.
"""

import pandas as pd

SKIPPED = {"curve", "at_risk"}


def item_label(item, index: int):
    """How a list item is named in a figure's path: its line, its step, or its position."""
    return item.get("line", item.get("step", index)) if isinstance(item, dict) else index


def _walk(value, path: str, figures: list, at_risk: list) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if key == "at_risk" and isinstance(item, list):
                at_risk += [{"estimate": path, **row} for row in item]
            elif key not in SKIPPED:
                _walk(item, child, figures, at_risk)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{item_label(item, index)}]", figures, at_risk)
    else:
        figures.append({"figure": path, "value": value})


def report_tables(report: dict) -> dict[str, pd.DataFrame]:
    figures: list[dict] = []
    at_risk: list[dict] = []
    _walk(report, "", figures, at_risk)
    return {
        "figures": pd.DataFrame(figures, columns=["figure", "value"]),
        "at_risk": pd.DataFrame(at_risk),
    }
