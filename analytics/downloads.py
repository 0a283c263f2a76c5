"""Report and dataset files: the same frames as CSV, XLSX or JSON."""

import io
import json

import pandas as pd

from registry.spreadsheets import formula_safe

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(formula_safe)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return _excel_safe(frame).to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _excel_safe(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def json_bytes(report: dict) -> bytes:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")
