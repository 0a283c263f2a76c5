"""The reports as JSON endpoints: same filters and keys as the pages and the command."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access

from .catalogue import REPORTS
from .computed import computed_report
from .filters import CohortFilterSet
from .package import report_package

FILTERS = [
    OpenApiParameter("centre", str, many=True, description="Centre code; repeatable."),
    OpenApiParameter("mbc_from", OpenApiTypes.DATE),
    OpenApiParameter("mbc_to", OpenApiTypes.DATE),
    OpenApiParameter("presentation", str, enum=["de_novo", "recurrent"]),
    OpenApiParameter("subtype", str),
    OpenApiParameter("review", str, enum=["reviewed", "unreviewed"]),
    OpenApiParameter("by_centre", bool),
]


def _report_filters(request, report: str) -> CohortFilterSet:
    """The valid filters of a report request; a refusal, a 404 or a 400 otherwise."""
    if not access.can_view_reports(request.user):
        raise PermissionDenied("Reports are for analysts and auditors.")
    if report not in REPORTS:
        raise NotFound(f"No report '{report}'; use one of {', '.join(REPORTS)}.")
    filters = CohortFilterSet(request.query_params, user=request.user)
    if not filters.is_valid():
        raise ValidationError(filters.errors)
    return filters


class ReportView(APIView):
    """A report (characteristics, cr, opd) as documented in docs/analytics.md."""

    @extend_schema(parameters=FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, report):
        filters = _report_filters(request, report)
        computed = computed_report(
            request.user,
            REPORTS[report],
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
        )
        return Response(computed.result)


class ReportPackageView(APIView):
    """The report's reproducible package (ZIP): the analysis datasets as CSV with a codebook,
    Stata and SPSS files, an R script recomputing its survival estimates, tests and rates,
    and the registry's own results (docs/analytics.md, "Reproducible package")."""

    @extend_schema(
        parameters=FILTERS,
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request, report):
        filters = _report_filters(request, report)
        built = report_package(
            request.user,
            REPORTS[report],
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
        )
        return built.response()
