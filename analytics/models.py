"""Computed report results, shared by every web worker, job worker and command."""

from django.conf import settings
from django.db import models

from .endpoints import EndpointDefinition


class ReportResult(models.Model):
    """One report computed for one (report, filters, centres, data version).

    A row is never updated: a write makes a new data version, so a new key; rows of older
    versions are deleted when a newer result is stored (`analytics.computed`).
    """

    key = models.CharField(max_length=64, unique=True)
    data_version = models.CharField(max_length=64, db_index=True)
    result = models.JSONField()
    data_cutoff = models.DateField(null=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.result.get('meta', {}).get('report', 'report')} at {self.computed_at}"


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
