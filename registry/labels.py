"""The clinical label of a stored code, for everything a person reads.

Pages, report tables, figure legends and the audit trail show labels; JSON, the API and
exchange files keep the codes. Codes repeat across vocabularies with different labels
("breast", "other"), so a caller names the vocabulary when it knows it; without one, a
code is looked up among the labels that every vocabulary agrees on.
"""

from django.db.models import TextChoices

from .domain.course import LAST_CONTACT_STATUS_LABELS
from .models import Surgery
from .models import vocabularies as v

VOCABULARIES: dict[str, dict[str, str]] = {
    name: dict(choices.choices)
    for name, choices in vars(v).items()
    if isinstance(choices, type) and issubclass(choices, TextChoices) and choices is not TextChoices
}
VOCABULARIES["LastContactStatus"] = {
    code: text[0].upper() + text[1:] for code, text in LAST_CONTACT_STATUS_LABELS.items()
}
VOCABULARIES["Procedure"] = {
    name: str(Surgery._meta.get_field(name).verbose_name).capitalize()
    for name in Surgery.PROCEDURE_FIELDS
}
VOCABULARIES["ReceptorStatus"] = {
    "positive": "Positive",
    "negative": "Negative",
    "low": "HER2-low",
    "zero": "HER2-zero",
    "equivocal": "Equivocal",
    "unknown": "Unknown",
}


def _unambiguous() -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for labels in VOCABULARIES.values():
        for code, text in labels.items():
            seen.setdefault(code, set()).add(text)
    return {code: texts.pop() for code, texts in seen.items() if len(texts) == 1}


UNAMBIGUOUS = _unambiguous()


def clinical_label(code, vocabulary: str = "") -> str:
    """The label of `code` in `vocabulary` (a TextChoices name), or the code itself."""
    if code is None:
        return ""
    code = str(code)
    if vocabulary:
        return VOCABULARIES[vocabulary].get(code, code)
    return UNAMBIGUOUS.get(code, code)
