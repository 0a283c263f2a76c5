"""Hospital record numbers: one spelling per number, so a look-alike is not a new patient.

`TOR-CONF-1`, `tor-conf-1`, a full-width digit or a Unicode hyphen are the same number
typed differently: they share one canonical form (NFKC, one kind of hyphen, single
spaces, capitals), which is what is stored and compared. Letters that only look Latin
(a Cyrillic О) have no such form: they are refused rather than guessed at.
"""

import re
import unicodedata

HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
ALLOWED = re.compile(r"[A-Z0-9 ./-]")


def canonical_record_number(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate({ord(hyphen): "-" for hyphen in HYPHENS})
    return " ".join(text.split()).upper()


def record_number_error(canonical: str) -> str | None:
    """Why a canonical record number cannot be stored, if it cannot."""
    foreign = sorted({c for c in canonical if not ALLOWED.fullmatch(c)})
    if not foreign:
        return None
    named = ", ".join(f"“{c}” ({unicodedata.name(c, f'U+{ord(c):04X}')})" for c in foreign)
    return f"Use Latin letters, digits, spaces and - . / only; not {named}."
