"""What a case holds in the exchange formats: one place for every section's JSON key,
model, natural key and exchanged fields (the registry of record kinds can feed it)."""

from dataclasses import dataclass

from django.db.models import Model

from registry.models import (
    CaseDiscussion,
    FollowUp,
    MetastaticSite,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)

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
# The sections of a case, in the order they are imported (lines before their responses).
SECTIONS = [
    Section("receptor_assessments", ReceptorAssessment, ("assessed_on", "specimen")),
    Section("metastatic_sites", MetastaticSite, ("category",)),
    Section("treatment_lines", TreatmentLine, ("number",)),
    Section("progression_events", ProgressionEvent, ("occurred_on", "kind")),
    Section("surgeries", Surgery, ("operated_on",)),
    Section("radiotherapy", Radiotherapy, ("started_on", "site")),
    Section("follow_up", FollowUp, ("contact_date",)),
]
LINES = SECTIONS[2]
# Nested in their treatment line; matched by date within it.
RESPONSES = Section("responses", ResponseAssessment, ("assessed_on",))
# Matched by the meeting's date; the meeting is the centre's board of that day.
DISCUSSIONS = Section("board_discussions", CaseDiscussion, ("meeting_date",))
DISCUSSIONS_FIELDS = [
    "question",
    "recommendation",
    "recommendation_category",
    "followed",
    "not_followed_reason",
]
DEIDENTIFIED_DROPS = {"record_number", "family_name", "given_name", "birth_date"}

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
