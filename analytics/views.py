"""Report pages, downloads and plots for analysts and auditors."""

from dataclasses import dataclass

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from registry import access, spreadsheets
from registry.templatetags.fragments import cached_fragment

from . import downloads, drilldown, package, plots
from .catalogue import REPORTS, ReportSpec
from .cohorts import Cohort, build_cohort
from .columns import DATASETS
from .computed import ComputedReport, UserReport
from .filters import CohortFilterSet
from .tables import report_tables


class ReportAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not access.can_view_reports(request.user):
            raise PermissionDenied("Reports are for analysts and auditors.")
        return super().dispatch(request, *args, **kwargs)

    def spec(self) -> ReportSpec:
        try:
            return REPORTS[self.kwargs["report"]]
        except KeyError:
            raise Http404("No such report.") from None

    def cohort_filters(self) -> CohortFilterSet:
        # Always bound: an empty query is a valid one, the user's whole visible cohort.
        return CohortFilterSet(self.request.GET, user=self.request.user)

    def invalid(self, filters) -> HttpResponse:
        return render(
            self.request, "analytics/invalid_filters.html", {"form": filters.form}, status=400
        )

    def user_report(self, filters) -> UserReport:
        return UserReport(
            self.request.user,
            self.spec(),
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
            parameters=None,
        )

    def computed(self, filters) -> ComputedReport:
        return self.user_report(filters).computed


class ReportIndexView(ReportAccessMixin, View):
    def get(self, request):
        return render(request, "analytics/index.html", {"reports": REPORTS.values()})


class ReportView(ReportAccessMixin, View):
    def get(self, request, report):
        spec = self.spec()
        filters = self.cohort_filters()
        if not filters.is_valid():
            return render(
                request,
                f"analytics/{spec.name}.html",
                {"spec": spec, "form": filters.form, "report": None},
                status=400,
            )
        found = self.user_report(filters)
        query = request.GET.urlencode()
        # The content below the navigation follows from the stored result (its key: report,
        # filters, centres seen, data version) and the query alone: the form's values and
        # the links carry the query, the centre choices follow the key. Once it is cached,
        # the result (hundreds of kB of JSON) is not even read.
        body_key = f"report:{spec.name}:{found.key}:{query}"
        context = {
            "spec": spec,
            "form": filters.form,
            "query": query,
            "datasets": DATASETS,
            "body_key": body_key,
            "body_html": cached_fragment(body_key),
        }
        if context["body_html"] is None:
            result = found.computed.result
            context |= {
                "report": result,
                "matches": result["meta"]["selection"]["patients_selected"] > 0,
                "overall": result["overall"],
            }
        return render(request, f"analytics/{spec.name}.html", context)


def _attachment(content: bytes, fmt: str, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPES[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{fmt}"'
    return response


class ReportDownloadView(ReportAccessMixin, View):
    def get(self, request, report, fmt):
        spec = self.spec()
        filters = self.cohort_filters()
        if not filters.is_valid():
            return self.invalid(filters)
        result = self.computed(filters).result
        if fmt == "json":
            return _attachment(downloads.json_bytes(result), fmt, f"{spec.name}-report")
        tables = report_tables(result)
        if fmt == "csv":
            return _attachment(
                spreadsheets.csv_bytes(tables["figures"]), fmt, f"{spec.name}-report"
            )
        return _attachment(spreadsheets.xlsx_bytes(tables), fmt, f"{spec.name}-report")


class ReportPackageView(ReportAccessMixin, View):
    """The report's reproducible package: datasets, codebook, R script, Stata/SPSS files."""

    def get(self, request, report):
        spec = self.spec()
        filters = self.cohort_filters()
        if not filters.is_valid():
            return self.invalid(filters)
        built = package.report_package(
            request.user, spec, filters.cohort_filter(), by_centre=filters.compare_centres
        )
        return built.response()


class DatasetDownloadView(ReportAccessMixin, View):
    """The de-identified analysis dataset behind the reports, one row per patient/episode/line."""

    def get(self, request, dataset, fmt):
        if dataset not in DATASETS:
            raise Http404("No such dataset.")
        filters = self.cohort_filters()
        if not filters.is_valid():
            return self.invalid(filters)
        cohort = build_cohort(access.patients(request.user), filters.cohort_filter())
        frame = getattr(cohort, dataset)
        if fmt == "csv":
            return _attachment(spreadsheets.csv_bytes(frame), fmt, f"mbc-{dataset}")
        dictionary = [{"column": k, "meaning": v} for k, v in DATASETS[dataset].items()]
        return _attachment(
            spreadsheets.xlsx_bytes({dataset: frame, "data dictionary": pd.DataFrame(dictionary)}),
            fmt,
            f"mbc-{dataset}",
        )


class PlotView(ReportAccessMixin, View):
    def get(self, request, report, plot, fmt):
        spec = self.spec()
        if plot not in spec.plots:
            raise Http404("No such plot.")
        filters = self.cohort_filters()
        if not filters.is_valid():
            return self.invalid(filters)
        computed = self.computed(filters)
        content = plots.render(
            spec.plots[plot], computed.result, data_cutoff=computed.data_cutoff, fmt=fmt
        )
        response = HttpResponse(content, content_type=plots.CONTENT_TYPES[fmt])
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{spec.name}-{plot}.{fmt}"'
        return response


@dataclass(frozen=True)
class DrillSource:
    """Where a drill-down's counts come from: the analysis, its cohort, its page."""

    spec: ReportSpec
    cohort: Cohort
    page_url: str
    csv_filename: str


class PatientsBehindView(ReportAccessMixin, View):
    """The list behind one count of an analysis (its page, or its CSV with `as_csv`), from
    the cohort the analysis counted in: a live report's, a snapshot's, an endpoint's.

    Each route's view says where the counts come from (`source`); the list itself, its
    pages and its CSV are the same for all of them (`analytics.drilldown`).
    """

    page_size = 50
    as_csv = False

    def source(self) -> DrillSource | HttpResponse:
        """A live report with the query's filters (a response if they are refused)."""
        spec = self.spec()
        filters = self.cohort_filters()
        if not filters.is_valid():
            return self.invalid(filters)
        cohort = build_cohort(access.patients(self.request.user), filters.cohort_filter())
        return DrillSource(
            spec,
            cohort,
            reverse("analytics:report", args=[spec.name]),
            f"{spec.name}-patients-{timezone.localdate().isoformat()}.csv",
        )

    def get(self, request, cell, **kwargs):
        source = self.source()
        if isinstance(source, HttpResponse):
            return source
        try:
            counted = drilldown.patients_behind(source.spec, source.cohort, cell)
        except drilldown.UnknownCell:
            raise Http404("This analysis has no such count.") from None
        listed = drilldown.patient_list(cell, counted)
        if self.as_csv:
            response = HttpResponse(
                spreadsheets.csv_bytes(listed.frame), content_type=spreadsheets.CONTENT_TYPES["csv"]
            )
            response["Content-Disposition"] = f'attachment; filename="{source.csv_filename}"'
            return response
        page = Paginator(listed, self.page_size).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        match = request.resolver_match
        return render(
            request,
            "analytics/patients_behind.html",
            {
                "spec": source.spec,
                "listed": listed,
                "page_obj": page,
                "query_without_page": query.urlencode(),
                "page_url": source.page_url,
                "csv_url": reverse(f"{match.namespace}:{match.url_name}-csv", kwargs=match.kwargs),
                "snapshot": source.cohort.frozen and source.cohort.frozen.snapshot,
            },
        )
