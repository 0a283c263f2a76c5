"""Background jobs: long work (imports, case exports) that a user starts and follows.

A job keeps what it needs to run (the uploaded file, the export's filters) and what it
produced (located errors, a summary, a file to download), so nothing waits in the session
and a worker on another machine can run it. Its live progress is kept outside the database
while it runs (`registry.jobs`), and written here when it ends.
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", "Case import"
        EXPORT = "export", "Case export"
        RULES = "rules", "Data-quality rule run"
        SNAPSHOT = "snapshot", "Analysis snapshot"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (State.SUCCEEDED, State.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    dry_run = models.BooleanField(default=False, help_text="An import that checks, never writes.")
    checked_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="imports",
        help_text="The dry run whose stored file this import writes.",
    )
    parameters = models.JSONField(default=dict, blank=True)
    input_name = models.CharField(max_length=255, blank=True)
    input_content = models.BinaryField(blank=True, default=b"")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    progress_message = models.CharField(max_length=200, blank=True)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    result_content = models.BinaryField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The task backend's id.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_recent")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("registry:job-detail", args=[self.pk])

    @property
    def title(self) -> str:
        if self.kind == self.Kind.IMPORT:
            verb = "Check of" if self.dry_run else "Import of"
            return f"{verb} {self.input_name}"
        if self.kind == self.Kind.RULES:
            return "Data-quality rule run"
        if self.kind == self.Kind.SNAPSHOT:
            return f"Freezing of the analysis snapshot {self.parameters.get('snapshot', '')}"
        return f"Case export ({self.parameters.get('output', 'json').upper()})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def has_result_file(self) -> bool:
        return bool(self.result_name)
