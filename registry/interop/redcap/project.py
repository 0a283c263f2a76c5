"""A REDCap project's import: read its three files, refuse a mapping the data dictionary
contradicts before any record is read, convert the records to exchange cases and run them
through the registry's importer (`exchange.import_cases`), giving its errors back in REDCap's
terms. The command, the background job and the tests all call `import_project`."""

import io
import zipfile
from dataclasses import dataclass, field

from registry.exchange import ImportResult, RecordError, import_cases

from .convert import Conversion, convert
from .dictionary import read_dictionary
from .errors import RedcapFileError
from .mapping import check_columns, check_mapping, read_mapping
from .records import read_header, read_rows

PARTS = ("dictionary", "records", "mapping")


@dataclass(frozen=True)
class ProjectFiles:
    """The data dictionary, the records export and the mapping: (file name, content) each."""

    dictionary: tuple[str, bytes]
    records: tuple[str, bytes]
    mapping: tuple[str, bytes]

    @property
    def names(self) -> dict[str, str]:
        return {part: getattr(self, part)[0] for part in PARTS}

    def bundle(self) -> bytes:
        """The three files as one job input (a ZIP archive the worker unpacks)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in PARTS:
                archive.writestr(part, getattr(self, part)[1])
        return buffer.getvalue()

    @classmethod
    def unbundle(cls, content: bytes, names: dict[str, str]) -> "ProjectFiles":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return cls(**{part: (names[part], archive.read(part)) for part in PARTS})


@dataclass
class Prepared:
    """The project read: either refused (the mapping's or the files' problems) or converted."""

    refusal: list[RecordError] = field(default_factory=list)
    conversion: Conversion = field(default_factory=Conversion)

    @property
    def cases(self) -> int:
        return len(self.conversion.located)


def read_project(files: ProjectFiles) -> Prepared:
    """RedcapFileError if a file cannot be read at all."""
    dictionary = read_dictionary(files.dictionary[1], name=files.dictionary[0])
    document = read_mapping(files.mapping[1], name=files.mapping[0])
    mapping, problems = check_mapping(document, dictionary)
    if problems:
        return Prepared(refusal=problems)
    text, columns = read_header(files.records[1], name=files.records[0])
    problems = check_columns(mapping, columns)
    if problems:
        return Prepared(refusal=problems)
    rows = read_rows(text, columns, mapping.record_id, name=files.records[0])
    return Prepared(conversion=convert(mapping, dictionary, rows))


def import_reason(files: ProjectFiles) -> str:
    names = files.names
    return (
        f"REDCap import of {names['records']} (data dictionary {names['dictionary']}, "
        f"mapping {names['mapping']})"
    )


def import_project(
    prepared: Prepared, *, user, dry_run: bool, reason: str, progress=None
) -> ImportResult:
    """All or nothing, as the importer is: a value that cannot be translated makes the
    import a check (nothing written) that still lists the importer's own errors."""
    if prepared.refusal:
        return ImportResult(dry_run=dry_run, errors=list(prepared.refusal))
    conversion = prepared.conversion
    result = import_cases(
        conversion.located,
        user=user,
        dry_run=dry_run or bool(conversion.errors),
        reason=reason,
        progress=progress,
    )
    result.dry_run = dry_run
    result.errors = [*conversion.errors, *conversion.importer_errors(result.errors)]
    if result.errors:
        for counts in (result.created, result.updated, result.unchanged):
            counts.clear()
    return result


__all__ = [
    "Prepared",
    "ProjectFiles",
    "RedcapFileError",
    "import_project",
    "import_reason",
    "read_project",
]
