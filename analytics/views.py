"""Report pages, downloads and plots for analysts and auditors."""

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from registry import access, spreadsheets

from . import downloads, plots
from .catalogue import REPORTS, ReportSpec
from .cohorts import build_cohort
from .columns import DATASETS
from .computed import ComputedReport, computed_report
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

    def computed(self, filters) -> ComputedReport:
        return computed_report(
            self.request.user,
            self.spec(),
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
        )


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
        result = self.computed(filters).result
        return render(
            request,
            f"analytics/{spec.name}.html",
            {
                "spec": spec,
                "form": filters.form,
                "report": result,
                "matches": result["meta"]["selection"]["patients_selected"] > 0,
                "overall": result["overall"],
                "query": request.GET.urlencode(),
                "datasets": DATASETS,
            },
        )


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
