"""The mapping file: which REDCap field feeds which registry field, per record kind, and how
coded values translate (docs/redcap.md describes the format).

`read_mapping` parses YAML or JSON; `check_mapping` compares it with the data dictionary and
the registry's fields and lists every contradiction, so a wrong mapping is refused before any
record is read.
"""

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

from registry.exchange import RecordError
from registry.exchange.formats import utf8_text

from .dictionary import DATE_ORDERS, Dictionary, RedcapField
from .errors import RedcapFileError
from .targets import LINE_NUMBER, TARGETS, Target, TargetField

FORMAT = "mbc-registry-redcap-mapping"
DAG_COLUMN = "redcap_data_access_group"
TOP_KEYS = {
    "format",
    "version",
    "project",
    "record_id",
    "registry_id",
    "centre",
    "date_format",
    "records",
}
SOURCE_KEYS = {"instrument", "event", "fields"}
RULE_KEYS = {"field", "option", "codes", "labels", "value"}


@dataclass
class Rule:
    """How one registry field is filled: from a REDCap field (or one checkbox option),
    translated by `codes` or to its choice labels; or a constant `value`."""

    target: str
    source: str = ""
    option: str = ""
    codes: dict[str, object] | None = None
    labels: bool = False
    value: object = None
    constant: bool = False


@dataclass
class Source:
    """One instrument (in some events) that gives records of one kind: a record per
    instance of a repeating instrument, or per event row of a non-repeating one."""

    kind: str
    where: str
    instrument: str
    events: tuple[str, ...]
    rules: dict[str, Rule]


@dataclass
class Mapping:
    record_id: str = ""
    registry_id: str = ""
    centre: Rule | None = None
    date_format: str = ""
    sources: dict[str, list[Source]] = field(default_factory=dict)


def read_mapping(content: bytes, *, name: str = "mapping") -> object:
    """The mapping file parsed (YAML, of which JSON is a part); its structure is checked later."""
    text = utf8_text(content, name, error=RedcapFileError)
    try:
        if name.lower().endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise RedcapFileError(f"{name}: not readable YAML or JSON ({error}).") from None
    except RecursionError:
        raise RedcapFileError(f"{name}: nested too deeply.") from None


def checkbox_column(name: str, option: str) -> str:
    """The records export's column of one checkbox option, as REDCap names it."""
    return f"{name}___{re.sub(r'[^a-z0-9_]', '_', option.lower())}"


