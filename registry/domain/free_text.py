"""The patient's own identifiers in free text, found before the text is saved.

Free-text fields (notes, clinical questions, recommendations, site details) are read by
everyone who may read the record, analysts included (docs/decisions/0005). Their author
is asked not to identify anyone in them; what a program can check is the patient's own
name, hospital record number and birth date, and those are refused at entry.

Names are matched as whole words, as written in the chart (capitalised or in capitals),
so the family name "Conti" is found in "seen by Conti" but not in "continue"; a given
name alone ("May", "Grace") is too often an ordinary word and is matched only together
with the family name.
"""

import re
from datetime import date
from functools import lru_cache

from .identifiers import canonical_record_number

DATE_FORMATS = ("{d}/{m}/{y}", "{d}.{m}.{y}", "{d}-{m}-{y}", "{y}-{m}-{d}")


def _word(text: str, word: str) -> bool:
    # The plain substring test first: most text holds none of the words at all.
    return (
        bool(word)
        and word in text
        and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
    )


# Every free-text field of a patient's records asks again for the same patient's.
_canonical_number = lru_cache(maxsize=1024)(canonical_record_number)


@lru_cache(maxsize=1024)
def _birth_date_spellings(born: date) -> frozenset[str]:
    spellings = set()
    for day in (f"{born.day:02d}", str(born.day)):
        for month in (f"{born.month:02d}", str(born.month)):
            spellings |= {f.format(d=day, m=month, y=born.year) for f in DATE_FORMATS}
    return frozenset(spellings)


def identifiers_in(
    text: str, *, family_name: str, given_name: str, record_number: str, birth_date: date | None
) -> list[str]:
    """Which of the patient's identifiers the text contains, in words for a message."""
    if not text:
        return []
    found = []
    names = {family_name, family_name.upper(), f"{given_name} {family_name}"}
    if any(_word(text, name) for name in names if len(name.strip()) >= 2):
        found.append("name")
    number = _canonical_number(record_number or "")
    if number and _word(canonical_record_number(text), number):
        found.append("hospital record number")
    if birth_date and any(_word(text, s) for s in _birth_date_spellings(birth_date)):
        found.append("birth date")
    return found


def free_text_error(found: list[str]) -> str:
    return (
        f"Free text must not identify the patient: remove the {' and '.join(found)}. "
        "Everyone who reads this record, analysts included, reads this field."
    )
