"""REST API: the same roles, centre scoping, rules, services and audit trail as the pages.

Serializers only translate; writes go through `registry.services`, whole cases and files
through `registry.exchange`. Reads are scoped by `registry.access` (another centre's record
is a 404). Analysts get de-identified patients. A change reason may be sent in the
`X-Change-Reason` header; it is kept in the audit trail. Sending the record's `version` as
`If-Match` refuses the write (409) when someone changed the record since it was read.
"""

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import access, api_jobs, exchange, jobs, services
from .converters import RegistryIdConverter
from .filters import PatientFilter
from .interop import fhir, redcap
from .models import RECORD_KINDS, Centre, Patient, RecordKind, TreatmentLine

CHANGE_REASON = OpenApiParameter(
    "X-Change-Reason",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Why the record changes; kept in the audit trail.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The record's `version` you edited from; a newer stored version gives 409.",
)
IMPORT_RESULT = inline_serializer(
    "ImportResult",
    {
        "dry_run": serializers.BooleanField(),
        "written": serializers.BooleanField(),
        "cases": serializers.IntegerField(),
        "created": serializers.DictField(child=serializers.IntegerField()),
        "updated": serializers.DictField(child=serializers.IntegerField()),
        "unchanged": serializers.DictField(child=serializers.IntegerField()),
        "errors": serializers.ListField(child=serializers.DictField()),
        "warnings": serializers.ListField(
            child=inline_serializer(
                "ImportWarning",
                {
                    "case": serializers.CharField(),
                    "where": serializers.CharField(),
                    "record_kind": serializers.CharField(),
                    "record_id": serializers.IntegerField(allow_null=True),
                    "field": serializers.CharField(),
                    "rule": serializers.CharField(),
                    "severity": serializers.CharField(),
                    "message": serializers.CharField(),
                },
            ),
            help_text="What the data-quality rules would find on the imported cases; "
            "a warning never refuses an import.",
        ),
    },
)


def exception_handler(exc, context):
    """Model rules and unreadable files become 400s with a JSON body naming each field."""
    if isinstance(exc, services.EditConflict):
        return Response(
            {
                "detail": "The record changed after the version sent in If-Match; read it "
                "again, then resend the change.",
                "current_version": exc.current.version,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, exchange.ExchangeFileError):
        exc = ValidationError({"file": [str(exc)]})
    elif isinstance(exc, ProtectedError):
        exc = ValidationError({"__all__": ["Other records depend on this one; delete them first."]})
    return drf_exception_handler(exc, context)


def change_reason(request) -> str:
    return request.headers.get("X-Change-Reason", "")[:300]


def expected_version(request) -> int | None:
    """The record version a client edits from, sent as `If-Match: <version>` (optional)."""
    header = request.headers.get("If-Match", "").strip().strip('"')
    if not header:
        return None
    if not header.isdigit():
        raise ValidationError({"If-Match": ["Send the record's version number."]})
    return int(header)


class RegistryAccess(permissions.BasePermission):
    """Reads need a role; writes need the data manager role. Centres are checked per object."""

    message = "Only data managers can change clinical data."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return bool(access.roles(request.user)) or request.user.is_superuser
        return access.is_data_manager(request.user)


# --- serializers -----------------------------------------------------------------------


class KeyField(serializers.SlugRelatedField):
    """A related object named by its key; text the database cannot hold is invalid input."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class ServiceSerializer(serializers.ModelSerializer):
    """Creates and updates through the services, so every write is checked and audited."""

    def create(self, validated_data):
        return self._save(self.Meta.model(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._save(instance, fields=list(validated_data))

    def _save(self, instance, fields=None):
        request = self.context["request"]
        expected = expected_version(request)
        try:
            if isinstance(instance, Patient):
                return services.patient_save(
                    user=request.user,
                    patient=instance,
                    reason=change_reason(request),
                    expected_version=expected,
                    fields=fields,
                )
            return services.record_save(
                user=request.user,
                record=instance,
                reason=change_reason(request),
                expected_version=expected,
                fields=fields,
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        except DjangoPermissionDenied as error:
            raise ValidationError({"patient": [str(error)]}) from None


class DerivedFactsMixin(serializers.Serializer):
    """The patient's derived facts (registry.domain, via PatientSummary), read-only."""

    subtype = serializers.CharField(source="summary.subtype", read_only=True)
    cr_episodes = serializers.IntegerField(source="summary.cr_episode_count", read_only=True)
    first_locoregional_opd_date = serializers.DateField(
        source="summary.first_locoregional_opd_date", read_only=True, allow_null=True
    )


class PatientSerializer(DerivedFactsMixin, ServiceSerializer):
    centre = KeyField(slug_field="code", queryset=Centre.objects.none())
    registry_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Leave out to get the next free registry ID.",
    )

    class Meta:
        model = Patient
        fields = [
            "registry_id",
            "centre",
            *Patient.IDENTIFYING_FIELDS,
            "sex",
            "primary_diagnosis_date",
            "mbc_diagnosis_date",
            "presentation",
            "histology",
            "archived_at",
            "version",
            "subtype",
            "cr_episodes",
            "first_locoregional_opd_date",
        ]
        read_only_fields = ["archived_at", "version"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["centre"].queryset = access.editable_centres(request.user)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["registry_id"].read_only = True
            fields["centre"].read_only = True
        return fields


class DeidentifiedPatientSerializer(DerivedFactsMixin, serializers.ModelSerializer):
    """What analysts see of a patient: no name, record number or birth date."""

    centre = serializers.CharField(source="centre.code")
    age_at_mbc_diagnosis = serializers.IntegerField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "registry_id",
            "centre",
            "age_at_mbc_diagnosis",
            "sex",
            "primary_diagnosis_date",
            "mbc_diagnosis_date",
            "presentation",
            "histology",
            "archived_at",
            "subtype",
            "cr_episodes",
            "first_locoregional_opd_date",
        ]
        read_only_fields = fields