def _text(value) -> str:
    """A code as REDCap writes it (YAML reads `1:` as a number, `yes` as a boolean)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Checker:
    def __init__(self, dictionary: Dictionary):
        self.dictionary = dictionary
        self.problems: list[RecordError] = []

    def problem(self, where: str, name: str, message: str) -> None:
        self.problems.append(RecordError(where, name, message))

    # --- the whole file ---

    def mapping(self, document) -> Mapping:
        mapping = Mapping()
        if not isinstance(document, dict):
            self.problem("mapping", "__all__", "Expected a mapping object (keys: records, ...).")
            return mapping
        for key in sorted(set(document) - TOP_KEYS, key=str):
            self.problem(
                "mapping", str(key), f"Unknown key; expected {', '.join(sorted(TOP_KEYS))}."
            )
        if document.get("format", FORMAT) != FORMAT:
            self.problem("mapping", "format", f"Expected '{FORMAT}'.")
        if document.get("version", 1) != 1:
            self.problem("mapping", "version", "Only version 1 is known.")
        mapping.record_id = self.record_id(document.get("record_id"))
        mapping.registry_id = self.registry_id(document.get("registry_id"))
        mapping.centre = self.centre(document.get("centre"))
        date_format = document.get("date_format") or ""
        if date_format and date_format not in DATE_ORDERS:
            self.problem(
                "mapping", "date_format", f"Use one of {', '.join(DATE_ORDERS)}, or leave it out."
            )
        mapping.date_format = date_format if date_format in DATE_ORDERS else ""
        records = document.get("records")
        if not isinstance(records, dict) or not records:
            self.problem(
                "mapping", "records", "Map at least the patients: records: {patients: ...}."
            )
            return mapping
        if "patients" not in records:
            self.problem("mapping › records", "patients", "Every record needs its patient.")
        for kind, sources in records.items():
            where = f"mapping › records › {kind}"
            target = TARGETS.get(kind) if isinstance(kind, str) else None
            if target is None:
                self.problem(
                    "mapping › records",
                    str(kind),
                    f"Not a record kind of the registry; use {', '.join(TARGETS)}.",
                )
                continue
            if isinstance(sources, dict):
                sources = [sources]
            if not isinstance(sources, list) or not sources:
                self.problem(
                    where, "__all__", "Expected an instrument's mapping or a list of them."
                )
                continue
            mapping.sources[kind] = [
                source
                for index, value in enumerate(sources, 1)
                if (source := self.source(target, value, f"{where}[{index}]")) is not None
            ]
        return mapping

    def record_id(self, value) -> str:
        if value is None:
            return self.dictionary.record_id_field
        if not isinstance(value, str) or value not in self.dictionary.fields:
            self.problem("mapping", "record_id", f"No field '{value}' in the data dictionary.")
            return self.dictionary.record_id_field
        return value

    def registry_id(self, value) -> str:
        if not isinstance(value, str) or value.count("{record}") != 1:
            self.problem(
                "mapping",
                "registry_id",
                "Give the registry ID made from the record ID, e.g. 'RC-{record}'.",
            )
            return ""
        if {"{", "}"} & set(value.replace("{record}", "")):
            self.problem("mapping", "registry_id", "Only {record} may be filled in.")
            return ""
        return value

    def centre(self, value) -> Rule | None:
        """A centre code for every record, or a coded field (or the data access group)
        whose codes name centres."""
        if isinstance(value, str) and value.strip():
            return Rule("centre", value=value.strip(), constant=True)
        if not isinstance(value, dict) or not isinstance(value.get("codes"), dict):
            self.problem(
                "mapping",
                "centre",
                "Give a centre code (centre: MIL), or a field and its codes "
                "(centre: {field: site, codes: {'1': MIL}}).",
            )
            return None
        name = value.get("field")
        codes = {_text(k): _text(v) for k, v in value["codes"].items()}
        if name == DAG_COLUMN:
            return Rule("centre", source=DAG_COLUMN, codes=codes)
        redcap_field = self.dictionary.fields.get(name) if isinstance(name, str) else None
        if redcap_field is None or redcap_field.kind != "coded":
            self.problem(
                "mapping › centre",
                str(name),
                f"Not a radio, dropdown field of the data dictionary, nor {DAG_COLUMN}.",
            )
            return None
        self.codes_in_choices("mapping › centre", redcap_field, codes, list(redcap_field.choices))
        return Rule("centre", source=name, codes=codes)

    # --- one instrument ---

    def source(self, target: Target, value, where: str) -> Source | None:
        if not isinstance(value, dict):
            self.problem(where, "__all__", "Expected {instrument: ..., fields: {...}}.")
            return None
        for key in sorted(set(value) - SOURCE_KEYS, key=str):
            self.problem(
                where, str(key), f"Unknown key; expected {', '.join(sorted(SOURCE_KEYS))}."
            )
        instrument = value.get("instrument")
        if not isinstance(instrument, str) or instrument not in self.dictionary.forms:
            self.problem(
                where, "instrument", f"No instrument '{instrument}' in the data dictionary."
            )
            return None
        events = value.get("event") or ()
        if isinstance(events, str):
            events = (events,)
        if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
            self.problem(where, "event", "Give an event's unique name, or a list of them.")
            events = ()
        fields = value.get("fields")
        if not isinstance(fields, dict) or not fields:
            self.problem(where, "fields", "Map the registry's fields: fields: {start_date: ...}.")
            return None
        rules = {}
        for name, spec in fields.items():
            place = f"{where} › fields"
            target_field = target.fields.get(name) if isinstance(name, str) else None
            if target_field is None:
                self.problem(
                    place,
                    str(name),
                    f"The registry's {target.label} have no field '{name}'; they have "
                    f"{', '.join(target.fields)}.",
                )
                continue
            rule = self.rule(target_field, spec, instrument, f"{place} › {name}")
            if rule is not None:
                rules[name] = rule
        for name, target_field in target.fields.items():
            if target_field.required and name not in fields:
                self.problem(
                    f"{where} › fields",
                    name,
                    f"The registry requires {name} for {target.label}: map it (or give a value).",
                )
        return Source(target.key, where, instrument, tuple(events), rules)

    def rule(self, target: TargetField, spec, instrument: str, where: str) -> Rule | None:
        if isinstance(spec, str):
            spec = {"field": spec}
        if not isinstance(spec, dict) or not ({"field", "value"} & set(spec)):
            self.problem(where, target.name, "Give {field: <REDCap field>} or {value: <constant>}.")
            return None
        for key in sorted(set(spec) - RULE_KEYS, key=str):
            self.problem(where, str(key), f"Unknown key; expected {', '.join(sorted(RULE_KEYS))}.")
        if "value" in spec:
            message = value_problem(target, spec["value"])
            if message:
                self.problem(where, target.name, f"The value {spec['value']!r}: {message}")
                return None
            return Rule(target.name, value=spec["value"], constant=True)
        name = spec["field"]
        redcap_field = self.dictionary.fields.get(name) if isinstance(name, str) else None
        if redcap_field is None:
            self.problem(where, str(name), f"No field '{name}' in the data dictionary.")
            return None
        if redcap_field.form != instrument:
            self.problem(
                where,
                name,
                f"This field is on the instrument {redcap_field.form}, not {instrument}.",
            )
            return None
        option = _text(spec.get("option", ""))
        codes = spec.get("codes")
        if codes is not None and not isinstance(codes, dict):
            self.problem(where, name, "codes: give {REDCap code: registry value, ...}.")
            return None
        codes = {_text(k): v for k, v in codes.items()} if codes is not None else None
        labels = spec.get("labels") is True
        rule = Rule(target.name, source=name, option=option, codes=codes, labels=labels)
        before = len(self.problems)
        self.compatible(target, redcap_field, rule, where)
        return rule if len(self.problems) == before else None

    def compatible(self, target: TargetField, source: RedcapField, rule: Rule, where: str):
        """A REDCap field can feed a registry field only if their kinds agree."""
        name, kind = source.name, source.kind
        if kind == "none":
            return self.problem(where, name, f"A {source.type} field holds no value to import.")
        if kind == "checkbox":
            if not rule.option:
                return self.problem(
                    where,
                    name,
                    "A checkbox field feeds a registry field one option at a time: "
                    f"give option (one of {', '.join(source.choices)}).",
                )
            if rule.option not in source.choices:
                return self.problem(
                    where,
                    name,
                    f"Option '{rule.option}' is not one of the field's choices "
                    f"({', '.join(source.choices)}).",
                )
        elif rule.option:
            return self.problem(where, name, "Only a checkbox field has options.")
        if rule.labels and (kind != "coded" or target.kind != "text"):
            return self.problem(
                where,
                name,
                "labels: true takes a radio or dropdown choice's label into a text field.",
            )
        if target.kind == "date" and kind != "date":
            return self.problem(
                where,
                name,
                f"The registry's {target.name} is a date; {name} is {source.describe()}. "
                "Map a date field (validation date_ymd, date_mdy, date_dmy or datetime_...).",
            )
        if kind == "date" and target.kind != "date":
            return self.problem(
                where,
                name,
                f"{name} is {source.describe()}; the registry's {target.name} is a "
                f"{target.kind} field, not a date.",
            )
        if kind == "date":
            if rule.codes is not None:
                self.problem(where, name, "A date field has no codes.")
            return None
        if rule.codes is not None:
            if kind not in ("coded", "checkbox"):
                return self.problem(where, name, f"{name} is {source.describe()}: it has no codes.")
            choices = ["0", "1"] if kind == "checkbox" else list(source.choices)
            self.codes_in_choices(where, source, rule.codes, choices)
            for code, value in rule.codes.items():
                message = value_problem(target, value)
                if message:
                    self.problem(where, name, f"Code {code} becomes {value!r}: {message}")
            return None
        self.without_codes(target, source, where)
        return None

    def without_codes(self, target: TargetField, source: RedcapField, where: str) -> None:
        """Without codes a value goes in as REDCap holds it: it must already be one of
        the registry's values."""
        name, kind = source.name, source.kind
        if target.kind == "boolean":
            if source.type not in ("yesno", "truefalse", "checkbox"):
                self.problem(
                    where,
                    name,
                    f"The registry's {target.name} is yes/no; {name} is {source.describe()}. "
                    "Map a yesno, truefalse or checkbox option, or give codes "
                    "({1: true, 0: false}).",
                )
        elif kind == "checkbox":
            self.problem(
                where,
                name,
                f"A checkbox option is ticked or not; the registry's {target.name} is a "
                f"{target.kind} field: give codes for 1 and 0.",
            )
        elif target.kind == "number":
            if kind == "coded" and not all(_is_number(code) for code in source.choices):
                self.problem(where, name, f"The codes of {name} are not numbers: give codes.")
        elif target.kind == "choice":
            if kind == "number":
                self.problem(
                    where,
                    name,
                    f"{name} is {source.describe()}; the registry's {target.name} is one of "
                    f"{', '.join(sorted(target.codes))}.",
                )
            elif kind == "coded":
                foreign = [code for code in source.choices if code not in target.codes]
                if foreign:
                    self.problem(
                        where,
                        name,
                        f"Codes {', '.join(foreign)} of {name} are not values of the "
                        f"registry's {target.name} ({', '.join(sorted(target.codes))}): "
                        "give codes.",
                    )

    def codes_in_choices(self, where, source: RedcapField, codes: dict, choices: list[str]):
        """Every code must be one of the field's, and every choice translated (to an empty
        value if the registry has none for it)."""
        unknown = [code for code in codes if code not in choices]
        if unknown:
            self.problem(
                where,
                source.name,
                f"Code(s) {', '.join(unknown)} are not choices of {source.name} "
                f"({', '.join(choices)}).",
            )
        missing = [code for code in choices if code not in codes]
        if missing:
            self.problem(
                where,
                source.name,
                f"Choice(s) {', '.join(missing)} of {source.name} have no translation; "
                "map each (to an empty value if the registry has none).",
            )


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return False
    return True


