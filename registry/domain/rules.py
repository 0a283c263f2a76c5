"""Cross-field rules that are errors (the record cannot be saved) and plausibility
warnings (the record is saved, and the case page says what looks wrong).

Each function returns messages instead of raising, so models turn them into
ValidationErrors at the right field and the case page lists the warnings.
"""

from dataclasses import dataclass
from datetime import date

PRESENTATION_GAP_DAYS = 90


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


@dataclass(frozen=True)
class CaseWarning:
    """A plausibility warning on the case page: what looks wrong and where to look."""

    message: str
    section: str