def record_serializer(kind: RecordKind) -> type[ServiceSerializer]:
    """A serializer for one kind of patient record, keyed to the patient by registry ID."""
    model = kind.model
    related = [name for name in ("line", "meeting") if hasattr(model, f"{name}_id")]

    class RecordSerializer(ServiceSerializer):
        patient = KeyField(slug_field="registry_id", queryset=Patient.objects.none())

        class Meta:
            fields = [
                "id",
                "patient",
                *related,
                *exchange_fields(model),
                "version",
                "created_at",
                "updated_at",
            ]
            read_only_fields = ["version", "created_at", "updated_at"]

        def get_fields(self):
            fields = super().get_fields()
            request = self.context.get("request")
            if request is not None:
                user = request.user
                fields["patient"].queryset = access.patients(user, for_edit=True)
                if "line" in fields:
                    fields["line"].queryset = access.patient_records(
                        user, TreatmentLine, for_edit=True
                    )
                if "meeting" in fields:
                    fields["meeting"].queryset = access.board_meetings(user, for_edit=True)
            return fields

    RecordSerializer.Meta.model = model
    RecordSerializer.__name__ = f"{model.__name__}Serializer"
    return RecordSerializer


def exchange_fields(model) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.editable and f.name not in exchange.NOT_EXCHANGED
    ]


# --- viewsets --------------------------------------------------------------------------


def patient_representation(**kwargs) -> PolymorphicProxySerializer:
    """Full patients for data managers and auditors, de-identified ones for analysts."""
    return PolymorphicProxySerializer(
        component_name="PatientRepresentation",
        serializers=[PatientSerializer, DeidentifiedPatientSerializer],
        resource_type_field_name=None,
        **kwargs,
    )


