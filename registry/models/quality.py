"""Data quality you can act on: queries to the data managers, review and lock of a case.

A query (REDCap's data resolution workflow, OpenClinica's discrepancy note) asks about a
patient, one of its records or one field of it; its thread (`QueryStep`) keeps every
step and is never deleted. `CaseStatus` holds a case's source-data review and its lock
for analysis; both models are audited, so each review, lock and unlock has who, when, why.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .trace import audited


class QueryState(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class DataQuery(models.Model):
    """A question about a case's data, raised by an auditor to the centre's data managers.

    The record is named by its kind's slug and id, not a foreign key: a query outlives a
    deleted record, and its thread still says what was asked about what.
    """

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="data_queries"
    )
    record_kind = models.CharField(
        max_length=20, blank=True, help_text="The record kind's slug; empty for the patient row."
    )
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    field_name = models.CharField(max_length=60, blank=True)
    question = models.TextField()
    proposed_value = models.CharField(max_length=200, blank=True)
    origin = models.CharField(
        max_length=80,
        blank=True,
        help_text="What raised it when not a person's own reading, e.g. 'rule:ihc2-without-ish'.",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assigned_queries"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_queries"
    )
    state = models.CharField(max_length=10, choices=QueryState.choices, default=QueryState.OPEN)
    raised_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    class Meta:
        verbose_name = "query"
        verbose_name_plural = "queries"
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["patient", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(record_kind="", record_id__isnull=True)
                | (~models.Q(record_kind="") & models.Q(record_id__isnull=False)),
                name="query_record_named_by_kind_and_id",
            ),
        ]

    def __str__(self) -> str:
        return f"Query #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == QueryState.OPEN

    @property
    def reason_text(self) -> str:
        """The audit reason of a data change made to answer this query."""
        return f"Query #{self.pk}: {self.question}"[:300]


class QueryStep(models.Model):
    """One step of a query's thread: who did what, when, and the data it changed."""

    class Action(models.TextChoices):
        RAISED = "raised", "Raised"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"

    query = models.ForeignKey(DataQuery, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(max_length=10, choices=Action.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True)
    field_name = models.CharField(max_length=60, blank=True)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    history = audited()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.query}: {self.get_action_display()}"

    @property
    def changed_data(self) -> bool:
        return bool(self.field_name)


class CaseStatus(models.Model):
    """A case's source-data review and its lock for analysis (one row per patient).

    An edit after the review sets `review_outdated_at` (services refuse edits of a locked
    case and mark a reviewed one outdated in the same step), so "reviewed" never silently
    covers data nobody reviewed.
    """

    patient = models.OneToOneField(
        "registry.Patient", on_delete=models.PROTECT, related_name="case_status"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.CharField(max_length=300, blank=True)
    review_outdated_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lock_reason = models.CharField(max_length=300, blank=True)
    history = audited()

    class Meta:
        verbose_name = "case review and lock"
        verbose_name_plural = "case reviews and locks"

    def __str__(self) -> str:
        return f"Review and lock of {self.patient_id}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None and self.review_outdated_at is None

    @staticmethod
    def reviewed(via: str = "") -> models.Q:
        """`is_reviewed` as a query condition: a review no edit has outdated since. `via`
        names the relation from another model, e.g. "case_status__" from a patient."""
        return models.Q(
            **{f"{via}reviewed_at__isnull": False, f"{via}review_outdated_at__isnull": True}
        )

    @property
    def review_is_outdated(self) -> bool:
        return self.reviewed_at is not None and self.review_outdated_at is not None

    def lock_message(self, registry_id: str) -> str:
        who = (self.locked_by.get_full_name() or self.locked_by.username) if self.locked_by else ""
        since = f"{timezone.localtime(self.locked_at):%d/%m/%Y}"
        return (
            f"{registry_id} is locked for analysis since {since} by {who}; "
            "an administrator must unlock it."
        )
