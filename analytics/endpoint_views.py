"""Pages and files of the configurable endpoints: the list, the form, an analysis.

The analysis is `analytics.endpoints.endpoint_report`, computed once per (definition,
filters, centres seen, data version) through `analytics.computed`; these views render it,
and list the patients behind each of its counts (`analytics.drilldown`).
"""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from registry import access, spreadsheets

from . import downloads, plots
from .cohorts import build_cohort
from .computed import ComputedReport, computed_report
from .endpoints import DECISIONS, InvalidDefinition, at_risk_table, endpoint_plot, endpoint_spec
from .endpoints import summary_table as endpoint_summary_table
from .forms import FIELDS, EndpointForm, SaveEndpointForm
from .models import SavedEndpoint
from .services import saved_endpoint_create
from .views import DrillSource, PatientsBehindView, ReportAccessMixin

FILES = {
    "analysis.json": "JSON",
    "summary.csv": "Summary (CSV)",
    "at-risk.csv": "At risk (CSV)",
    "figure.png": "Figure (PNG)",
    "figure.svg": "Figure (SVG)",
}


def computed_endpoint(request, definition, filters) -> ComputedReport:
    return computed_report(
        request.user,
        endpoint_spec(definition),
        filters.cohort_filter(),
        by_centre=filters.compare_centres,
        parameters=definition.as_dict(),
    )


def endpoint_file(computed: ComputedReport, filename: str, stem: str) -> HttpResponse:
    """One of FILES, cut from the computed result (the page's own numbers)."""
    result = computed.result
    if filename == "analysis.json":
        content, content_type = downloads.json_bytes(result), "application/json"
    elif filename == "summary.csv":
        content = spreadsheets.csv_bytes(endpoint_summary_table(result))
        content_type = spreadsheets.CONTENT_TYPES["csv"]
    elif filename == "at-risk.csv":
        content = spreadsheets.csv_bytes(at_risk_table(result))
        content_type = spreadsheets.CONTENT_TYPES["csv"]
    else:
        fmt = filename.rsplit(".", 1)[1]
        content = plots.render(
            endpoint_plot(result), result, data_cutoff=computed.data_cutoff, fmt=fmt
        )
        content_type = plots.CONTENT_TYPES[fmt]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{filename}"'
    return response


class EndpointListView(ReportAccessMixin, View):
    """The saved endpoints, the form for a new analysis and the form that saves one."""

    def context(self, **extra) -> dict:
        return {
            "endpoints": SavedEndpoint.objects.select_related("defined_by"),
            "form": EndpointForm(),
            "save_form": SaveEndpointForm(),
            **extra,
        }

    def get(self, request):
        return render(request, "analytics/endpoints.html", self.context())

    def post(self, request):
        form = SaveEndpointForm(request.POST)
        if form.is_valid():
            try:
                saved = saved_endpoint_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    definition=form.cleaned_data["definition"],
                )
            except InvalidDefinition as invalid:
                form.add_error("name", invalid.errors["name"])
            else:
                return redirect("analytics:endpoint-saved", slug=saved.slug)
        return render(request, "analytics/endpoints.html", self.context(save_form=form), status=400)


class EndpointAnalysisMixin(ReportAccessMixin):
    """An analysis from the definition of the URL (ad hoc) or of a saved endpoint."""

    saved: SavedEndpoint | None = None

    def definition_form(self):
        """(the definition, the form that gave it or None, the query that repeats it)."""
        slug = self.kwargs.get("slug")
        if slug is not None:
            self.saved = get_object_or_404(SavedEndpoint, slug=slug)
            return self.saved.definition, None, ""
        asked = {f: self.request.GET.get(f, "") for f in FIELDS}
        if not any(asked.values()):  # nothing asked yet: the empty form, no error
            return None, EndpointForm(), ""
        form = EndpointForm(asked)
        if not form.is_valid():
            return None, form, ""
        definition = form.cleaned_data["definition"]
        query = {k: v for k, v in definition.as_dict().items() if v not in (None, "")}
        return definition, form, urlencode(query)

    def refusal(self, definition, form, filters) -> HttpResponse | None:
        """A file or list asked without a computable definition or with refused filters:
        400 with what is wrong (an empty form says what is missing)."""
        if definition is None:
            form = form if form.is_bound else EndpointForm({})
            form.is_valid()
        for invalid in (form, filters.form if not filters.is_valid() else None):
            if invalid is not None and invalid.errors:
                return render(
                    self.request, "analytics/invalid_filters.html", {"form": invalid}, status=400
                )
        return None

    def page_url(self) -> str:
        if self.saved is not None:
            return reverse("analytics:endpoint-saved", args=[self.saved.slug])
        return reverse("analytics:endpoint-analysis")

    def drill_route(self) -> tuple[str, dict]:
        """The drill-down route of this analysis's counts (analytics.templatetags.reports)."""
        if self.saved is not None:
            return "analytics:endpoint-saved-patients", {"slug": self.saved.slug}
        return "analytics:endpoint-analysis-patients", {}


class EndpointAnalysisView(EndpointAnalysisMixin, View):
    def get(self, request, slug=None):
        definition, form, definition_query = self.definition_form()
        filters = self.cohort_filters()
        context = {
            "saved": self.saved,
            "definition_form": form,
            "form": filters.form,
            "report": None,
            "decisions": DECISIONS,
            "files": FILES.items(),
        }
        if definition is None or not filters.is_valid():
            status = 200 if definition is None and not form.is_bound and filters.is_valid() else 400
            return render(request, "analytics/endpoint.html", context, status=status)
        filter_query = urlencode(
            [(k, v) for k in request.GET if k not in FIELDS for v in request.GET.getlist(k)]
        )
        result = computed_endpoint(request, definition, filters).result
        context |= {
            "report": result,
            "matches": result["meta"]["selection"]["patients_selected"] > 0,
            "query": "&".join(q for q in (definition_query, filter_query) if q),
            "drill_route": self.drill_route(),
            "plot": endpoint_plot(result),
            "save_form": None if slug else SaveEndpointForm(initial=definition.as_dict()),
        }
        return render(request, "analytics/endpoint.html", context)


class EndpointFileView(EndpointAnalysisMixin, View):
    def get(self, request, filename, slug=None):
        definition, form, _ = self.definition_form()
        filters = self.cohort_filters()
        refused = self.refusal(definition, form, filters)
        if refused is not None:
            return refused
        stem = self.saved.slug if self.saved else "endpoint"
        return endpoint_file(computed_endpoint(request, definition, filters), filename, stem)


class EndpointPatientsBehindView(EndpointAnalysisMixin, PatientsBehindView):
    """The list behind a count of an endpoint analysis, from its cohort and filters."""

    def source(self) -> DrillSource | HttpResponse:
        definition, form, _ = self.definition_form()
        filters = self.cohort_filters()
        refused = self.refusal(definition, form, filters)
        if refused is not None:
            return refused
        cohort = build_cohort(access.patients(self.request.user), filters.cohort_filter())
        stem = self.saved.slug if self.saved else "endpoint"
        return DrillSource(
            endpoint_spec(definition),
            cohort,
            self.page_url(),
            f"{stem}-patients-{timezone.localdate().isoformat()}.csv",
        )
