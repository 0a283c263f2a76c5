"""Cells a spreadsheet will not run: one rule for every CSV and workbook the registry writes.

A spreadsheet opening a CSV (or a workbook's text cell typed anew) runs text that starts
with = + - @ (or a tab or carriage return before them) as a formula, e.g. =HYPERLINK(...).
Such text is written with a leading apostrophe, which spreadsheets show as "text". The
registry's own imports take the apostrophe off again, so an exchange file round-trips
exactly; a value that itself starts with an apostrophe is escaped the same way.
"""

import io
import re
import zipfile
from datetime import UTC, datetime

import pandas as pd

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def formula_safe(value):
    """The value to write in a cell; only text changes."""
    if not isinstance(value, str):
        return value
    if value.startswith(ESCAPE) or (value.startswith(FORMULA_STARTS) and not _numeric(value)):
        return ESCAPE + value
    return value


def formula_unescaped(text: str) -> str:
    """The value a `formula_safe` cell held."""
    if text.startswith(ESCAPE) and formula_safe(text[1:]) == text:
        return text[1:]
    return text


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.map(formula_safe).to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], *, dated: datetime | None = None) -> bytes:
    """The workbook; `dated`: every timestamp in it is that moment, so the same sheets give
    the same bytes (a snapshot's downloads), where openpyxl writes the time of writing."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.map(formula_safe).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue() if dated is None else _dated(buffer.getvalue(), dated)


CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _dated(content: bytes, moment: datetime) -> bytes:
    """The document properties' created/modified and every zip entry's time set to `moment`."""
    moment = moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    stamp = moment.isoformat().encode() + b"Z"
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = CORE_DATES.sub(lambda m: m[1] + stamp + m[3], data)
            dated = zipfile.ZipInfo(entry.filename, date_time=moment.timetuple()[:6])
            dated.compress_type = zipfile.ZIP_DEFLATED
            dated.external_attr = entry.external_attr
            target.writestr(dated, data)
    return output.getvalue()
