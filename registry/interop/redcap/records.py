"""A REDCap records export (raw CSV): one row per record and event, and one per instance of a
repeating instrument (or event); located by record, event, instrument, instance and line."""

import csv
import io
from dataclasses import dataclass

from registry.exchange.formats import utf8_text

from .errors import RedcapFileError

EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"


@dataclass(frozen=True)
class Row:
    line: int  # of the records file, for people who open it in a spreadsheet
    record: str
    event: str
    instrument: str  # the repeating instrument this row is an instance of; empty otherwise
    instance: str
    cells: dict[str, str]


def read_header(content: bytes, *, name: str = "records") -> tuple[str, list[str]]:
    text = utf8_text(content, name, error=RedcapFileError, hint="export the records as CSV")
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise RedcapFileError(f"{name}, line 1: {error}.") from None
    if not header or not any(h.strip() for h in header):
        raise RedcapFileError(f"{name}: the file is empty.")
    columns = [h.strip() for h in header]
    if len(set(columns)) != len(columns):
        raise RedcapFileError(f"{name}: a column is named twice in the header row.")
    return text, columns


def read_rows(text: str, columns: list[str], record_id: str, *, name: str = "records") -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=None))
    rows = []
    try:
        next(reader)
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                raise RedcapFileError(f"{name}, line {line}: more cells than columns.")
            values = {c: v.strip() for c, v in zip(columns, cells, strict=False)}
            record = values.get(record_id, "")
            if not record:
                raise RedcapFileError(f"{name}, line {line}: a row without its record ID.")
            rows.append(
                Row(
                    line=line,
                    record=record,
                    event=values.get(EVENT, ""),
                    instrument=values.get(REPEAT_INSTRUMENT, ""),
                    instance=values.get(REPEAT_INSTANCE, ""),
                    cells=values,
                )
            )
    except csv.Error as error:
        raise RedcapFileError(f"{name}, line {reader.line_num + 1}: {error}.") from None
    return rows
