"""Computed report results, shared by every web worker, job worker and command, and the
analysis snapshots (frozen datasets and their reports)."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from .endpoints import EndpointDefinition


class ReportResult(models.Model):
    """One report computed for one (report, filters, centres, data version).

    A row is never updated: a write makes a new data version, so a new key; rows of older
    versions are deleted when a newer result is stored (`analytics.computed`).
    """

    key = models.CharField(max_length=64, unique=True)
    data_version = models.CharField(max_length=64, db_index=True)
    # The JSON text as computed: PostgreSQL's jsonb would give its keys back sorted by
    # length, so the first request and the next would show tables and files in two orders.
    result = models.TextField()
    data_cutoff = models.DateField(null=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Report result {self.key[:12]} at {self.computed_at}"


class SavedEndpoint(models.Model):
    """A time-to-event endpoint an analyst defined and named (analytics.endpoints).

    It holds no patient data: every analyst and auditor may open it, each on the patients
    they may see. Created through `analytics.services.saved_endpoint_create`.
    """

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    origin = models.CharField(max_length=30)
    line = models.PositiveSmallIntegerField(null=True, blank=True)
    event = models.CharField(max_length=30)
    population = models.CharField(max_length=30, default="all")
    group_by = models.CharField(max_length=60, blank=True)
    defined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    defined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def definition(self) -> EndpointDefinition:
        return EndpointDefinition(
            self.origin, self.event, self.line, self.population, self.group_by
        )


class Snapshot(models.Model):
    """An analysis frozen at a data cut-off: its datasets and reports never change again.

    Its ID (`code`, "SNAP-2026-0001") is printed on everything made from it; snapshots are
    never deleted, so an ID is never given twice (docs/decisions/0020-analysis-snapshots.md).
    """

    class State(models.TextChoices):
        FREEZING = "freezing", "Being frozen"
        READY = "ready", "Frozen"

    code = models.CharField("snapshot ID", max_length=20, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    number = models.PositiveIntegerField(editable=False)
    name = models.CharField(max_length=200)
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="snapshots"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    data_cutoff = models.DateField(help_text="Events after this date are ignored.")
    filters = models.JSONField(help_text="The cohort filters (analytics.filters.CohortFilter).")
    centres = models.ManyToManyField("registry.Centre", related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.FREEZING)
    job = models.ForeignKey("registry.Job", on_delete=models.PROTECT, null=True, related_name="+")
    data_version = models.CharField(max_length=64, blank=True)
    selection = models.JSONField(default=dict)
    not_recorded = models.JSONField(default=dict)
    quality = models.JSONField(default=dict)
    # Selection step -> the registry IDs in doubt at it at the freeze (analytics.quality);
    # null for a snapshot frozen before they were kept.
    in_doubt = models.JSONField(null=True, default=None)
    # name -> {"columns": [...], "date_columns": [...], "rows": n}: what the chunks hold.
    datasets = models.JSONField(default=dict)

    class Meta:
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="one_snapshot_number_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("analytics:snapshot-detail", args=[self.code])

    @property
    def status(self) -> str:
        """Frozen, being frozen, or failed (its job ended without freezing it)."""
        if self.state == self.State.READY:
            return "frozen"
        if self.job is not None and self.job.state == self.job.State.FAILED:
            return "failed"
        return "freezing"


class SnapshotChunk(models.Model):
    """The rows of one dataset of a snapshot for one batch of patients, compressed JSON.

    Stored generically by dataset name, so a dataset added to `analytics.columns.DATASETS`
    is frozen with no code of its own.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="chunks")
    dataset = models.CharField(max_length=50)
    position = models.PositiveIntegerField()
    rows = models.BinaryField()

    class Meta:
        ordering = ["snapshot", "dataset", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "dataset", "position"], name="one_chunk_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset} rows, part {self.position}"


class SnapshotResult(models.Model):
    """A report computed from a snapshot's datasets, kept as the JSON text it was written as
    (byte for byte: a database's JSON type may reorder keys)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="results")
    report = models.CharField(max_length=50)
    by_centre = models.BooleanField()
    result = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "report", "by_centre"], name="one_result_per_snapshot_report"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report}{' by centre' if self.by_centre else ''}"
