"""The filters analysts apply to a report, a download or a dataset."""

from django import forms

from registry import access
from registry.domain.biology import Subtype
from registry.models.vocabularies import Presentation
from registry.widgets import clinical_date_field

from .cohorts import CohortFilter
from .quality import REVIEW_CHOICES


class CohortFilterForm(forms.Form):
    centre = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: all yours."
    )
    mbc_from = clinical_date_field(forms.DateField(label="MBC diagnosis from", required=False))
    mbc_to = clinical_date_field(forms.DateField(label="MBC diagnosis to", required=False))
    presentation = forms.ChoiceField(choices=[("", "Any"), *Presentation.choices], required=False)
    subtype = forms.ChoiceField(
        choices=[("", "Any"), *((s.value, s.value) for s in Subtype)], required=False
    )
    review = forms.ChoiceField(label="Source review", choices=REVIEW_CHOICES, required=False)
    by_centre = forms.BooleanField(label="Show centres side by side", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        centres = [(c.code, f"{c.code} – {c.name}") for c in access.visible_centres(user)]
        self.fields["centre"].choices = centres
        if len(centres) < 2:
            # Nothing to choose or compare on the page for a user who sees one centre
            # (the API and command still accept by_centre); another centre asked for in
            # the URL is still refused.
            self.fields["centre"].widget = forms.MultipleHiddenInput()
            self.fields["by_centre"].widget = forms.HiddenInput()

    @property
    def compare_centres(self) -> bool:
        return self.cleaned_data["by_centre"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("mbc_from"), cleaned.get("mbc_to")
        if start and end and end < start:
            self.add_error("mbc_to", "The end of the period is before its start.")
        return cleaned

    def cohort_filter(self) -> CohortFilter:
        data = self.cleaned_data
        return CohortFilter(
            centres=tuple(sorted(data["centre"])),
            mbc_from=data["mbc_from"],
            mbc_to=data["mbc_to"],
            presentation=data["presentation"],
            subtype=data["subtype"],
            review=data["review"],
        )
