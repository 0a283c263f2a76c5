"""Cross-field rules that are errors (the record cannot be saved) and plausibility
warnings (the record is saved, and the case page says what looks wrong).

Each function returns messages instead of raising, so models turn them into
ValidationErrors at the right field and the data-quality rules
(`quality_rules.py`) report the warnings.
"""

from datetime import date

PRESENTATION_GAP_DAYS = 90
# Born before 1900 is a typing error (0001-01-01, 1899-12-31), not a patient.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
PLAUSIBLE_AGE_AT_MBC = range(18, 101)


def event_date_error(day: date | None, *, birth: date | None, death: date | None) -> str | None:
    """No clinical event before birth or after death (and none in the future)."""
    if day is None:
        return None
    if day > date.today():
        return "This date is in the future."
    if birth and day < birth:
        return f"This date is before the patient's birth date ({birth:%d/%m/%Y})."
    if death and day > death:
        return f"This date is after the patient's death ({death:%d/%m/%Y})."
    return None


def age_warning(birth: date | None, mbc_diagnosis: date | None) -> str | None:
    """Outside 18-100 years at the MBC diagnosis: possible, but most often a typing error."""
    if not (birth and mbc_diagnosis):
        return None
    from .dates import age_in_completed_years

    age = age_in_completed_years(birth, mbc_diagnosis)
    if age in PLAUSIBLE_AGE_AT_MBC:
        return None
    return (
        f"Aged {age} at the MBC diagnosis: check the birth date ({birth:%d/%m/%Y}) and the "
        "diagnosis dates."
    )


def presentation_warning(
    presentation: str, primary_diagnosis: date | None, mbc_diagnosis: date | None
) -> str | None:
    """De novo with a long gap, or recurrent with none: recorded, but worth a second look."""
    if not (primary_diagnosis and mbc_diagnosis):
        return None
    gap = (mbc_diagnosis - primary_diagnosis).days
    if presentation == "de_novo" and gap > PRESENTATION_GAP_DAYS:
        return (
            f"Recorded as de novo, but metastatic disease was diagnosed {gap} days after "
            f"the primary diagnosis (more than {PRESENTATION_GAP_DAYS})."
        )
    if presentation == "recurrent" and gap <= PRESENTATION_GAP_DAYS:
        return (
            f"Recorded as recurrent, but metastatic disease was diagnosed {gap} days after "
            f"the primary diagnosis (within {PRESENTATION_GAP_DAYS})."
        )
    return None