@extend_schema_view(
    list=extend_schema(responses=patient_representation(many=True)),
    retrieve=extend_schema(responses=patient_representation()),
)
class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients of your centres. Filters as on the patient list; never deleted (archive)."""

    permission_classes = [RegistryAccess]
    lookup_field = "registry_id"
    lookup_value_regex = RegistryIdConverter.regex
    filterset_class = PatientFilter
    ordering_fields = ["registry_id", "mbc_diagnosis_date"]
    ordering = ["registry_id"]

    def get_queryset(self):
        for_edit = self.request.method not in permissions.SAFE_METHODS
        return access.patients(self.request.user, for_edit=for_edit).select_related(
            "centre", "summary"
        )

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or access.sees_identifying_data(
            self.request.user
        ):
            return PatientSerializer
        return DeidentifiedPatientSerializer

    def filter_queryset(self, queryset):
        # The list's filters (active patients by default) choose among patients; a registry
        # ID in the URL names one, archived or not, so it can be read and restored.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        request=inline_serializer("ArchiveRequest", {"reason": serializers.CharField()}),
        responses={200: PatientSerializer, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, registry_id=None):
        """Archive a patient: out of lists and reports, nothing deleted."""
        return self._archive_or_restore(request, services.patient_archive)

    @extend_schema(
        request=inline_serializer("RestoreRequest", {"reason": serializers.CharField()}),
        responses={200: PatientSerializer, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, registry_id=None):
        """Bring an archived patient back into lists and reports."""
        return self._archive_or_restore(request, services.patient_restore)

    def _archive_or_restore(self, request, service):
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        if not isinstance(reason, str):
            raise ValidationError({"reason": ["Send the reason as text."]})
        patient = service(
            user=request.user,
            patient=self.get_object(),
            reason=reason,
            expected_version=expected_version(request),
        )
        return Response(PatientSerializer(patient, context={"request": request}).data)


def record_viewset(kind: RecordKind) -> type[viewsets.ModelViewSet]:
    model = kind.model

    class RecordViewSet(viewsets.ModelViewSet):
        permission_classes = [RegistryAccess]
        serializer_class = record_serializer(kind)
        filterset_fields = {"patient__registry_id": ["exact"]}
        ordering_fields = ["id", *model.event_date_fields[:1]]
        ordering = ["id"]

        def get_queryset(self):
            for_edit = self.request.method not in permissions.SAFE_METHODS
            return access.patient_records(
                self.request.user, model, for_edit=for_edit
            ).select_related("patient", *kind.select_related)

        def perform_destroy(self, instance):
            services.record_delete(
                user=self.request.user, record=instance, reason=change_reason(self.request)
            )

    RecordViewSet.__name__ = f"{model.__name__}ViewSet"
    RecordViewSet.__doc__ = f"{kind.heading} of the patients of your centres."
    return extend_schema(parameters=[CHANGE_REASON, IF_MATCH])(RecordViewSet)


RECORD_VIEWSETS = {kind.slug: record_viewset(kind) for kind in RECORD_KINDS}


# --- whole cases, import and export ---------------------------------------------------------


def _import_response(result: exchange.ImportResult, *, created_status=status.HTTP_200_OK):
    if not result.ok:
        return Response(result.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    return Response(result.as_dict(), status=created_status)


def _dry_run(request) -> bool:
    value = request.query_params.get("dry_run", "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise ValidationError({"dry_run": ["Use true or false."]})
    return value in ("true", "1")


class CaseView(APIView):
    """A whole case: the patient with all its records, in the exchange format."""

    permission_classes = [RegistryAccess]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, registry_id):
        patients = access.patients(request.user).filter(registry_id=registry_id)
        cases = exchange.export_cases(
            patients, deidentified=not access.sees_identifying_data(request.user)
        )
        if not cases:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(cases[0])

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: IMPORT_RESULT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("dry_run", bool), CHANGE_REASON],
    )
    def put(self, request, registry_id):
        """Create or update the case atomically; records are matched by natural keys."""
        if not isinstance(request.data, dict):
            raise ValidationError({"case": ["Send one case as a JSON object."]})
        editable = access.patients(request.user, for_edit=True).filter(registry_id=registry_id)
        if not editable.exists() and Patient.objects.filter(registry_id=registry_id).exists():
            # Another centre's patient: not found, as for GET, rather than "not yours".
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        case = {**request.data, "registry_id": registry_id}
        result = exchange.import_cases(
            [exchange.Located(case, f"case {registry_id}")],
            user=request.user,
            dry_run=_dry_run(request),
            reason=change_reason(request) or "Written through the API",
        )
        return _import_response(result)


class CaseFhirView(APIView):
    """A whole case as a FHIR R4 Bundle (collection) following mCODE STU3, in
    `application/fhir+json`: de-identified for analysts (docs/fhir-mcode.md)."""

    permission_classes = [RegistryAccess]

    @extend_schema(
        responses={
            (200, fhir.CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The case's mCODE bundle."
            ),
            (404, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="Not found, or not in your centres."
            ),
        }
    )
    def get(self, request, registry_id):
        document = fhir.case_bundle(request.user, registry_id)
        if document is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        response = HttpResponse(fhir.bundle_bytes(document), content_type=fhir.CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="{registry_id}.fhir.json"'
        return response


class ImportView(APIView):
    """Check or import many cases from a JSON document or an XLSX workbook, as a background
    job: all or nothing. Answers 202 with the job to follow (`Location`, `url`)."""

    permission_classes = [RegistryAccess]

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": inline_serializer(
                "ImportUpload", {"file": serializers.FileField()}
            ),
        },
        responses=api_jobs.JOB_ACCEPTED,
        parameters=[OpenApiParameter("dry_run", bool)],
    )
    def post(self, request):
        try:
            upload = request.FILES.get("file")
        except UnsupportedMediaType:  # e.g. multipart without its boundary: no file in it
            upload = None
        if upload is not None:
            name, content = upload.name, upload.read()
        elif request.content_type.startswith("application/json"):
            name, content = "request.json", json.dumps(request.data).encode()
        else:
            raise ValidationError({"file": ["Upload a .json or .xlsx file, or send JSON."]})
        job = jobs.start_import(
            user=request.user, name=name, content=content, dry_run=_dry_run(request)
        )
        return api_jobs.accepted(job)


class RedcapImportView(APIView):
    """Check or import a REDCap project (data dictionary, raw records CSV and mapping, as
    multipart files; docs/redcap.md) as a background job: all or nothing, every error in
    REDCap's terms. Answers 202 with the job to follow (`Location`, `url`)."""

    permission_classes = [RegistryAccess]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "RedcapUpload",
                {
                    "dictionary": serializers.FileField(help_text="The data dictionary (CSV)."),
                    "records": serializers.FileField(help_text="The records export (raw CSV)."),
                    "mapping": serializers.FileField(help_text="The mapping (YAML or JSON)."),
                },
            ),
        },
        responses=api_jobs.JOB_ACCEPTED,
        parameters=[OpenApiParameter("dry_run", bool)],
    )
    def post(self, request):
        try:
            uploads = {part: request.FILES.get(part) for part in redcap.PARTS}
        except UnsupportedMediaType:  # e.g. multipart without its boundary
            uploads = {}
        missing = [part for part in redcap.PARTS if uploads.get(part) is None]
        if missing:
            raise ValidationError({part: ["Upload this file."] for part in missing})
        files = redcap.ProjectFiles(
            **{part: (upload.name, upload.read()) for part, upload in uploads.items()}
        )
        job = jobs.start_redcap_import(user=request.user, files=files, dry_run=_dry_run(request))
        return api_jobs.accepted(job)


