"""Findings of the data-quality rules, with the status a person gave them.

One row per (rule, patient, record, field), kept for good: a finding the rules stop
producing becomes *fixed* (set by the recompute, never by hand), one a person knows to be
right is *confirmed* with the reason, and stays so on every later run. Every status change
is audited. The rules themselves live in `registry.domain.quality_rules`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .trace import audited


class FindingStatus(models.TextChoices):
    NEW = "new", "New"
    CONFIRMED = "confirmed", "Confirmed as correct"
    FIXED = "fixed", "Fixed"


OPEN_FINDING = (FindingStatus.NEW,)


class Finding(models.Model):
    """What a rule found on a patient, a record (kind slug + id) or one field of it."""

    rule = models.CharField(max_length=40, help_text="The rule's stable code.")
    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="findings"
    )
    record_kind = models.CharField(
        max_length=20, blank=True, help_text="The record kind's slug; empty for the patient row."
    )
    record_id = models.PositiveBigIntegerField(default=0, help_text="0 for the patient row.")
    field_name = models.CharField(max_length=60, blank=True)
    message = models.CharField(max_length=300)
    status = models.CharField(
        max_length=10, choices=FindingStatus.choices, default=FindingStatus.NEW
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why a confirmed finding is correct as entered."
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    fixed_at = models.DateTimeField(null=True, blank=True)
    query = models.OneToOneField(
        "registry.DataQuery",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="finding",
        help_text="The query this finding was turned into.",
    )
    history = audited()

    class Meta:
        ordering = ["patient_id", "rule", "record_kind", "record_id", "field_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "patient", "record_kind", "record_id", "field_name"],
                name="one_finding_per_rule_and_place",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="confirmed") | ~models.Q(reason=""),
                name="confirmed_finding_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "rule"]),
            models.Index(fields=["patient", "status"]),
        ]

    def __str__(self) -> str:
        return f"Finding #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FINDING

    @property
    def key(self) -> tuple[str, int, str, int, str]:
        return (self.rule, self.patient_id, self.record_kind, self.record_id, self.field_name)
