"""The kinds of record that belong to one patient, listed once.

Forms, the case page, the timeline, the API, the admin's roles, the exchange format and
the selectors all take their list of record kinds from here, so a new kind of record is
added in one place and every layer sees it.
"""

from dataclasses import dataclass

from django.db.models import Model

from .base import ClinicalRecord
from .board import CaseDiscussion
from .clinical import (
    FollowUp,
    MetastaticSite,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)


@dataclass(frozen=True)
class RecordKind:
    model: type[Model]
    slug: str  # URL segment of the case page's forms and of the API
    label: str  # one record, in the clinic's words
    heading: str  # the case page's section and the API's description
    exchange_key: str  # the list of these records in an exchanged case
    # What identifies a record within its patient (within its line for responses) when a
    # case file is imported again: matching by it makes re-imports change nothing.
    natural_key: tuple[str, ...]
    select_related: tuple[str, ...] = ()  # what every listing of the records shows with them

    @property
    def is_clinical(self) -> bool:
        return issubclass(self.model, ClinicalRecord)


RECORD_KINDS = (
    RecordKind(
        ReceptorAssessment,
        "biology",
        "receptor assessment",
        "Tumour biology",
        "receptor_assessments",
        ("assessed_on", "specimen"),
    ),
    RecordKind(
        MetastaticSite,
        "sites",
        "metastatic site",
        "Metastatic sites",
        "metastatic_sites",
        ("category",),
    ),
    RecordKind(
        TreatmentLine,
        "lines",
        "treatment line",
        "Treatment lines",
        "treatment_lines",
        ("number",),
    ),
    RecordKind(
        ResponseAssessment,
        "responses",
        "response assessment",
        "Response assessments",
        "responses",
        ("assessed_on",),
        ("line",),
    ),
    RecordKind(
        ProgressionEvent,
        "progressions",
        "progression event",
        "Progression events",
        "progression_events",
        ("occurred_on", "kind"),
    ),
    RecordKind(Surgery, "surgeries", "surgery", "Surgeries", "surgeries", ("operated_on",)),
    RecordKind(
        Radiotherapy,
        "radiotherapy",
        "radiotherapy course",
        "Radiotherapy",
        "radiotherapy",
        ("started_on", "site"),
    ),
    RecordKind(
        FollowUp,
        "follow-up",
        "follow-up contact",
        "Follow-up",
        "follow_up",
        ("contact_date",),
    ),
    RecordKind(
        CaseDiscussion,
        "discussions",
        "board discussion",
        "Tumour-board discussions",
        "board_discussions",
        ("meeting_date",),
        ("meeting", "meeting__centre"),
    ),
)
KIND_BY_SLUG = {kind.slug: kind for kind in RECORD_KINDS}
KIND_BY_MODEL = {kind.model: kind for kind in RECORD_KINDS}

# Every model whose rows belong to one patient (scoped, audited and shown per case), and
# those of them that are dated clinical facts bounded by the patient's life.
PATIENT_RECORD_MODELS = tuple(kind.model for kind in RECORD_KINDS)
CLINICAL_RECORD_MODELS = tuple(kind.model for kind in RECORD_KINDS if kind.is_clinical)
