"""The patient list, the case page, and creating, editing and archiving patients."""

import hashlib
import json

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView
from django_filters.views import FilterView

from registry import access, quality_selectors, services
from registry.case_page import (
    case_overview,
    case_summary,
    course_chart,
    legend,
    record_sections,
    timeline_rows,
)
from registry.filters import PatientFilter
from registry.forms import ArchiveForm, PatientForm, apply_validation_error
from registry.models import CaseDiscussion
from registry.pagination import KeyFirstPaginator
from registry.patient_list import patient_rows
from registry.selectors import data_version, not_recorded_counts

from .mixins import DataManagerRequiredMixin, ServiceFormMixin


class HomeView(TemplateView):
    template_name = "registry/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            **home_counts(user),
            # Not cached with the counts: a query changes without making a new data version.
            open_queries_assigned=quality_selectors.open_queries_assigned_count(user),
            upcoming_meetings=access.board_meetings(user)
            .filter(held_on__gte=timezone.localdate())
            .select_related("centre")
            .order_by("held_on")[:5],
            **kwargs,
        )


HOME_COUNTS_SECONDS = 15 * 60


def home_counts(user) -> dict:
    """The home page's counts over every record of the user's centres, computed once per
    (centres seen, data version): they grow with the registry, the version check does not."""
    centres = access.visible_centres(user)
    scope = list(centres.order_by("pk").values_list("pk", flat=True))
    key = "home:" + hashlib.sha256(json.dumps([scope, data_version()]).encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        patients = access.patients(user).active()
        discussions = access.patient_records(user, CaseDiscussion)
        counts = {
            "centres": list(
                centres.annotate(
                    patient_count=Count("patients", filter=Q(patients__archived_at__isnull=True))
                )
            ),
            "patient_count": patients.count(),
            "awaiting_decision": discussions.filter(recommendation="").count(),
            "with_warnings": patients.filter(summary__warning_count__gt=0).count(),
            "not_recorded": not_recorded_counts(patients),
        }
        cache.set(key, counts, HOME_COUNTS_SECONDS)
    return counts


# Sortable columns of the patient list: URL key -> ordering (the name only for those who
# see it). The registry ID breaks ties so pages never overlap.
SORTS = {
    "registry_id": ("registry_id",),
    "name": ("family_name", "given_name"),
    "centre": ("centre__code",),
    "mbc": ("mbc_diagnosis_date",),
    "subtype": ("summary__subtype",),
    "lines": ("summary__line_count",),
    "last_contact": ("summary__last_contact",),
}
PAGE_SIZES = (25, 50, 100)


class PatientListView(FilterView):
    filterset_class = PatientFilter
    template_name = "registry/patient_list.html"
    paginator_class = KeyFirstPaginator

    @cached_property
    def sort(self) -> tuple[str, bool]:
        """(column key, descending) from ?sort=key or ?sort=-key; the registry ID if unknown."""
        value = self.request.GET.get("sort", "")
        key = value.removeprefix("-")
        allowed = set(SORTS) - (
            set() if access.sees_identifying_data(self.request.user) else {"name"}
        )
        return (key, value.startswith("-")) if key in allowed else ("registry_id", False)

    def get_paginate_by(self, queryset):
        wanted = self.request.GET.get("per_page", "")
        return int(wanted) if wanted in {str(size) for size in PAGE_SIZES} else PAGE_SIZES[0]

    def get_queryset(self):
        key, descending = self.sort
        order = [f"-{f}" if descending else f for f in SORTS[key]]
        return (
            access.patients(self.request.user)
            .select_related("centre", "summary")
            .order_by(*order, "registry_id")
        )

    def sort_links(self) -> dict[str, dict]:
        """For each column: the URL that sorts by it (again: reversed) and its aria-sort."""
        current, descending = self.sort
        links = {}
        for key in SORTS:
            query = self.request.GET.copy()
            query.pop("page", None)
            query["sort"] = f"-{key}" if key == current and not descending else key
            state = ("descending" if descending else "ascending") if key == current else "none"
            links[key] = {"url": f"?{query.urlencode()}", "aria_sort": state}
        return links

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        context["sort_links"] = self.sort_links()
        context["sort_value"] = self.request.GET.get("sort", "")
        context["filter_form_key"] = f"patient-filters:{self.filterset.form_key()}"
        context["rows"] = patient_rows(
            context["page_obj"] or (), identifying=access.sees_identifying_data(self.request.user)
        )
        context["page_sizes"] = PAGE_SIZES
        context["per_page"] = self.get_paginate_by(None)
        return context


class PatientDetailView(DetailView):
    template_name = "registry/patient_detail.html"
    slug_field = slug_url_kwarg = "registry_id"
    context_object_name = "patient"

    def get_queryset(self):
        return access.patients(self.request.user).select_related("centre")

    def get_context_data(self, **kwargs):
        case = case_overview(self.object)
        quality = quality_selectors.case_quality(self.object)
        return super().get_context_data(
            case=case,
            summary=case_summary(case),
            chart=course_chart(case),
            legend=legend(),
            sections=record_sections(case, quality),
            timeline=timeline_rows(case),
            quality=quality,
            **kwargs,
        )


class PatientCreateView(DataManagerRequiredMixin, ServiceFormMixin, CreateView):
    form_class = PatientForm
    template_name = "registry/patient_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def save(self, form):
        patient = services.patient_save(user=self.request.user, patient=form.instance)
        messages.success(self.request, f"Patient {patient.registry_id} created.")
        return patient

    def get_success_url(self):
        return reverse("registry:patient-detail", args=[self.object.registry_id])


class PatientUpdateView(DataManagerRequiredMixin, ServiceFormMixin, UpdateView):
    form_class = PatientForm
    template_name = "registry/patient_form.html"
    slug_field = slug_url_kwarg = "registry_id"

    def get_queryset(self):
        return access.patients(self.request.user, for_edit=True)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def save(self, form):
        patient = services.patient_save(
            user=self.request.user,
            patient=form.instance,
            reason=form.change_reason,
            expected_version=form.expected_version,
            fields=form.fields,
        )
        messages.success(self.request, f"Patient {patient.registry_id} saved.")
        return patient

    def get_success_url(self):
        return reverse("registry:patient-detail", args=[self.object.registry_id])


class PatientArchiveView(DataManagerRequiredMixin, FormView):
    """Archive (or restore) a patient: out of lists and reports, never deleted."""

    form_class = ArchiveForm
    template_name = "registry/patient_archive.html"
    restore = False

    @cached_property
    def patient(self):
        return access.get_or_404(
            access.patients(self.request.user, for_edit=True),
            registry_id=self.kwargs["registry_id"],
        )

    def form_valid(self, form):
        action = services.patient_restore if self.restore else services.patient_archive
        try:
            action(user=self.request.user, patient=self.patient, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        verb = "restored" if self.restore else "archived"
        messages.success(self.request, f"Patient {self.patient.registry_id} {verb}.")
        return redirect("registry:patient-detail", registry_id=self.patient.registry_id)

    def get_context_data(self, **kwargs):
        return super().get_context_data(patient=self.patient, restore=self.restore, **kwargs)