def value_problem(target: TargetField, value) -> str | None:
    """Why a constant or a translated code cannot be the registry field's value, if it cannot."""
    if value is None or value == "":
        return f"{target.name} is required." if target.required else None
    if target.kind == "boolean":
        return None if value in (True, False, "true", "false") else "give true or false."
    if target.kind == "choice":
        if str(value) not in target.codes:
            return f"not one of {', '.join(sorted(target.codes))}."
        return None
    if target.kind == "number":
        return None if _is_number(value) else "not a number."
    if target.kind == "date":
        return None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)) else "give YYYY-MM-DD."
    return None if isinstance(value, str | int | float) else "give text."


def check_mapping(document, dictionary: Dictionary) -> tuple[Mapping, list[RecordError]]:
    """The mapping, and every way it contradicts the dictionary or the registry."""
    checker = _Checker(dictionary)
    mapping = checker.mapping(document)
    return mapping, checker.problems


def check_columns(mapping: Mapping, columns: list[str]) -> list[RecordError]:
    """What the mapping needs from the records file's header row."""
    present = set(columns)
    problems = []
    if mapping.record_id not in present:
        problems.append(
            RecordError("records", mapping.record_id, "The record ID column is missing.")
        )
    if mapping.centre and mapping.centre.source and mapping.centre.source not in present:
        problems.append(
            RecordError("records", mapping.centre.source, "The centre's column is missing.")
        )
    longitudinal = "redcap_event_name" in present
    for sources in mapping.sources.values():
        for source in sources:
            if source.events and not longitudinal:
                problems.append(
                    RecordError(
                        source.where,
                        "event",
                        "The records file has no redcap_event_name column (not a "
                        "longitudinal export): leave out the event.",
                    )
                )
            for rule in source.rules.values():
                if rule.constant:
                    continue
                column = checkbox_column(rule.source, rule.option) if rule.option else rule.source
                if column not in present:
                    problems.append(
                        RecordError(
                            f"{source.where} › fields › {rule.target}",
                            column,
                            "This column is not in the records file.",
                        )
                    )
    return problems


__all__ = ["LINE_NUMBER", "Mapping", "Rule", "Source", "check_columns", "check_mapping"]
