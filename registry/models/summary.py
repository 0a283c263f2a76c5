"""Derived facts per patient, kept for filtering and listing.

They are recomputed by `services.patient_summary_refresh` in the same transaction as
every write to the patient's records, from the one implementation in
`registry.domain`; never edited by hand and not audited (the records they come from are).
"""

from django.db import models

from registry.domain.biology import Subtype


class PatientSummary(models.Model):
    patient = models.OneToOneField(
        "registry.Patient", on_delete=models.CASCADE, related_name="summary", primary_key=True
    )
    subtype = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in Subtype], default=Subtype.UNKNOWN
    )
    cr_episode_count = models.PositiveSmallIntegerField(default=0)
    first_cr_date = models.DateField(null=True)
    first_locoregional_opd_date = models.DateField(null=True)
    line_count = models.PositiveSmallIntegerField(default=0)
    last_contact = models.DateField(null=True)
    status_at_last_contact = models.CharField(max_length=20, default="unknown")
    warning_count = models.PositiveSmallIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "patient summaries"

    def __str__(self) -> str:
        return f"Summary of {self.patient_id}"

    @property
    def reached_cr(self) -> bool:
        return self.cr_episode_count > 0
