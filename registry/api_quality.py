"""Queries in the API: list, read and raise them; answer, close and reopen them.

The same scoping (`access.data_queries`: the user's centres, never for analysts), the same
rules and the same audit trail as the pages, through `registry.quality_services`. A refused
step answers 400 with a JSON body naming the field, a step the user may not take 403, a
query of another centre 404 (as a missing one).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import access, quality_services
from .models import DataQuery, QueryStep


class QueryAccess(permissions.BasePermission):
    """Data managers and auditors (queries quote identifying values; analysts see none)."""

    message = "Only data managers and auditors work on queries."

    def has_permission(self, request, view):
        return access.sees_identifying_data(request.user)


class QueryStepSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = QueryStep
        fields = ["action", "author", "at", "text", "field_name", "old_value", "new_value"]


class QuerySerializer(serializers.ModelSerializer):
    patient = serializers.SlugRelatedField(slug_field="registry_id", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    raised_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    steps = QueryStepSerializer(many=True, read_only=True)

    class Meta:
        model = DataQuery
        fields = [
            "id",
            "patient",
            "record_kind",
            "record_id",
            "field_name",
            "question",
            "proposed_value",
            "origin",
            "assignee",
            "raised_by",
            "state",
            "raised_at",
            "updated_at",
            "steps",
        ]


class QueryRaiseSerializer(serializers.Serializer):
    patient = serializers.CharField(help_text="The patient's registry ID.")
    record_kind = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A record kind's slug."
    )
    record_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    field_name = serializers.CharField(required=False, allow_blank=True, default="")
    question = serializers.CharField(max_length=2000)
    proposed_value = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    assignee = serializers.CharField(help_text="Username of a data manager of the centre.")


class QueryAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    change_value = serializers.BooleanField(required=False, default=False)
    new_value = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class QueryStepTextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class QueryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Queries on the patients of your centres. Filter by `state`, `assignee`, `patient`."""

    permission_classes = [QueryAccess]
    serializer_class = QuerySerializer
    filterset_fields = {
        "state": ["exact"],
        "assignee__username": ["exact"],
        "patient__registry_id": ["exact"],
    }
    ordering_fields = ["id", "raised_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return (
            access.data_queries(self.request.user)
            .select_related("patient", "assignee", "raised_by")
            .prefetch_related("steps__author")
        )

    def _respond(self, query, code=status.HTTP_200_OK):
        query = self.get_queryset().get(pk=query.pk)
        return Response(QuerySerializer(query, context={"request": self.request}).data, code)

    @extend_schema(
        request=QueryRaiseSerializer,
        responses={201: QuerySerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    def create(self, request):
        """Raise a query (auditors and administrators), assigned to a data manager."""
        data = self._valid(QueryRaiseSerializer, request)
        patient = access.patients(request.user).filter(registry_id=data["patient"]).first()
        if patient is None:
            raise ValidationError(
                {"patient": ["No patient with this registry ID in your centres."]}
            )
        assignee = get_user_model().objects.filter(username=data["assignee"]).first()
        if assignee is None:
            raise ValidationError({"assignee": ["No user with this username."]})
        query = quality_services.query_raise(
            user=request.user,
            patient=patient,
            question=data["question"],
            assignee=assignee,
            record_kind=data["record_kind"],
            record_id=data["record_id"],
            field_name=data["field_name"],
            proposed_value=data["proposed_value"],
        )
        return self._respond(query, status.HTTP_201_CREATED)

    @extend_schema(
        request=QueryAnswerSerializer,
        responses={200: QuerySerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer an open query; with `change_value`, the field takes `new_value` (audited
        with the query as the reason, in the same transaction)."""
        query = self.get_object()
        data = self._valid(QueryAnswerSerializer, request)
        return self._respond(quality_services.query_answer(user=request.user, query=query, **data))

    @extend_schema(
        request=QueryStepTextSerializer,
        responses={200: QuerySerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an answered query (or withdraw an open one you raised)."""
        query = self.get_object()
        data = self._valid(QueryStepTextSerializer, request)
        return self._respond(quality_services.query_close(user=request.user, query=query, **data))

    @extend_schema(
        request=QueryStepTextSerializer,
        responses={200: QuerySerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen an answered or closed query, saying why in `text`."""
        query = self.get_object()
        data = self._valid(QueryStepTextSerializer, request)
        return self._respond(quality_services.query_reopen(user=request.user, query=query, **data))

    def _valid(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data if isinstance(request.data, dict) else {})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
