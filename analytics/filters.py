"""The one cohort filter set of the reports: pages, API and `report` command parse with it.

One definition of the six filters, their choices and their error messages
(django-filter). A bad value is a field error: re-rendered at the field on a page, a 400
JSON body from the API, a CommandError from the command.
"""

from dataclasses import asdict, dataclass
from datetime import date

import django_filters
from django import forms
from django.db.models import QuerySet

from registry import access
from registry.domain.biology import Subtype
from registry.models import Centre, Patient
from registry.models.vocabularies import Presentation
from registry.widgets import INVALID_DATE, ClinicalDateInput

from .quality import REVIEW_CHOICES, filter_by_review

PERIOD_REVERSED = "The end of the period is before its start."
CENTRE_REFUSED = "Unknown or not accessible centre: %(value)s."


@dataclass(frozen=True)
class CohortFilter:
    """The filters every report, download, command and endpoint accepts, once parsed."""

    centres: tuple[str, ...] = ()
    mbc_from: date | None = None
    mbc_to: date | None = None
    presentation: str = ""
    subtype: str = ""
    review: str = ""  # "", "reviewed" or "unreviewed" (analytics.quality.REVIEW_CHOICES)

    def as_dict(self) -> dict:
        values = asdict(self)
        values["centres"] = list(self.centres)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}

    @classmethod
    def from_dict(cls, values: dict) -> "CohortFilter":
        """The filters `as_dict` wrote (a snapshot keeps them so)."""
        return cls(
            centres=tuple(values["centres"]),
            mbc_from=date.fromisoformat(values["mbc_from"]) if values["mbc_from"] else None,
            mbc_to=date.fromisoformat(values["mbc_to"]) if values["mbc_to"] else None,
            presentation=values["presentation"],
            subtype=values["subtype"],
            review=values["review"],
        )


class CohortFilterForm(forms.Form):
    """The filter set's form: the period check and the report's centre-comparison switch."""

    by_centre = forms.BooleanField(label="Show centres side by side", required=False)
    field_order = [
        "centre", "mbc_from", "mbc_to", "presentation", "subtype", "review", "by_centre"
    ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("mbc_from"), cleaned.get("mbc_to")
        if start and end and end < start:
            self.add_error("mbc_to", PERIOD_REVERSED)
        return cleaned


class CohortFilterSet(django_filters.FilterSet):
    centre = django_filters.MultipleChoiceFilter(
        field_name="centre__code",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all yours.",
        error_messages={"invalid_choice": CENTRE_REFUSED},
    )
    mbc_from = django_filters.DateFilter(
        field_name="mbc_diagnosis_date",
        lookup_expr="gte",
        label="MBC diagnosis from",
        widget=ClinicalDateInput(),
        error_messages={"invalid": INVALID_DATE},
    )
    mbc_to = django_filters.DateFilter(
        field_name="mbc_diagnosis_date",
        lookup_expr="lte",
        label="MBC diagnosis to",
        widget=ClinicalDateInput(),
        error_messages={"invalid": INVALID_DATE},
    )
    presentation = django_filters.ChoiceFilter(choices=Presentation.choices, empty_label="Any")
    subtype = django_filters.ChoiceFilter(
        field_name="summary__subtype",
        choices=[(s.value, s.value) for s in Subtype],
        empty_label="Any",
    )
    review = django_filters.ChoiceFilter(
        label="Source review",
        choices=[choice for choice in REVIEW_CHOICES if choice[0]],
        empty_label="Any",
        method="filter_review",
    )

    class Meta:
        model = Patient
        form = CohortFilterForm
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, user=None, centres=None):
        """`user`: the centres they see are the choices; `centres`: (code, label) pairs."""
        super().__init__(data, queryset=queryset)
        if centres is None:
            visible = access.visible_centres(user) if user is not None else Centre.objects.all()
            centres = [(c.code, str(c)) for c in visible]
        self.filters["centre"].extra["choices"] = centres
        self._centre_count = len(centres)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            if self._centre_count < 2:
                # Nothing to choose or compare on the page for a user who sees one centre
                # (the API and command still accept by_centre); another centre asked for in
                # the URL is still refused.
                form.fields["centre"].widget = forms.MultipleHiddenInput()
                form.fields["by_centre"].widget = forms.HiddenInput()
        return self._form

    def filter_review(self, queryset, name, value):
        return filter_by_review(queryset, value)

    def filter_queryset(self, queryset):
        """The filters; `by_centre` is how the report is shown, not who is in it."""
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def compare_centres(self) -> bool:
        return self.form.cleaned_data["by_centre"]

    def cohort_filter(self) -> CohortFilter:
        """The valid filters, as the report's cache key and its stated filters."""
        data = self.form.cleaned_data
        return CohortFilter(
            centres=tuple(sorted(data["centre"])),
            mbc_from=data["mbc_from"],
            mbc_to=data["mbc_to"],
            presentation=data["presentation"],
            subtype=data["subtype"],
            review=data["review"],
        )

    @classmethod
    def apply(cls, patients: QuerySet, filters: CohortFilter) -> QuerySet:
        """The patients that pass already parsed filters (the same filters, applied)."""
        data = {
            "centre": list(filters.centres),
            "mbc_from": filters.mbc_from,
            "mbc_to": filters.mbc_to,
            "presentation": filters.presentation,
            "subtype": filters.subtype,
            "review": filters.review,
        }
        filterset = cls(data, queryset=patients, centres=[(c, c) for c in filters.centres])
        if not filterset.is_valid():
            raise ValueError(f"Filters that do not parse: {filterset.errors.as_json()}")
        return filterset.qs

    def errors_as_text(self) -> str:
        """'field: message' for each error, for the command line."""
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in self.form.errors.items()
        )
