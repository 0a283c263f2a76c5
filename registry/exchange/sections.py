"""What a case holds in the exchange formats: every section's JSON key, model, natural key
and exchanged fields, taken from the registry of record kinds (`RECORD_KINDS`)."""

from dataclasses import dataclass

from django.db.models import Model

from registry.models import KIND_BY_MODEL, RECORD_KINDS, CaseDiscussion, Patient, ResponseAssessment

FORMAT_VERSION = 1
NOT_EXCHANGED = {"id", "patient", "line", "meeting", "created_at", "updated_at"}


@dataclass(frozen=True)
class Section:
    """One kind of record in a case: its JSON key, model and natural key."""

    key: str
    model: type[Model]
    natural_key: tuple[str, ...]

    @property
    def fields(self) -> list[str]:
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if f.editable and f.name not in NOT_EXCHANGED
        ]


PATIENT_FIELDS = [
    "registry_id",
    "record_number",
    "family_name",
    "given_name",
    "sex",
    "birth_date",
    "primary_diagnosis_date",
    "mbc_diagnosis_date",
    "presentation",
    "histology",
]


def _section(model: type[Model]) -> Section:
    kind = KIND_BY_MODEL[model]
    return Section(kind.exchange_key, kind.model, kind.natural_key)


# Nested in their treatment line; matched by date within it.
RESPONSES = _section(ResponseAssessment)
# Matched by the meeting's date; the meeting is the centre's board of that day.
DISCUSSIONS = _section(CaseDiscussion)
# The sections listed directly in a case, in the order they are imported (lines before
# their responses).
SECTIONS = [
    _section(kind.model)
    for kind in RECORD_KINDS
    if kind.model not in (RESPONSES.model, DISCUSSIONS.model)
]
LINES = next(section for section in SECTIONS if section.key == "treatment_lines")
DISCUSSIONS_FIELDS = [
    "question",
    "recommendation",
    "recommendation_category",
    "followed",
    "not_followed_reason",
]
DEIDENTIFIED_DROPS = set(Patient.IDENTIFYING_FIELDS)

TABLES = ["patients", *[s.key for s in SECTIONS], "responses", "board_discussions"]


def table_columns(name: str, *, deidentified: bool = False) -> list[str]:
    if name == "patients":
        columns = ["registry_id", "centre", *PATIENT_FIELDS[1:]]
        if deidentified:
            columns = [c for c in columns if c not in DEIDENTIFIED_DROPS] + ["age_at_mbc_diagnosis"]
        return columns
    if name == "responses":
        return ["registry_id", "line_number", *RESPONSES.fields]
    if name == "board_discussions":
        return ["registry_id", "meeting_date", *DISCUSSIONS_FIELDS]
    section = next(s for s in SECTIONS if s.key == name)
    return ["registry_id", *section.fields]
