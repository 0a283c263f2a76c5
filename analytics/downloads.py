"""Report and dataset files: the same frames as CSV, XLSX or JSON."""

import io
import json

import pandas as pd

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Spreadsheets run text starting with = + - @ as a formula: make it text again."""

    def neutralise(value):
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _numeric(value):
            return "'" + value
        return value

    return frame.map(neutralise)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
