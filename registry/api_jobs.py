"""Background jobs in the API: a start answers 202 with the job's URL; the job says how it goes.

`POST /api/import/` and `POST /api/export/` start jobs (`registry.jobs`); `GET /api/jobs/<id>/`
gives state, progress, located errors and summary, `GET /api/jobs/<id>/result/` the file an
export made. A job is its owner's (administrators see all): anyone else gets 404.
"""

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import access, jobs
from .models import Job

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True, help_text="Unknown until the file is read.")
    message = serializers.CharField()


class JobErrorSerializer(serializers.Serializer):
    where = serializers.CharField(help_text="The case, sheet row or record of the file.")
    field = serializers.CharField()
    message = serializers.CharField()
    redcap = serializers.DictField(
        required=False,
        help_text="A REDCap import's error in REDCap's terms: record, event, instrument, "
        "instance, field and the line of the records file.",
    )


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This status, to poll.")
    page = serializers.SerializerMethodField(help_text="The job's page for people.")
    result_url = serializers.SerializerMethodField(help_text="The file the job made, when done.")
    progress = serializers.SerializerMethodField()
    errors = JobErrorSerializer(many=True, read_only=True)
    summary = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "page",
            "kind",
            "dry_run",
            "input_name",
            "state",
            "progress",
            "errors",
            "summary",
            "failure_reason",
            "result_url",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("api:job-detail", args=[job.pk])

    def get_page(self, job) -> str:
        return reverse("registry:job-detail", args=[job.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_result_url(self, job) -> str | None:
        if not job.has_result_file:
            return None
        return reverse("api:job-result", args=[job.pk])

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job) -> dict:
        return jobs.progress(job)


def accepted(job: Job) -> Response:
    """202 Accepted: the job's status URL in Location and in the body."""
    body = JobSerializer(job).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


JOB_ACCEPTED = {202: JobSerializer}


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your background jobs, newest first."""

    serializer_class = JobSerializer
    lookup_value_regex = UUID_PATTERN
    filter_backends = []

    def get_queryset(self):
        jobs.fail_stale()
        return access.jobs(self.request.user).defer("input_content", "result_content")

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiTypes.BINARY,
            (200, jobs.XLSX): OpenApiTypes.BINARY,
        }
    )
    @action(detail=True)
    def result(self, request, pk=None):
        """The file the job made (an export): its owner's while they may still read it."""
        job = access.get_or_404(access.jobs(request.user), pk=pk)
        if not job.has_result_file or (
            not job.summary.get("deidentified") and not access.sees_identifying_data(request.user)
        ):
            raise Http404("This job has no file for you.")
        response = HttpResponse(bytes(job.result_content), content_type=job.result_content_type)
        response["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
        return response
