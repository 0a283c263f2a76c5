"""A REDCap project's data dictionary (its metadata CSV): each field's instrument, type,
choices and validation, as REDCap's *Download the Data Dictionary* and the API's metadata
export write them (either header style)."""

import csv
import io
import re
from dataclasses import dataclass, field

from registry.exchange.formats import utf8_text

from .errors import RedcapFileError

# The two header spellings: the dictionary page's download, and the API's metadata export.
COLUMNS = {
    "name": ("Variable / Field Name", "field_name"),
    "form": ("Form Name", "form_name"),
    "type": ("Field Type", "field_type"),
    "label": ("Field Label", "field_label"),
    "choices": ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
    "validation": (
        "Text Validation Type OR Show Slider Number",
        "text_validation_type_or_show_slider_number",
    ),
}
FIELD_TYPES = {
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "slider",
    "file",
    "descriptive",
    "sql",
}
CODED_TYPES = {"dropdown", "radio", "checkbox", "yesno", "truefalse"}
FIXED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}
DATE_ORDERS = {"ymd": "YYYY-MM-DD", "mdy": "MM-DD-YYYY", "dmy": "DD-MM-YYYY"}
NUMBER_VALIDATION = re.compile(r"(integer|number(_\d+dp)?(_comma_decimal)?)\Z")
DATE_VALIDATION = re.compile(r"(date|datetime|datetime_seconds)_(ymd|mdy|dmy)\Z")


@dataclass(frozen=True)
class RedcapField:
    name: str
    form: str
    type: str
    label: str
    validation: str = ""
    choices: dict[str, str] = field(default_factory=dict)  # code -> label, in REDCap's order

    @property
    def date_order(self) -> str | None:
        """ymd, mdy or dmy for a date or datetime field (REDCap's old `date` is ymd)."""
        if self.type != "text":
            return None
        if self.validation in ("date", "datetime", "datetime_seconds"):
            return "ymd"
        match = DATE_VALIDATION.match(self.validation)
        return match[2] if match else None

    @property
    def kind(self) -> str:
        """What the field holds, for checking a mapping: date, number, coded, checkbox,
        text, or none (a field with no value to import)."""
        if self.date_order:
            return "date"
        if self.type == "checkbox":
            return "checkbox"
        if self.type in CODED_TYPES:
            return "coded"
        if self.type in ("calc", "slider") or (
            self.type == "text" and NUMBER_VALIDATION.match(self.validation)
        ):
            return "number"
        if self.type in ("text", "notes", "sql"):
            return "text"
        return "none"

    def describe(self) -> str:
        if self.date_order:
            return f"a date field ({self.validation})"
        if self.kind == "number":
            return f"a number field ({self.validation or self.type})"
        return f"a {self.type} field"


@dataclass
class Dictionary:
    fields: dict[str, RedcapField]  # by name, in the dictionary's order

    @property
    def record_id_field(self) -> str:
        return next(iter(self.fields))

    @property
    def forms(self) -> set[str]:
        return {f.form for f in self.fields.values()}


def parse_choices(text: str) -> dict[str, str]:
    """'1, Bone | 2, Liver' as {'1': 'Bone', '2': 'Liver'}; None if it is not a choice list."""
    choices = {}
    for part in text.split("|"):
        code, comma, label = part.strip().partition(",")
        if not comma or not code.strip():
            return {}
        choices[code.strip()] = label.strip()
    return choices


def read_dictionary(content: bytes, *, name: str = "data dictionary") -> Dictionary:
    text = utf8_text(content, name, error=RedcapFileError)
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise RedcapFileError(f"{name}, line {reader.line_num + 1}: {error}.") from None
    if not rows:
        raise RedcapFileError(f"{name}: the file is empty.")
    header = [h.strip() for h in rows[0]]
    positions = {}
    for key, spellings in COLUMNS.items():
        position = next((header.index(s) for s in spellings if s in header), None)
        if position is None:
            raise RedcapFileError(
                f"{name}: no '{spellings[0]}' column; is this a REDCap data dictionary?"
            )
        positions[key] = position
    fields, problems = {}, []
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {k: (row[p].strip() if p < len(row) else "") for k, p in positions.items()}
        where = f"{name}, line {line}"
        if not cells["name"]:
            problems.append(f"{where}: a field without a name.")
            continue
        if cells["type"] not in FIELD_TYPES:
            problems.append(
                f"{where}: field {cells['name']} has an unknown type '{cells['type']}'."
            )
            continue
        if cells["name"] in fields:
            problems.append(f"{where}: field {cells['name']} is listed twice.")
            continue
        choices = FIXED_CHOICES.get(cells["type"], {})
        if cells["type"] in ("dropdown", "radio", "checkbox"):
            choices = parse_choices(cells["choices"])
            if not choices:
                problems.append(
                    f"{where}: field {cells['name']} has no readable choices ('1, Label | 2, ...')."
                )
                continue
        fields[cells["name"]] = RedcapField(
            name=cells["name"],
            form=cells["form"],
            type=cells["type"],
            label=cells["label"],
            validation=cells["validation"],
            choices=choices,
        )
    if problems:
        raise RedcapFileError(" ".join(problems[:20]))
    if not fields:
        raise RedcapFileError(f"{name}: no fields.")
    return Dictionary(fields)
