"""REDCap records as the registry's exchange cases, each part remembering where in REDCap it
came from, so the importer's located errors can be given back in REDCap's terms."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from registry.exchange import DISCUSSIONS, SECTIONS, Located, RecordError

from .dictionary import Dictionary
from .errors import Place
from .mapping import Mapping, Rule, Source, checkbox_column
from .records import Row
from .targets import LINE_NUMBER, TARGETS
from .values import ValueProblem, has_data, raw_value, translate


@dataclass
class Origin:
    """Where one exchange record (or the patient) came from: a place per registry field."""

    place: Place
    fields: dict[str, tuple[Place, str]] = field(default_factory=dict)  # -> (place, column)


@dataclass
class Conversion:
    located: list[Located] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    failed: set[tuple[str, str]] = field(default_factory=set)  # (where, registry field)

    def locate(self, error: RecordError) -> RecordError:
        """An importer's error at REDCap's record, event, instrument, instance and field."""
        origin = self.origins.get(error.where)
        if origin is None:
            return error
        place, column = origin.fields.get(error.field, (origin.place, ""))
        message = error.message
        if not column and error.field != "__all__":
            message = f"{message} (the registry's {error.field}: not from a REDCap field)"
        return place.error(column or error.field, message)

    def importer_errors(self, errors: list[RecordError]) -> list[RecordError]:
        """The importer's errors, located, leaving out those about a value that could not be
        translated (already reported, in REDCap's words)."""
        return [self.locate(e) for e in errors if (e.where, e.field) not in self.failed]


def _number_key(value) -> str:
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or number.adjusted() > 6:  # no line has a number like that
        return text
    return str(int(number)) if number == number.to_integral_value() else text


class _Converter:
    def __init__(self, mapping: Mapping, dictionary: Dictionary, rows: list[Row]):
        self.mapping = mapping
        self.dictionary = dictionary
        self.rows = rows
        # REDCap sets an instrument repeating per event: (event, instrument) pairs.
        self.repeating = {(row.event, row.instrument) for row in rows if row.instrument}
        self.result = Conversion()

    def convert(self) -> Conversion:
        by_record: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            by_record[row.record].append(row)
        for record, rows in by_record.items():
            self.case(record, rows)
        return self.result

    def rows_of(self, source: Source, rows: list[Row]) -> list[Row]:
        """The instrument's instances where it repeats, else the record's row of each event."""
        return [
            row
            for row in rows
            if (
                row.instrument == source.instrument
                or (not row.instrument and (row.event, source.instrument) not in self.repeating)
            )
            and (not source.events or row.event in source.events)
        ]

    def place(self, source: Source, row: Row) -> Place:
        return Place(row.record, row.event, source.instrument, row.instance, row.line)

    def value(self, rule: Rule, row: Row, place: Place, where: str):
        """The registry's value of one rule on one row; a problem is reported and the REDCap
        value passed on (the importer's own error about it is left out)."""
        if rule.constant:
            return rule.value
        raw = raw_value(rule, row.cells)
        try:
            return translate(
                rule,
                self.dictionary.fields[rule.source],
                raw,
                date_format=self.mapping.date_format,
            )
        except ValueProblem as problem:
            self.result.errors.append(place.error(_column(rule), str(problem)))
            self.result.failed.add((where, rule.target))
            return raw

    # --- one REDCap record: one case ---

    def case(self, record: str, rows: list[Row]) -> None:
        where = f"record {record}"
        first = Place(record, rows[0].event, "", "", rows[0].line)
        registry_id = self.mapping.registry_id.replace("{record}", record).upper()
        case = {"registry_id": registry_id}
        origin = Origin(first, {"registry_id": (first, self.mapping.record_id)})
        case["centre"] = self.centre(rows, first, where, origin)
        self.result.origins[where] = origin
        located = Located(case, where)
        for source in self.mapping.sources.get("patients", []):
            self.patient(source, rows, case, origin, where)
        for section in SECTIONS:
            case[section.key] = self.records(section.key, rows, located)
        case[DISCUSSIONS.key] = []
        self.file_responses(case, rows, located)
        self.result.located.append(located)

    def centre(self, rows: list[Row], first: Place, where: str, origin: Origin) -> str:
        rule = self.mapping.centre
        if rule is None:
            return ""
        if rule.constant:
            return rule.value
        code = next(
            (row.cells.get(rule.source, "") for row in rows if row.cells.get(rule.source)), ""
        )
        origin.fields["centre"] = (first, rule.source)
        if code in rule.codes:
            return rule.codes[code]
        self.result.errors.append(
            first.error(
                rule.source,
                f"'{code}' has no centre in the mapping's centre codes."
                if code
                else "No centre: this record has no value here.",
            )
        )
        self.result.failed.add((where, "centre"))
        return code

    def patient(self, source: Source, rows, case: dict, origin: Origin, where: str) -> None:
        """Patient fields from the instrument's rows: one value each (a record that gives
        two in different events is refused at the second)."""
        given: dict[str, tuple[object, Place]] = {}
        for name, rule in source.rules.items():  # where to look, even if no row has a value
            if not rule.constant:
                origin.fields.setdefault(name, (origin.place, _column(rule)))
        for row in self.rows_of(source, rows):
            place = self.place(source, row)
            if origin.place.instrument == "":
                origin.place = place
            for name, rule in source.rules.items():
                if rule.constant:
                    case[name] = rule.value
                    continue
                if not has_data(rule, raw_value(rule, row.cells)):
                    continue
                value = self.value(rule, row, place, where)
                if name in given and given[name][0] != value:
                    self.result.errors.append(
                        place.error(
                            _column(rule),
                            f"A second, different value (the first is at "
                            f"{given[name][1].describe()}); name the event in the mapping.",
                        )
                    )
                    continue
                given[name] = (value, place)
                case[name] = value
                origin.fields[name] = (place, _column(rule))

    def records(self, kind: str, rows: list[Row], located: Located) -> list[dict]:
        target = TARGETS[kind]
        records = []
        for source in self.mapping.sources.get(kind, []):
            mapped = [rule for rule in source.rules.values() if not rule.constant]
            for row in self.rows_of(source, rows):
                if not any(has_data(rule, raw_value(rule, row.cells)) for rule in mapped):
                    continue  # this instrument was not filled in for the event
                place = self.place(source, row)
                where = f"{place.describe()} › {target.one}"
                origin = Origin(place)
                record = {}
                for name, rule in source.rules.items():
                    record[name] = self.value(rule, row, place, where)
                    if not rule.constant:
                        origin.fields[name] = (place, _column(rule))
                self.result.origins[where] = origin
                located.record_where[(kind, id(record))] = where
                records.append(record)
        return records

    def file_responses(self, case: dict, rows: list[Row], located: Located) -> None:
        """Responses go under the line their line number names, in the same record."""
        lines = {}
        for line in case["treatment_lines"]:
            lines.setdefault(_number_key(line.get("number", "")), line)
        for response in self.records("responses", rows, located):
            where = located.record_where[("responses", id(response))]
            number = response.pop(LINE_NUMBER, "")
            line = lines.get(_number_key(number)) if number not in ("", None) else None
            if line is None:
                place, column = self.result.origins[where].fields.get(
                    LINE_NUMBER, (self.result.origins[where].place, LINE_NUMBER)
                )
                self.result.errors.append(
                    place.error(
                        column,
                        f"This record has no treatment line {number}."
                        if number not in ("", None)
                        else "Say which treatment line was assessed.",
                    )
                )
                continue
            line.setdefault("responses", []).append(response)


def _column(rule: Rule) -> str:
    """The records file's column of a rule (a checkbox option has its own)."""
    return checkbox_column(rule.source, rule.option) if rule.option else rule.source


def convert(mapping: Mapping, dictionary: Dictionary, rows: list[Row]) -> Conversion:
    return _Converter(mapping, dictionary, rows).convert()
