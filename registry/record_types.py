"""How each kind of patient record is entered and listed: its form and its columns.

The kinds themselves (model, slug, names, natural key) are `registry.models.RECORD_KINDS`;
this adds what only the data-entry pages need.
"""

from dataclasses import dataclass

from django.db.models import Model
from django.http import Http404

from . import forms
from .models import KIND_BY_SLUG, RecordKind


@dataclass(frozen=True)
class RecordType:
    kind: RecordKind
    form: type[forms.PatientRecordForm]
    columns: tuple[str, ...] = ()
    # Entered in series (a response every few months): the form offers "Save and add
    # another", and the next form starts with these fields as the last one had them.
    add_another: bool = False
    carried_over: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return self.kind.slug

    @property
    def model(self) -> type[Model]:
        return self.kind.model

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def plural(self) -> str:
        return self.kind.heading


def _entry(slug: str, form, columns, **options) -> RecordType:
    return RecordType(KIND_BY_SLUG[slug], form, columns, **options)


RECORD_TYPES = {
    record_type.slug: record_type
    for record_type in (
        _entry(
            "biology",
            forms.ReceptorAssessmentForm,
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
        _entry(
            "sites",
            forms.MetastaticSiteForm,
            ("category", "detected_on", "confirmation", "detail"),
            add_another=True,
            carried_over=("detected_on", "confirmation"),
        ),
        _entry(
            "lines",
            forms.TreatmentLineForm,
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
        _entry(
            "responses",
            forms.ResponseAssessmentForm,
            ("assessed_on", "line", "category", "method"),
            add_another=True,
            carried_over=("line", "method"),
        ),
        _entry(
            "progressions",
            forms.ProgressionEventForm,
            ("occurred_on", "kind", "locoregional_site", "other_sites_kept_best_response", "notes"),
        ),
        _entry(
            "surgeries",
            forms.SurgeryForm,
            ("operated_on", "procedure_labels", "intent", "systemic_line_continued"),
        ),
        _entry(
            "radiotherapy",
            forms.RadiotherapyForm,
            ("started_on", "site", "intent", "total_dose_gy", "fractions"),
        ),
        _entry(
            "follow-up",
            forms.FollowUpForm,
            ("contact_date", "vital_status", "death_date", "disease_status"),
            add_another=True,
        ),
        _entry(
            "discussions",
            forms.CaseDiscussionForm,
            (
                "meeting",
                "question",
                "recommendation_category",
                "recommendation",
                "followed",
                "not_followed_reason",
            ),
        ),
    )
}


def record_type(slug: str) -> RecordType:
    try:
        return RECORD_TYPES[slug]
    except KeyError:
        raise Http404("No such kind of record.") from None
