"""One REDCap value as the registry's exchange format writes it: codes translated, checkbox
options ticked or not, yes/no as booleans, dates in any of REDCap's orders as YYYY-MM-DD."""

import re
from datetime import date

from .dictionary import DATE_ORDERS, RedcapField
from .mapping import Rule, checkbox_column

DATE = re.compile(r"(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})\Z")
TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?\Z")
YES_NO = {"1": True, "0": False}


class ValueProblem(ValueError):
    """The value cannot be translated; the message says why, in REDCap's terms."""


def parse_date(text: str, order: str) -> date:
    """ISO dates always; otherwise the day, month and year in `order`. A datetime's time is
    dropped: the registry keeps dates."""
    day_part, _, time_part = text.replace("T", " ").partition(" ")
    match = DATE.match(day_part)
    if not match or (time_part and not TIME.match(time_part.strip())):
        raise ValueProblem(f"'{text}' is not a date ({DATE_ORDERS[order]}).")
    first, second, third = match.groups()
    if len(first) == 4:
        year, month, day = first, second, third
    elif order == "mdy":
        month, day, year = first, second, third
    elif order == "dmy":
        day, month, year = first, second, third
    else:
        raise ValueProblem(f"'{text}' is not a date ({DATE_ORDERS[order]}).")
    if len(year) != 4:
        raise ValueProblem(f"'{text}': give the year with four digits.")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueProblem(
            f"'{text}' is not a date of the calendar ({DATE_ORDERS[order]})."
        ) from None


def raw_value(rule: Rule, cells: dict[str, str]) -> str:
    column = checkbox_column(rule.source, rule.option) if rule.option else rule.source
    return cells.get(column, "")


def has_data(rule: Rule, raw: str) -> bool:
    """An unticked checkbox option is no answer; any other non-empty value is."""
    return bool(raw) and not (rule.option and raw == "0")


def translate(rule: Rule, field: RedcapField, raw: str, *, date_format: str = ""):
    """The value for the registry (text, boolean or None), or ValueProblem."""
    if rule.option:
        if raw not in ("", "0", "1"):
            raise ValueProblem(f"'{raw}' is neither 1 (ticked) nor 0.")
        ticked = "1" if raw == "1" else "0"
        return rule.codes[ticked] if rule.codes is not None else ticked == "1"
    if raw == "":
        return ""
    if field.kind == "date":
        return parse_date(raw, date_format or field.date_order).isoformat()
    if field.kind == "coded":
        if raw not in field.choices:
            raise ValueProblem(
                f"'{raw}' is not a code of {field.name} ({', '.join(field.choices)}); "
                "export raw data, not labels."
            )
        if rule.codes is not None:
            value = rule.codes[raw]
            return "" if value is None else value
        if rule.labels:
            return field.choices[raw]
        if field.type in ("yesno", "truefalse"):
            return YES_NO[raw]
        return raw
    if field.kind == "number" and field.validation.endswith("comma_decimal"):
        return raw.replace(",", ".")
    return raw