class ExportView(APIView):
    """The cases you may see, filtered like the patient list, as JSON or an XLSX workbook:
    GET answers with the file; POST makes it in a background job (202), for large exports.
    A FHIR mCODE bundle of the cases (`output=fhir`) is made by POST only: it is checked
    against the FHIR models before it is handed out, which takes a worker's time."""

    permission_classes = [permissions.IsAuthenticated]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not (access.roles(request.user) or request.user.is_superuser):
            self.permission_denied(request, message="You have no role in the registry.")

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("output", str, enum=["json", "xlsx", "fhir"])],
        responses=api_jobs.JOB_ACCEPTED,
    )
    def post(self, request):
        job = jobs.start_export(
            user=request.user,
            query=request.query_params,
            output=request.query_params.get("output", "json"),
        )
        return api_jobs.accepted(job)

    @extend_schema(
        parameters=[OpenApiParameter("output", str, enum=["json", "xlsx"])],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): (
                OpenApiTypes.BINARY
            ),
        },
    )
    def get(self, request):
        fmt = request.query_params.get("output", "json")
        if fmt == "fhir":
            raise ValidationError(
                {"output": ["A FHIR bundle of many cases is made in a background job: POST it."]}
            )
        if fmt not in ("json", "xlsx"):
            raise ValidationError({"output": ["Use json or xlsx."]})
        queryset = access.patients(request.user)
        filterset = PatientFilter(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        deidentified = not access.sees_identifying_data(request.user)
        document = exchange.export_document(filterset.qs, deidentified=deidentified)
        if fmt == "json":
            response = Response(document)
            response["Content-Disposition"] = 'attachment; filename="mbc-cases.json"'
            return response
        content = exchange.tables_to_xlsx(
            exchange.cases_to_tables(document["cases"]), deidentified=deidentified
        )
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="mbc-cases.xlsx"'
        return response
