"""The kinds of patient record that the case page lists and the data-entry views edit."""

from dataclasses import dataclass

from django.db.models import Model
from django.http import Http404

from . import forms
from .models import (
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


@dataclass(frozen=True)
class RecordType:
    slug: str
    model: type[Model]
    form: type[forms.PatientRecordForm]
    label: str
    plural: str
    columns: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    # Entered in series (a response every few months): the form offers "Save and add
    # another", and the next form starts with these fields as the last one had them.
    add_another: bool = False
    carried_over: tuple[str, ...] = ()


RECORD_TYPES = {
    record_type.slug: record_type
    for record_type in (
        RecordType(
            "biology",
            ReceptorAssessment,
            forms.ReceptorAssessmentForm,
            "receptor assessment",
            "Tumour biology",
            (
                "assessed_on",
                "specimen",
                "er_percent",
                "pr_percent",
                "her2_ihc",
                "her2_ish",
                "hr_status",
                "her2_status",
                "subtype",
            ),
        ),
        RecordType(
            "sites",
            MetastaticSite,
            forms.MetastaticSiteForm,
            "metastatic site",
            "Metastatic sites",
            ("category", "detected_on", "confirmation", "detail"),
            add_another=True,
            carried_over=("detected_on", "confirmation"),
        ),
        RecordType(
            "lines",
            TreatmentLine,
            forms.TreatmentLineForm,
            "treatment line",
            "Treatment lines",
            (
                "number",
                "regimen",
                "agents",
                "start_date",
                "maintenance_start_date",
                "end_date",
                "end_reason",
            ),
        ),
        RecordType(
            "responses",
            ResponseAssessment,
            forms.ResponseAssessmentForm,
            "response assessment",
            "Response assessments",
            ("assessed_on", "line", "category", "method"),
            ("line",),
            add_another=True,
            carried_over=("line", "method"),
        ),
        RecordType(
            "progressions",
            ProgressionEvent,
            forms.ProgressionEventForm,
            "progression event",
            "Progression events",
            ("occurred_on", "kind", "locoregional_site", "other_sites_kept_best_response", "notes"),
        ),
        RecordType(
            "surgeries",
            Surgery,
            forms.SurgeryForm,
            "surgery",
            "Surgeries",
            ("operated_on", "procedure_labels", "intent", "systemic_line_continued"),
        ),
        RecordType(
            "radiotherapy",
            Radiotherapy,
            forms.RadiotherapyForm,
            "radiotherapy course",
            "Radiotherapy",
            ("started_on", "site", "intent", "total_dose_gy", "fractions"),
        ),
        RecordType(
            "follow-up",
            FollowUp,
            forms.FollowUpForm,
            "follow-up contact",
            "Follow-up",
            ("contact_date", "vital_status", "death_date", "disease_status"),
            add_another=True,
        ),
        RecordType(
            "discussions",
            CaseDiscussion,
            forms.CaseDiscussionForm,
            "board discussion",
            "Tumour-board discussions",
            (
                "meeting",
                "question",
                "recommendation_category",
                "recommendation",
                "followed",
                "not_followed_reason",
            ),
            ("meeting", "meeting__centre"),
        ),
    )
}
SLUG_BY_MODEL = {record_type.model: slug for slug, record_type in RECORD_TYPES.items()}


def record_type(slug: str) -> RecordType:
    try:
        return RECORD_TYPES[slug]
    except KeyError:
        raise Http404("No such kind of record.") from None
