"""The reports and the configurable time-to-event endpoints in the API: same filters, keys
and files as the pages and the command."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.pagination import PageNumberPagination

from . import drilldown
from .catalogue import REPORTS
from .cohorts import build_cohort
from .computed import computed_report
from .endpoint_views import FILES, endpoint_file
from .endpoints import (
    EVENTS,
    GROUPINGS,
    ORIGINS,
    POPULATIONS,
    InvalidDefinition,
    endpoint_spec,
    parse_definition,
)
from .filters import CohortFilterSet
from .models import SavedEndpoint
from .package import report_package
from .services import saved_endpoint_create

FILTERS = [
    OpenApiParameter("centre", str, many=True, description="Centre code; repeatable."),
    OpenApiParameter("mbc_from", OpenApiTypes.DATE),
    OpenApiParameter("mbc_to", OpenApiTypes.DATE),
    OpenApiParameter("presentation", str, enum=["de_novo", "recurrent"]),
    OpenApiParameter("subtype", str),
    OpenApiParameter("review", str, enum=["reviewed", "unreviewed"]),
    OpenApiParameter("by_centre", bool),
]


PATIENT_LIST = inline_serializer(
    "PatientsBehindCount",
    {
        "report": serializers.CharField(),
        "cell": serializers.CharField(help_text="The count's path in the report's JSON."),
        "unit": serializers.CharField(help_text="What a row is: patients, CR episodes, lines."),
        "count": serializers.IntegerField(help_text="Rows behind the count: the count itself."),
        "columns": serializers.DictField(
            child=serializers.CharField(), help_text="Each column with its meaning, in order."
        ),
        "data_cutoff": serializers.DateField(allow_null=True),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializers.ListField(
            child=serializers.DictField(),
            help_text="One object per row: registry ID, centre, the facts of the count.",
        ),
    },
)
ERROR = inline_serializer("ReportError", {"detail": serializers.CharField()})


def _report_request(request, report: str) -> CohortFilterSet:
    """The checks every report request passes: role, report name, filters (403, 404, 400)."""
    if not access.can_view_reports(request.user):
        raise PermissionDenied("Reports are for analysts and auditors.")
    if report not in REPORTS:
        raise NotFound(f"No report '{report}'; use one of {', '.join(REPORTS)}.")
    return _filters(request)


def _filters(request) -> CohortFilterSet:
    """The cohort filters of a report or endpoint request; a 400 naming each refused field."""
    filters = CohortFilterSet(request.query_params, user=request.user)
    if not filters.is_valid():
        raise ValidationError(filters.errors)
    return filters


class ReportView(APIView):
    """A report (characteristics, cr, opd) as documented in docs/analytics.md."""

    @extend_schema(parameters=FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, report):
        filters = _report_request(request, report)
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
        filters = _report_request(request, report)
        built = report_package(
            request.user,
            REPORTS[report],
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
        )
        return built.response()


class PatientsBehindView(APIView):
    """The patients (or CR episodes, or lines) behind one count of a report.

    `cell` names the count by its path in the report's JSON, as the CSV download's `figure`
    column does (`overall.cr_rate.n`, `by_centre.MIL.subtype.HR+/HER2-.N`,
    `overall.selection[de novo].excluded`); an at-risk count by its time
    (`overall.ps_pfs.overall.at_risk[12].at_risk`). The cohort is the caller's, with the
    same filters as the report: the list's length is the count. A count the report does
    not have, or one of a centre the caller does not see, is a 404.
    """

    @extend_schema(
        parameters=[*FILTERS[:-1], OpenApiParameter("page", int)],
        responses={
            200: PATIENT_LIST,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Filters refused, by field."),
            403: ERROR,
            404: ERROR,
        },
    )
    def get(self, request, report, cell):
        filters = _report_request(request, report)
        cohort = build_cohort(access.patients(request.user), filters.cohort_filter())
        try:
            counted = drilldown.patients_behind(REPORTS[report], cohort, cell)
        except drilldown.UnknownCell:
            raise NotFound(f"The report '{report}' has no count '{cell}'.") from None
        listed = drilldown.patient_list(cell, counted)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(listed, request, view=self)
        return Response(
            {
                "report": report,
                "cell": cell,
                "unit": listed.unit,
                "count": paginator.page.paginator.count,
                "columns": listed.meanings,
                "data_cutoff": cohort.data_cutoff,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": page,
            }
        )


DEFINITION_PARAMETERS = [
    OpenApiParameter("origin", str, enum=list(ORIGINS), required=True),
    OpenApiParameter("line", int, description="Line k, with the origin line_start only."),
    OpenApiParameter("event", str, enum=list(EVENTS), required=True),
    OpenApiParameter("population", str, enum=list(POPULATIONS)),
    OpenApiParameter("group_by", str, enum=[g for g in GROUPINGS if g]),
]


class ReportReaders(permissions.BasePermission):
    message = "Reports are for analysts and auditors."

    def has_permission(self, request, view):
        return access.can_view_reports(request.user)


class EndpointDefinitionSerializer(serializers.Serializer):
    """A saved endpoint; `parse_definition` checks the definition, as on the page."""

    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(read_only=True)
    origin = serializers.CharField()
    line = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=99)
    event = serializers.CharField()
    population = serializers.CharField(required=False, default="all")
    group_by = serializers.CharField(required=False, allow_blank=True, default="")
    label = serializers.CharField(source="definition.label", read_only=True)
    defined_by = serializers.SerializerMethodField()
    defined_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_defined_by(self, saved) -> str | None:
        return saved.defined_by.username if saved.defined_by else None

    def validate(self, attrs):
        try:
            attrs["definition"] = parse_definition(attrs)
        except InvalidDefinition as invalid:
            raise ValidationError(invalid.errors) from None
        return attrs


def _computed(request, definition):
    filters = _filters(request)
    return computed_report(
        request.user,
        endpoint_spec(definition),
        filters.cohort_filter(),
        by_centre=filters.compare_centres,
        parameters=definition.as_dict(),
    )


class EndpointListView(APIView):
    """Saved time-to-event endpoints (docs/analytics.md, "Configurable endpoints")."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(responses=EndpointDefinitionSerializer(many=True))
    def get(self, request):
        endpoints = SavedEndpoint.objects.select_related("defined_by")
        return Response(EndpointDefinitionSerializer(endpoints, many=True).data)

    @extend_schema(
        request=EndpointDefinitionSerializer, responses={201: EndpointDefinitionSerializer}
    )
    def post(self, request):
        serializer = EndpointDefinitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            saved = saved_endpoint_create(
                user=request.user,
                name=serializer.validated_data["name"],
                definition=serializer.validated_data["definition"],
            )
        except InvalidDefinition as invalid:
            raise ValidationError(invalid.errors) from None
        return Response(EndpointDefinitionSerializer(saved).data, status=status.HTTP_201_CREATED)


