"""The data-quality rules' findings and completeness by centre in the API.

Findings are scoped as queries are (`finding_selectors.findings`: the user's centres,
never for analysts); confirming one and turning it into a query go through
`registry.finding_services`, as on the pages. A refused step answers 400 with a JSON body,
a step the user may not take 403, another centre's finding 404 (as a missing one).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access, finding_selectors, finding_services
from .api_quality import QuerySerializer
from .models import Finding


class FindingAccess(permissions.BasePermission):
    message = "Only data managers and auditors work on findings."

    def has_permission(self, request, view):
        return access.sees_identifying_data(request.user)


class FindingSerializer(serializers.ModelSerializer):
    patient = serializers.SlugRelatedField(slug_field="registry_id", read_only=True)
    confirmed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "rule",
            "patient",
            "record_kind",
            "record_id",
            "field_name",
            "message",
            "status",
            "reason",
            "confirmed_by",
            "confirmed_at",
            "found_at",
            "fixed_at",
            "query",
        ]


class ConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ToQuerySerializer(serializers.Serializer):
    assignee = serializers.CharField(help_text="Username of a data manager of the centre.")
    question = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Findings on the patients of your centres. Filter by `rule`, `status`, `patient`."""

    permission_classes = [FindingAccess]
    serializer_class = FindingSerializer
    filterset_fields = {
        "rule": ["exact"],
        "status": ["exact"],
        "patient__registry_id": ["exact"],
        "patient__centre__code": ["exact"],
    }
    ordering_fields = ["id", "found_at"]
    ordering = ["id"]

    def get_queryset(self):
        return finding_selectors.findings(self.request.user).select_related(
            "patient", "confirmed_by"
        )

    def _valid(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data if isinstance(request.data, dict) else {})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        request=ConfirmSerializer,
        responses={200: FindingSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm a new finding as correct as entered, saying why in `reason`."""
        finding = self.get_object()
        data = self._valid(ConfirmSerializer, request)
        finding_services.finding_confirm(user=request.user, finding=finding, **data)
        return Response(FindingSerializer(self.get_queryset().get(pk=finding.pk)).data)

    @extend_schema(
        request=ToQuerySerializer,
        responses={201: QuerySerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"], url_path="to-query", url_name="to-query")
    def to_query(self, request, pk=None):
        """Raise a query on the finding's patient, record and field (auditors)."""
        finding = self.get_object()
        data = self._valid(ToQuerySerializer, request)
        assignee = get_user_model().objects.filter(username=data["assignee"]).first()
        if assignee is None:
            raise ValidationError({"assignee": ["No user with this username."]})
        query = finding_services.finding_to_query(
            user=request.user, finding=finding, assignee=assignee, question=data["question"]
        )
        return Response(QuerySerializer(query).data, status=status.HTTP_201_CREATED)


class KindCompletenessSerializer(serializers.Serializer):
    kind = serializers.CharField()
    records = serializers.IntegerField()
    complete = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class CentreCompletenessSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    records = serializers.IntegerField()
    complete = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    kinds = KindCompletenessSerializer(many=True)
    findings_by_age = serializers.DictField(child=serializers.IntegerField())
    queries_by_age = serializers.DictField(child=serializers.IntegerField())


class CompletenessView(APIView):
    """Per centre you see and record kind, the share of complete records (no open finding
    of a completeness rule), and open findings and queries by age (under_7, 7_to_30,
    over_30 days)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: CentreCompletenessSerializer(many=True)})
    def get(self, request):
        centres = finding_selectors.completeness_by_centre(request.user)
        return Response(CentreCompletenessSerializer(centres, many=True).data)
