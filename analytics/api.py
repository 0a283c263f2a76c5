"""The reports and the analysis snapshots as JSON endpoints: the same filters, keys and
rules as the pages and the command."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry.api_jobs import JOB_ACCEPTED, accepted
from registry.models.vocabularies import Presentation

from . import snapshots
from .catalogue import REPORTS
from .computed import computed_report
from .filters import CohortFilterSet
from .models import Snapshot
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


class SnapshotAccess(permissions.BasePermission):
    message = "Snapshots are for analysts and auditors."

    def has_permission(self, request, view):
        return access.can_view_reports(request.user)


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
