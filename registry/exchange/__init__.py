"""The case exchange formats: whole cases as nested JSON, or one table per record type.

Import and export, the API's case endpoint, the upload page, the import job and the
commands all go through here: `sections` (what a case holds), `formats` (reading and
writing the files), `export` (a selector) and `importer` (the service).
docs/exchange.md describes the formats and the data dictionary.
"""

from .export import cases_to_tables, export_cases, export_document
from .formats import (
    ExchangeFileError,
    Located,
    read_csv_files,
    read_document,
    read_json,
    read_named,
    read_xlsx,
    tables_to_csv,
    tables_to_xlsx,
)
from .importer import ImportResult, RecordError, import_cases
from .sections import (
    DISCUSSIONS,
    DISCUSSIONS_FIELDS,
    FORMAT_VERSION,
    NOT_EXCHANGED,
    PATIENT_FIELDS,
    RESPONSES,
    SECTIONS,
    TABLES,
    Section,
    table_columns,
)

__all__ = [
    "DISCUSSIONS",
    "DISCUSSIONS_FIELDS",
    "FORMAT_VERSION",
    "NOT_EXCHANGED",
    "PATIENT_FIELDS",
    "RESPONSES",
    "SECTIONS",
    "TABLES",
    "ExchangeFileError",
    "ImportResult",
    "Located",
    "RecordError",
    "Section",
    "cases_to_tables",
    "export_cases",
    "export_document",
    "import_cases",
    "read_csv_files",
    "read_document",
    "read_json",
    "read_named",
    "read_xlsx",
    "table_columns",
    "tables_to_csv",
    "tables_to_xlsx",
]
