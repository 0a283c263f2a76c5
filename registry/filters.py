"""Patient-list filters; the API reuses them (django-filter)."""

import json

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict

from . import access
from .domain.biology import Subtype
from .domain.identifiers import canonical_record_number
from .models import CaseDiscussion, CaseStatus, MetastaticSite, Patient, TreatmentLine
from .models.vocabularies import Presentation, RegimenCategory, SiteCategory
from .widgets import INVALID_DATE, ClinicalDateInput


def _date_widget():
    return ClinicalDateInput()


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Registry ID or record number")
    centre = django_filters.ModelChoiceFilter(queryset=None, field_name="centre")
    subtype = django_filters.ChoiceFilter(
        field_name="summary__subtype",
        choices=[(s.value, s.value) for s in Subtype],
        label="Subtype",
    )
    presentation = django_filters.ChoiceFilter(choices=Presentation.choices)
    mbc_from = django_filters.DateFilter(
        field_name="mbc_diagnosis_date",
        lookup_expr="gte",
        label="MBC diagnosis from",
        widget=_date_widget(),
        error_messages={"invalid": INVALID_DATE},
    )
    mbc_to = django_filters.DateFilter(
        field_name="mbc_diagnosis_date",
        lookup_expr="lte",
        label="MBC diagnosis to",
        widget=_date_widget(),
        error_messages={"invalid": INVALID_DATE},
    )
    regimen = django_filters.ChoiceFilter(
        choices=RegimenCategory.choices, method="with_regimen", label="Received regimen"
    )
    lines_at_least = django_filters.NumberFilter(
        field_name="summary__line_count",
        lookup_expr="gte",
        label="At least this many lines",
        min_value=0,
    )
    site = django_filters.ChoiceFilter(
        choices=SiteCategory.choices, method="with_site", label="Metastatic site"
    )
    reached_cr = django_filters.BooleanFilter(
        method="with_cr",
        label="Reached CR",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    had_opd = django_filters.BooleanFilter(
        method="with_opd",
        label="Had locoregional OPD",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    discussed_since = django_filters.DateFilter(
        method="with_discussion_since",
        label="Discussed since",
        widget=_date_widget(),
        error_messages={"invalid": INVALID_DATE},
    )
    board_status = django_filters.ChoiceFilter(
        method="with_board_status",
        label="Board decision",
        choices=[
            ("awaiting", "Awaiting decision"),
            ("not_followed", "Recommendation not followed"),
        ],
    )
    review = django_filters.ChoiceFilter(
        method="with_review",
        label="Review",
        choices=[
            ("reviewed", "Reviewed"),
            ("not_reviewed", "Not reviewed (or outdated)"),
            ("locked", "Locked for analysis"),
        ],
    )
    archived = django_filters.BooleanFilter(
        method="with_archived",
        label="Archived",
        widget=forms.Select(
            choices=[("false", "Active patients"), ("true", "Archived"), ("", "All")]
        ),
    )

    class Meta:
        model = Patient
        fields = []

    def __init__(self, data=None, *args, request=None, **kwargs):
        # Active patients unless the user asks otherwise, also on the first, unfiltered visit.
        data = (data or QueryDict()).copy()
        data.setdefault("archived", "false")
        super().__init__(data, *args, **kwargs)
        user = request.user if request else None
        self.filters["centre"].queryset = access.visible_centres(user) if user else None
        self.searches_identifying_data = user is not None and access.sees_identifying_data(user)
        if self.searches_identifying_data:
            self.filters["q"].label = "Registry ID, name or record number"
        else:
            self.filters["q"].label = "Registry ID"

    def form_key(self) -> str:
        """Everything the rendered filter form shows: each field's label and submitted values
        (errors follow from them) and the centre choices, which are read here (one query)
        and kept for the rendering. The patient list renders the form once per key."""
        centre = self.form.fields["centre"].widget
        centre.choices = list(iter(centre.choices))  # iter: no COUNT query for list()'s size
        fields = [
            (name, str(field.label), self.data.getlist(name))
            for name, field in self.form.fields.items()
        ]
        return json.dumps([fields, [(str(value), label) for value, label in centre.choices]])

    def search(self, queryset, name, value):
        """Registry ID; for those who see them, also the record number or the name (every
        word of the search in the family or given name, so "conti anna" finds Anna Conti)."""
        value = value.strip()
        condition = Q(registry_id__icontains=value)
        if self.searches_identifying_data:
            condition |= Q(record_number=canonical_record_number(value))
            words = value.split()
            if words:
                by_name = Q()
                for word in words:
                    by_name &= Q(family_name__icontains=word) | Q(given_name__icontains=word)
                condition |= by_name
        return queryset.filter(condition)

    def with_site(self, queryset, name, value):
        return queryset.filter(
            Exists(MetastaticSite.objects.filter(patient=OuterRef("pk"), category=value))
        )

    def with_regimen(self, queryset, name, value):
        return queryset.filter(
            Exists(TreatmentLine.objects.filter(patient=OuterRef("pk"), regimen=value))
        )

    def with_cr(self, queryset, name, value):
        return (
            queryset.filter(summary__cr_episode_count__gt=0)
            if value
            else queryset.filter(summary__cr_episode_count=0)
        )

    def with_opd(self, queryset, name, value):
        return queryset.filter(summary__first_locoregional_opd_date__isnull=not value)

    def with_discussion_since(self, queryset, name, value):
        return queryset.filter(
            Exists(
                CaseDiscussion.objects.filter(patient=OuterRef("pk"), meeting__held_on__gte=value)
            )
        )

    def with_board_status(self, queryset, name, value):
        discussions = CaseDiscussion.objects.filter(patient=OuterRef("pk"))
        if value == "awaiting":
            discussions = discussions.filter(recommendation="")
        else:
            discussions = discussions.filter(followed=False)
        return queryset.filter(Exists(discussions))

    def with_review(self, queryset, name, value):
        """Reviewed means a review that no edit has outdated since."""
        reviewed = CaseStatus.reviewed(via="case_status__")
        if value == "locked":
            return queryset.filter(case_status__locked_at__isnull=False)
        return queryset.filter(reviewed) if value == "reviewed" else queryset.exclude(reviewed)

    def with_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=not value)
