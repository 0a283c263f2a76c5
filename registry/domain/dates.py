"""Time units of the registry (DEFINITIONS.md, "Units and rounding")."""

from datetime import date

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
DAYS_PER_YEAR = 365.25


def months_between(start: date, end: date) -> float:
    return (end - start).days / DAYS_PER_MONTH


def years_between(start: date, end: date) -> float:
    return (end - start).days / DAYS_PER_YEAR


def age_in_completed_years(birth: date, on: date) -> int:
    """Whole years completed on `on` (a 29 February birthday completes on 1 March)."""
    had_birthday = (on.month, on.day) >= (birth.month, birth.day)
    return on.year - birth.year - (0 if had_birthday else 1)
