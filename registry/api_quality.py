"""Queries in the API: list, read and raise them; answer, close and reopen them. A case's
review and lock: read them, review, lock and unlock.

The same scoping (`access.data_queries`: the user's centres, never for analysts), the same
rules and the same audit trail as the pages, through `registry.quality_services`. A refused
step answers 400 with a JSON body naming the field, a step the user may not take 403, a
query of another centre 404 (as a missing one).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access, quality_services
from .models import CaseStatus, DataQuery, QueryStep


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


# --- review and lock of a case --------------------------------------------------------------


class CaseStatusSerializer(serializers.Serializer):
    """A case's source review and its lock for analysis, as the case page shows them."""

    registry_id = serializers.CharField()
    reviewed = serializers.BooleanField(help_text="Reviewed, and not changed since.")
    review_outdated = serializers.BooleanField(help_text="Reviewed, then changed by an edit.")
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = serializers.CharField(allow_null=True, help_text="Username.")
    review_note = serializers.CharField(allow_blank=True)
    review_outdated_at = serializers.DateTimeField(allow_null=True)
    locked = serializers.BooleanField()
    locked_at = serializers.DateTimeField(allow_null=True)
    locked_by = serializers.CharField(allow_null=True, help_text="Username.")
    lock_reason = serializers.CharField(allow_blank=True)


def _status_data(patient, case_status: CaseStatus | None) -> dict:
    case_status = case_status or CaseStatus(patient=patient)
    return {
        "registry_id": patient.registry_id,
        "reviewed": case_status.is_reviewed,
        "review_outdated": case_status.review_is_outdated,
        "reviewed_at": case_status.reviewed_at,
        "reviewed_by": case_status.reviewed_by.get_username() if case_status.reviewed_by else None,
        "review_note": case_status.review_note,
        "review_outdated_at": case_status.review_outdated_at,
        "locked": case_status.is_locked,
        "locked_at": case_status.locked_at,
        "locked_by": case_status.locked_by.get_username() if case_status.locked_by else None,
        "lock_reason": case_status.lock_reason,
    }


class CaseStepAccess(permissions.BasePermission):
    """Reading a case's status needs a role (as its page); each step names who takes it."""

    def has_permission(self, request, view):
        user = request.user
        step = getattr(view, "step", None)
        if step is None or request.method in permissions.SAFE_METHODS:
            return bool(access.roles(user)) or user.is_superuser
        self.message = step.refusal
        return step.may(user)


class CaseStatusView(APIView):
    """The case's source review and lock: who reviewed and locked it, when, and why."""

    permission_classes = [CaseStepAccess]
    http_method_names = ["get", "head", "options"]

    def patient(self, request, registry_id):
        """The case among the user's visible patients; another centre's is not found."""
        patient = access.patients(request.user).filter(registry_id=registry_id).first()
        if patient is None:
            raise NotFound()
        return patient

    def respond(self, patient) -> Response:
        status_row = (
            CaseStatus.objects.filter(patient=patient)
            .select_related("reviewed_by", "locked_by")
            .first()
        )
        return Response(CaseStatusSerializer(_status_data(patient, status_row)).data)

    @extend_schema(responses={200: CaseStatusSerializer, 404: OpenApiTypes.OBJECT})
    def get(self, request, registry_id):
        return self.respond(self.patient(request, registry_id))


class CaseReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class CaseReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300, help_text="Required."
    )


CASE_STEP_RESPONSES = {
    200: CaseStatusSerializer,
    400: OpenApiTypes.OBJECT,
    403: OpenApiTypes.OBJECT,
    404: OpenApiTypes.OBJECT,
}


@dataclass(frozen=True)
class CaseStep:
    """Who takes a step of a case's review and lock, what they send, and its service."""

    may: Callable[[object], bool]
    refusal: str
    request: type[serializers.Serializer]
    take: Callable[..., object]


REVIEW = CaseStep(
    access.is_auditor,
    "Only auditors mark a case reviewed.",
    CaseReviewSerializer,
    lambda user, patient, data: quality_services.case_review(
        user=user, patient=patient, note=data["note"]
    ),
)
LOCK = CaseStep(
    access.may_raise_queries,
    "Only auditors and administrators lock cases.",
    CaseReasonSerializer,
    lambda user, patient, data: quality_services.case_lock(
        user=user, patient=patient, reason=data["reason"]
    ),
)
UNLOCK = CaseStep(
    lambda user: user.is_superuser,
    "Only an administrator unlocks a case.",
    CaseReasonSerializer,
    lambda user, patient, data: quality_services.case_unlock(
        user=user, patient=patient, reason=data["reason"]
    ),
)


class CaseStepView(CaseStatusView):
    """A step of the case's review and lock, through `quality_services` as on the pages."""

    http_method_names = ["post", "options"]
    step: CaseStep

    def take(self, request, registry_id) -> Response:
        patient = self.patient(request, registry_id)
        body = request.data if isinstance(request.data, dict) else {}
        serializer = self.step.request(data=body)
        serializer.is_valid(raise_exception=True)
        self.step.take(request.user, patient, serializer.validated_data)
        return self.respond(patient)


class CaseReviewView(CaseStepView):
    step = REVIEW

    @extend_schema(request=CaseReviewSerializer, responses=CASE_STEP_RESPONSES)
    def post(self, request, registry_id):
        """Mark the case reviewed against the source documents (auditors); a later edit
        makes the review outdated."""
        return self.take(request, registry_id)


class CaseLockView(CaseStepView):
    step = LOCK

    @extend_schema(request=CaseReasonSerializer, responses=CASE_STEP_RESPONSES)
    def post(self, request, registry_id):
        """Lock the case for an analysis, saying why in `reason` (auditors and
        administrators): its patient and records refuse every change until unlocked."""
        return self.take(request, registry_id)


class CaseUnlockView(CaseStepView):
    step = UNLOCK

    @extend_schema(request=CaseReasonSerializer, responses=CASE_STEP_RESPONSES)
    def post(self, request, registry_id):
        """Unlock the case (administrators), saying why in `reason`."""
        return self.take(request, registry_id)
