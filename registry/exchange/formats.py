"""The exchange's files: reading JSON documents, XLSX workbooks and CSV tables into cases
(each part located in its file, for error messages), and writing the tables.

Every table the registry writes goes through `registry.spreadsheets`, the one rule that
keeps a cell from running as a formula; reading takes that escape off again.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field

import openpyxl
import pandas as pd
from django.conf import settings

from registry.spreadsheets import csv_bytes, formula_unescaped, xlsx_bytes

from .sections import DISCUSSIONS, SECTIONS, TABLES, table_columns


class ExchangeFileError(ValueError):
    """The file itself cannot be read (not the records in it)."""


@dataclass
class Located:
    """A case to import with where each of its parts came from, for error messages."""

    case: dict
    where: str
    record_where: dict = field(default_factory=dict)  # (section, id(record)) -> location


# --- writing tables ---------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _frames(tables: dict[str, list[dict]], deidentified: bool) -> dict[str, pd.DataFrame]:
    """Each table as text cells, in its documented column order."""
    frames = {}
    for name, rows in tables.items():
        columns = table_columns(name, deidentified=deidentified)
        frames[name] = pd.DataFrame(
            [[_cell(row.get(c)) for c in columns] for row in rows], columns=columns, dtype=object
        )
    return frames


def tables_to_xlsx(tables: dict[str, list[dict]], *, deidentified: bool = False) -> bytes:
    return xlsx_bytes(_frames(tables, deidentified))


def tables_to_csv(tables: dict[str, list[dict]], *, deidentified: bool = False) -> dict[str, str]:
    return {
        f"{name}.csv": csv_bytes(frame).decode("utf-8")
        for name, frame in _frames(tables, deidentified).items()
    }


# --- reading ------------------------------------------------------------------------------


def read_json(content: bytes) -> list[Located]:
    try:
        document = json.loads(content.decode("utf-8-sig"))  # a BOM is no reason to refuse
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExchangeFileError(f"Not a JSON document: {error}.") from None
    except RecursionError:
        raise ExchangeFileError("Not a case file: its JSON is nested too deeply.") from None
    return read_document(document)


def read_document(document) -> list[Located]:
    """Cases from parsed JSON: {"cases": [...]}, a list of cases, or one case."""
    cases = document.get("cases") if isinstance(document, dict) else document
    if isinstance(document, dict) and "cases" not in document and "registry_id" in document:
        cases = [document]
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise ExchangeFileError('Expected {"cases": [...]} with one object per case.')
    return [
        Located(case, f"case {index} ({case.get('registry_id') or 'no registry ID'})")
        for index, case in enumerate(cases, 1)
    ]


# Real case workbooks expand about 11-fold (the 300-case demo); a ZIP bomb far more.
XLSX_MAX_EXPANSION = 25


def _refuse_zip_bombs(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        return  # openpyxl says what is wrong with it
    if expanded > XLSX_MAX_EXPANSION * max(len(content), settings.IMPORT_MAX_BYTES):
        raise ExchangeFileError(
            f"This workbook unpacks to {expanded // (1024 * 1024)} MB, far more than case "
            "tables do: it is not imported."
        )


def _unescaped(value):
    if value is None:
        return ""
    return formula_unescaped(value) if isinstance(value, str) else value


def read_xlsx(content: bytes) -> list[Located]:
    _refuse_zip_bombs(content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise ExchangeFileError(f"Not a readable XLSX workbook: {error}.") from None
    _refuse_unsaved_formulas(workbook, formulas)
    tables = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        tables[sheet.title] = [
            {h: _unescaped(v) for h, v in zip(header, row, strict=False) if h}
            for row in rows[1:]
            if any(v not in (None, "") for v in row)
        ]
    return tables_to_cases(tables)


def _refuse_unsaved_formulas(values, formulas) -> None:
    """A formula whose result the file does not hold would read as an empty cell, and an
    import would then blank that field: refuse the file and say where."""
    unsaved = [
        f"sheet {sheet.title} row {formula.row} column {formula.column_letter}"
        for sheet in formulas.worksheets
        for formula_row, value_row in zip(
            sheet.iter_rows(), values[sheet.title].iter_rows(values_only=True), strict=False
        )
        for formula, value in zip(formula_row, value_row, strict=False)
        if formula.data_type == "f" and value is None
    ]
    if unsaved:
        raise ExchangeFileError(
            f"{', '.join(unsaved[:5])}{' and more' if len(unsaved) > 5 else ''}: a formula "
            "without its result in the file. Type the values, or open and save the workbook "
            "in a spreadsheet program so that the results are stored."
        )


def utf8_text(content: bytes, name: str, *, error=ExchangeFileError, hint: str = "") -> str:
    """An uploaded file's text: UTF-8, a byte-order mark no reason to refuse it; else
    `error` naming the file (every importer's files: cases, REDCap dictionary, records,
    mapping)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{name}: not UTF-8 text{f' ({hint})' if hint else ''}.") from None


