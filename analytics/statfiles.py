"""The analysis datasets as Stata (.dta) and SPSS (.sav) files, written by pyreadstat.

Each variable carries its meaning as the variable label; booleans are coded 1/0 with
value labels; dates are dates (Stata %td, SPSS DATE11), also in a column with no date at
all; integers with a missing value are doubles, as in the CSV. Text codes stay text, their
labels in the codebook (Stata labels numbers only). Stata names longer than 32 characters
are shortened (`codebook.Variable.stata_name`).

Both formats stamp the file with the time it was written; the stamp is set to the
package's own time, so the same data gives the same bytes.
"""

import math
import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .codebook import BOOLEAN, DATE, INTEGER, NUMBER, Variable, codebook

STATA_EPOCH = date(1960, 1, 1)  # %td counts days from it
SPSS_EPOCH = date(1582, 10, 14)  # SPSS counts seconds from it
STATA_LABEL_LENGTH = 80
SPSS_LABEL_LENGTH = 256
STATA_TIMESTAMP = b"<timestamp>\x11"  # then 17 characters "dd Mon yyyy hh:mm"
SPSS_HEADER = b"$FL2"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The SPSS header's creation date "dd Mon yy" and time "hh:mm:ss" follow its fixed part.
SPSS_STAMP_OFFSET = 92


def _label(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


def _days(value, epoch: date) -> float:
    """Days from the epoch to a date (a date, a datetime, a Timestamp or ISO text, as a
    stored frame may give it back); NaN where there is none."""
    if value is None or pd.isna(value):
        return math.nan
    return float((pd.Timestamp(value).date() - epoch).days)


def _coded(frame: pd.DataFrame, variables: list[Variable], *, stata: bool) -> pd.DataFrame:
    """The frame as the statistics packages store it: numbers, dates as numbers, text."""
    columns = {}
    for v in variables:
        values = frame[v.column]
        if v.type == BOOLEAN:
            columns[v.column] = values.map(
                lambda x: math.nan if x is None or x != x else float(bool(x))
            ).astype(float)
        elif v.type == DATE:
            days = values.map(lambda x: _days(x, STATA_EPOCH if stata else SPSS_EPOCH))
            columns[v.column] = days.astype(float) * (1 if stata else 86400)
        elif v.type in (INTEGER, NUMBER):
            numbers = pd.to_numeric(values, errors="raise")
            whole = v.type == INTEGER and not numbers.isna().any()
            columns[v.column] = numbers.astype("int64" if whole else float)
        else:
            columns[v.column] = values.map(lambda x: "" if x is None or x != x else str(x))
    coded = pd.DataFrame(columns, index=frame.index)
    if stata:
        coded.columns = [v.stata_name for v in variables]
    return coded.reset_index(drop=True)


def _written(write, frame: pd.DataFrame, **options) -> bytes:
    handle, name = tempfile.mkstemp()
    os.close(handle)
    try:
        write(frame, name, **options)
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def _month(stamp: datetime) -> str:
    """The English month abbreviation both formats use, whatever the process's locale."""
    return MONTHS[stamp.month - 1]


def _restamped(content: bytes, offset: int, text: str) -> bytes:
    stamp = text.encode("ascii")
    return content[:offset] + stamp + content[offset + len(stamp) :]


def dta_bytes(dataset: str, frame: pd.DataFrame, *, stamp: datetime) -> bytes:
    import pyreadstat

    variables = codebook(dataset)
    content = _written(
        pyreadstat.write_dta,
        _coded(frame, variables, stata=True),
        file_label=f"MBC registry, {dataset}",
        column_labels={v.stata_name: _label(v.meaning, STATA_LABEL_LENGTH) for v in variables},
        variable_value_labels={
            v.stata_name: dict(v.value_labels) for v in variables if v.type == BOOLEAN
        },
        variable_format={v.stata_name: "%td" for v in variables if v.type == DATE},
    )
    position = content.find(STATA_TIMESTAMP)
    if position < 0:
        raise ValueError("No timestamp in the Stata file's header.")
    text = f"{stamp:%d} {_month(stamp)} {stamp:%Y %H:%M}"
    return _restamped(content, position + len(STATA_TIMESTAMP), text)


def sav_bytes(dataset: str, frame: pd.DataFrame, *, stamp: datetime) -> bytes:
    import pyreadstat

    variables = codebook(dataset)
    content = _written(
        pyreadstat.write_sav,
        _coded(frame, variables, stata=False),
        file_label=f"MBC registry, {dataset}",
        column_labels={v.column: _label(v.meaning, SPSS_LABEL_LENGTH) for v in variables},
        variable_value_labels={
            v.column: dict(v.value_labels) for v in variables if v.type == BOOLEAN
        },
        variable_format={v.column: "DATE11" for v in variables if v.type == DATE},
    )
    if not content.startswith(SPSS_HEADER):
        raise ValueError("Not an SPSS system file.")
    return _restamped(content, SPSS_STAMP_OFFSET, f"{stamp:%d} {_month(stamp)} {stamp:%y%H:%M:%S}")