class EndpointAdHocView(APIView):
    """An endpoint analysis from a definition in the query, not saved."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(
        operation_id="endpoints_ad_hoc_analysis",
        parameters=[*DEFINITION_PARAMETERS, *FILTERS],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        try:
            definition = parse_definition(request.query_params)
        except InvalidDefinition as invalid:
            raise ValidationError(invalid.errors) from None
        return Response(_computed(request, definition).result)


class EndpointAnalysisView(APIView):
    """A saved endpoint's analysis on the caller's patients, with the cohort filters."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(parameters=FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, slug):
        saved = SavedEndpoint.objects.filter(slug=slug).first()
        if saved is None:
            raise NotFound("No saved endpoint of that name.")
        return Response(_computed(request, saved.definition).result)


class EndpointFileView(APIView):
    """The analysis (JSON), the summary or at-risk table (CSV) or the figure (PNG, SVG) of
    a saved endpoint, as downloads."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(
        parameters=[
            OpenApiParameter("filename", str, OpenApiParameter.PATH, enum=list(FILES)),
            *FILTERS,
        ],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )
    def get(self, request, slug, filename):
        saved = SavedEndpoint.objects.filter(slug=slug).first()
        if saved is None:
            raise NotFound("No saved endpoint of that name.")
        return endpoint_file(_computed(request, saved.definition), filename, saved.slug)
