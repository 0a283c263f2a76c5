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

FILTERS = [
    OpenApiParameter("centre", str, many=True, description="Centre code; repeatable."),
    OpenApiParameter("mbc_from", OpenApiTypes.DATE),
    OpenApiParameter("mbc_to", OpenApiTypes.DATE),
    OpenApiParameter("presentation", str, enum=["de_novo", "recurrent"]),
    OpenApiParameter("subtype", str),
    OpenApiParameter("review", str, enum=["reviewed", "unreviewed"]),
    OpenApiParameter("by_centre", bool),
]


class ReportView(APIView):
    """A report (characteristics, cr, opd) as documented in docs/analytics.md."""

    @extend_schema(parameters=FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, report):
        if not access.can_view_reports(request.user):
            raise PermissionDenied("Reports are for analysts and auditors.")
        if report not in REPORTS:
            raise NotFound(f"No report '{report}'; use one of {', '.join(REPORTS)}.")
        filters = CohortFilterSet(request.query_params, user=request.user)
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        computed = computed_report(
            request.user,
            REPORTS[report],
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
        )
        return Response(computed.result)
