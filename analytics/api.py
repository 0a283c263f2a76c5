"""The reports, the configurable time-to-event endpoints and the analysis snapshots in the
API: the same filters, keys, files and rules as the pages and the command."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.api_jobs import JOB_ACCEPTED, accepted
from registry.models.vocabularies import Presentation
from registry.pagination import PageNumberPagination

from . import drilldown, snapshots
from .catalogue import REPORTS, ReportSpec
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
from .models import SavedEndpoint, Snapshot
from .package import report_package
from .services import saved_endpoint_create
from .snapshot_diff import snapshot_diff
from .snapshot_views import freeze_from

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
        "report": serializers.CharField(help_text="The report's name, or 'endpoint'."),
        "snapshot": serializers.CharField(
            required=False, help_text="The snapshot ID, when the counts are a snapshot's."
        ),
        "cell": serializers.CharField(help_text="The count's path in the analysis's JSON."),
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
        return patients_behind_response(request, self, REPORTS[report], cohort, cell)


def patients_behind_response(request, view, spec: ReportSpec, cohort, cell: str) -> Response:
    """One page of the rows behind a count of an analysis (a report, a snapshot's report,
    an endpoint), from the cohort it counted in; 404 for a count it does not have."""
    try:
        counted = drilldown.patients_behind(spec, cohort, cell)
    except drilldown.UnknownCell:
        raise NotFound(f"The analysis '{spec.name}' has no count '{cell}'.") from None
    listed = drilldown.patient_list(cell, counted)
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(listed, request, view=view)
    frozen = cohort.frozen
    return Response(
        {
            "report": spec.name,
            **({"snapshot": frozen.snapshot["id"]} if frozen else {}),
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


DRILL_RESPONSES = {
    200: PATIENT_LIST,
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Refused, by field."),
    403: ERROR,
    404: ERROR,
}


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


class SnapshotAccess(ReportReaders):
    message = "Snapshots are for analysts and auditors."


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


class EndpointAdHocPatientsView(APIView):
    """The patients behind one count of an ad hoc endpoint analysis (the definition and the
    filters in the query, as for the analysis); `cell` names the count by its path in the
    analysis's JSON: `overall.km.events`, `groups.estimates.HR+/HER2-.km.n`,
    `selection[with the origin].remaining`, `by_centre.MIL.km.at_risk[12].at_risk`."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(
        parameters=[*DEFINITION_PARAMETERS, *FILTERS[:-1], OpenApiParameter("page", int)],
        responses=DRILL_RESPONSES,
    )
    def get(self, request, cell):
        try:
            definition = parse_definition(request.query_params)
        except InvalidDefinition as invalid:
            raise ValidationError(invalid.errors) from None
        return _endpoint_patients(request, self, definition, cell)


class EndpointPatientsView(APIView):
    """The patients behind one count of a saved endpoint's analysis, with the filters."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(
        parameters=[*FILTERS[:-1], OpenApiParameter("page", int)], responses=DRILL_RESPONSES
    )
    def get(self, request, slug, cell):
        return _endpoint_patients(request, self, _saved(slug).definition, cell)


def _saved(slug: str) -> SavedEndpoint:
    saved = SavedEndpoint.objects.filter(slug=slug).first()
    if saved is None:
        raise NotFound("No saved endpoint of that name.")
    return saved


def _endpoint_patients(request, view, definition, cell: str) -> Response:
    cohort = build_cohort(access.patients(request.user), _filters(request).cohort_filter())
    return patients_behind_response(request, view, endpoint_spec(definition), cohort, cell)


class EndpointAnalysisView(APIView):
    """A saved endpoint's analysis on the caller's patients, with the cohort filters."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(parameters=FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, slug):
        return Response(_computed(request, _saved(slug).definition).result)


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
        saved = _saved(slug)
        return endpoint_file(_computed(request, saved.definition), filename, saved.slug)


class SnapshotSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="code", help_text="The snapshot ID, e.g. SNAP-2026-0001.")
    url = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="freezing, frozen or failed")
    analyst = serializers.SlugRelatedField(slug_field="username", read_only=True)
    centres = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    job = serializers.SerializerMethodField(help_text="The freezing job's status URL.")
    reports = serializers.SerializerMethodField(help_text="Report name -> its URL.")

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "url",
            "page",
            "name",
            "status",
            "analyst",
            "data_cutoff",
            "created_at",
            "frozen_at",
            "filters",
            "centres",
            "data_version",
            "selection",
            "quality",
            "datasets",
            "job",
            "reports",
        ]
        read_only_fields = fields

    def get_url(self, snapshot) -> str:
        return reverse("api:snapshot-detail", args=[snapshot.code])

    def get_page(self, snapshot) -> str:
        return snapshot.get_absolute_url()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_job(self, snapshot) -> str | None:
        return reverse("api:job-detail", args=[snapshot.job_id]) if snapshot.job_id else None

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_reports(self, snapshot) -> dict:
        return {
            name: reverse("api:snapshot-report", args=[snapshot.code, name]) for name in REPORTS
        }


