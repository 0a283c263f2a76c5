"""Computed report results, shared by every web worker, job worker and command."""

from django.db import models


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