def read_csv_files(files: dict[str, bytes]) -> list[Located]:
    tables = {}
    for name, content in files.items():
        stem = name.rsplit("/", 1)[-1].removesuffix(".csv")
        text = utf8_text(content, name)
        # newline=None reads Windows, Unix and old Mac (CR-only) line ends alike.
        reader = csv.DictReader(io.StringIO(text, newline=None))
        try:
            rows = list(reader)
        except csv.Error as error:
            # line_num counts the lines parsed before the one that failed.
            raise ExchangeFileError(f"{name}, line {reader.line_num + 1}: {error}.") from None
        tables[stem] = [{k: _unescaped(v) for k, v in row.items()} for row in rows]
    return tables_to_cases(tables)


def read_named(name: str, content: bytes) -> list[Located]:
    """Read by the file's type: its extension, and for XLSX its ZIP signature."""
    name = name.lower()
    if name.endswith(".json"):
        return read_json(content)
    if name.endswith(".xlsx"):
        if not content.startswith(b"PK"):
            raise ExchangeFileError("This .xlsx file is not a workbook.")
        return read_xlsx(content)
    raise ExchangeFileError("Upload a .json case file or an .xlsx workbook.")


def tables_to_cases(tables: dict[str, list[dict]]) -> list[Located]:
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ExchangeFileError(
            f"Unknown table(s) {', '.join(unknown)}; expected {', '.join(TABLES)}."
        )
    if "patients" not in tables:
        raise ExchangeFileError("The patients table is missing.")
    located: dict[str, Located] = {}
    lines: dict[tuple[str, str], dict] = {}  # (registry ID, line number) -> line record
    for row_number, row in enumerate(tables["patients"], 2):
        case = dict(row)
        registry_id = str(case.get("registry_id", "")).strip()
        located[registry_id] = Located(case, f"patients row {row_number}")
        for key in [s.key for s in SECTIONS] + [DISCUSSIONS.key]:
            case[key] = []
    orphans = []
    for name in [s.key for s in SECTIONS] + ["responses", "board_discussions"]:
        for row_number, row in enumerate(tables.get(name, []), 2):
            registry_id = str(row.get("registry_id", "")).strip()
            where = f"{name} row {row_number}"
            target = located.get(registry_id)
            if target is None:
                orphans.append(where)
                continue
            record = {k: v for k, v in row.items() if k != "registry_id"}
            if name == "responses":
                line_number = str(record.pop("line_number", "")).strip()
                line = lines.get((registry_id, line_number))
                if line is None:
                    orphans.append(f"{where} (no line {line_number or '?'} for {registry_id})")
                    continue
                line.setdefault("responses", []).append(record)
                target.record_where[("responses", id(record))] = where
                continue
            if name == "treatment_lines":
                lines.setdefault((registry_id, str(record.get("number")).strip()), record)
            target.case[name].append(record)
            target.record_where[(name, id(record))] = where
    if orphans:
        raise ExchangeFileError(
            "Rows for a registry ID that is not in the patients table: " + "; ".join(orphans)
        )
    return list(located.values())