class SnapshotFreezeSerializer(serializers.Serializer):
    """What a freeze takes: the page's form and the cohort filters (docs/analytics.md)."""

    name = serializers.CharField(max_length=200)
    data_cutoff = serializers.DateField()
    centre = serializers.ListField(child=serializers.CharField(), required=False)
    mbc_from = serializers.DateField(required=False)
    mbc_to = serializers.DateField(required=False)
    presentation = serializers.ChoiceField(Presentation.choices, required=False)
    subtype = serializers.CharField(required=False)
    review = serializers.ChoiceField(["reviewed", "unreviewed"], required=False)


class SnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Analysis snapshots you may see (every centre of theirs is yours), newest first."""

    serializer_class = SnapshotSerializer
    permission_classes = [permissions.IsAuthenticated, SnapshotAccess]
    lookup_field = "code"
    lookup_url_kwarg = "snapshot"
    lookup_value_regex = r"SNAP-[0-9]{4}-[0-9]{4,}"
    filter_backends = []

    def get_queryset(self):
        return (
            snapshots.visible_snapshots(self.request.user)
            .select_related("analyst", "job")
            .prefetch_related("centres")
        )

    def frozen(self) -> Snapshot:
        snapshot = self.get_object()
        if snapshot.state != Snapshot.State.READY:
            raise NotFound(f"{snapshot.code} is not frozen yet; its job says how far it got.")
        return snapshot

    @extend_schema(request=SnapshotFreezeSerializer, responses=JOB_ACCEPTED)
    def create(self, request):
        """Freeze a snapshot: 202 with the freezing job (Location) and the snapshot's URL."""
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": ["Send a JSON object."]})
        snapshot, form, filters = freeze_from(request.user, request.data)
        if snapshot is None:
            raise ValidationError({**form.errors, **filters.errors})
        response = accepted(snapshot.job)
        response.data["snapshot"] = reverse("api:snapshot-detail", args=[snapshot.code])
        return response

    @extend_schema(
        parameters=[OpenApiParameter("by_centre", bool)], responses={200: OpenApiTypes.OBJECT}
    )
    @action(detail=True, url_path=r"reports/(?P<report>[a-z-]+)", url_name="report")
    def report(self, request, snapshot=None, report=None):
        """A report computed from the snapshot's frozen datasets (docs/analytics.md)."""
        if report not in REPORTS:
            raise NotFound(f"No report '{report}'; use one of {', '.join(REPORTS)}.")
        by_centre = request.query_params.get("by_centre", "") not in ("", "0", "false", "False")
        frozen = self.frozen()
        return Response(snapshots.snapshot_result(frozen, REPORTS[report], by_centre=by_centre))

    @extend_schema(parameters=[OpenApiParameter("page", int)], responses=DRILL_RESPONSES)
    @action(
        detail=True,
        url_path=r"reports/(?P<report>[a-z-]+)/counts/(?P<cell>.+)/patients",
        url_name="report-patients",
    )
    def report_patients(self, request, snapshot=None, report=None, cell=None):
        """The patients behind one count of a snapshot's report, from what it froze (the
        patients counted then, whatever was edited since)."""
        if report not in REPORTS:
            raise NotFound(f"No report '{report}'; use one of {', '.join(REPORTS)}.")
        cohort = snapshots.snapshot_cohort(self.frozen())
        return patients_behind_response(request, self, REPORTS[report], cohort, cell)

    @extend_schema(
        parameters=[OpenApiParameter("to", str, required=True, description="A snapshot ID.")],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True)
    def diff(self, request, snapshot=None):
        """The patients that entered, left or changed group from this snapshot to `to`."""
        before = self.frozen()
        to = request.query_params.get("to", "")
        after = self.get_queryset().filter(code=to, state=Snapshot.State.READY).first()
        if after is None:
            raise ValidationError({"to": [f"No frozen snapshot '{to}' that you may see."]})
        return Response(snapshot_diff(before, after))
