"""Derived facts per patient, per CR episode and per treatment line.

They are recomputed by `services.patient_summary_refresh` (work done in
`registry.derived`) in the same transaction as every write to the patient's records,
from the one implementation in `registry.domain.analysis`; never edited by hand and not
audited (the records they come from are). Lists filter on them and reports read them,
one row per patient, episode or line (docs/decisions/0014-derived-analysis-tables.md).
Field names are the analysis datasets' column names (`analytics.columns`), except the
four the patient list already used (`registry.derived.PATIENT_FIELDS` maps them).
"""

from django.db import models

from registry.domain.biology import Subtype

LONG_TEXT = 100  # an OPD selection step or a regimen group, spelled out


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
    # The data version reads the newest refresh (selectors.data_version) on every report
    # and home page: without the index, a sort of every patient's row (15 ms at 100,000).
    refreshed_at = models.DateTimeField(auto_now=True, db_index=True)

    hr_status = models.CharField(max_length=10, default="unknown")
    her2_status = models.CharField(max_length=10, default="unknown")
    subtype_group = models.CharField(max_length=16, default=Subtype.UNKNOWN)
    sites_at_mbc_diagnosis = models.PositiveSmallIntegerField(default=0)
    site_bone_at_mbc_diagnosis = models.BooleanField(default=False)
    site_liver_at_mbc_diagnosis = models.BooleanField(default=False)
    site_lung_at_mbc_diagnosis = models.BooleanField(default=False)
    site_pleura_at_mbc_diagnosis = models.BooleanField(default=False)
    site_brain_at_mbc_diagnosis = models.BooleanField(default=False)
    site_distant_nodes_at_mbc_diagnosis = models.BooleanField(default=False)
    site_skin_soft_tissue_at_mbc_diagnosis = models.BooleanField(default=False)
    site_peritoneum_at_mbc_diagnosis = models.BooleanField(default=False)
    site_other_at_mbc_diagnosis = models.BooleanField(default=False)
    evaluable_for_response = models.BooleanField(default=False)
    reached_cr = models.BooleanField(default=False)
    cr_more_than_once = models.BooleanField(default=False)
    first_cr_line = models.PositiveSmallIntegerField(null=True)
    first_cr_during_maintenance = models.BooleanField(null=True)
    regimen_group_at_first_cr = models.CharField(max_length=LONG_TEXT, null=True)  # noqa: DJ001
    cr_episodes_during_maintenance = models.PositiveSmallIntegerField(default=0)
    local_approach_before_first_cr = models.BooleanField(null=True)
    single_site_at_first_cr = models.BooleanField(null=True)
    cr_duration_months = models.FloatField(null=True)
    cr_duration_event = models.BooleanField(null=True)
    dead = models.BooleanField(default=False)
    death_date = models.DateField(null=True)
    follow_up_from_mbc_months = models.FloatField(null=True)
    alive_at_last_contact = models.BooleanField(default=True)
    opd_selection = models.CharField(max_length=LONG_TEXT, default="")
    in_opd_cohort = models.BooleanField(default=False)
    line_at_opd = models.PositiveSmallIntegerField(null=True)
    # Text columns are None, not "", where the dataset has no value (no OPD; episode ongoing).
    regimen_at_opd = models.CharField(max_length=20, null=True)  # noqa: DJ001
    regimen_group_at_opd = models.CharField(max_length=LONG_TEXT, null=True)  # noqa: DJ001
    pre_opd_pfs_months = models.FloatField(null=True)
    pre_opd_pfs_group = models.CharField(max_length=16, null=True)  # noqa: DJ001
    opd_surgery_date = models.DateField(null=True)
    regimen_group_at_opd_surgery = models.CharField(max_length=LONG_TEXT, null=True)  # noqa: DJ001
    opd_to_surgery_months = models.FloatField(null=True)
    opd_surgery_lumpectomy = models.BooleanField(null=True)
    opd_surgery_mastectomy = models.BooleanField(null=True)
    opd_surgery_sentinel_node_biopsy = models.BooleanField(null=True)
    opd_surgery_axillary_dissection = models.BooleanField(null=True)
    line_continued_after_surgery = models.BooleanField(null=True)
    ps_pfs_months = models.FloatField(null=True)
    ps_pfs_event = models.BooleanField(null=True)
    follow_up_from_opd_months = models.FloatField(null=True)

    class Meta:
        verbose_name_plural = "patient summaries"

    def __str__(self) -> str:
        return f"Summary of {self.patient_id}"


class CrEpisodeSummary(models.Model):
    """One CR episode of a patient, numbered by date (`registry.domain.analysis`)."""

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.CASCADE, related_name="cr_episode_summaries"
    )
    episode = models.PositiveSmallIntegerField()
    first_cr_date = models.DateField()
    line = models.PositiveSmallIntegerField()
    during_maintenance = models.BooleanField()
    ended_on = models.DateField(null=True)
    ended_by = models.CharField(max_length=20, null=True)  # noqa: DJ001
    duration_months = models.FloatField(null=True)
    progression_or_death = models.BooleanField(null=True)

    class Meta:
        verbose_name = "CR episode summary"
        verbose_name_plural = "CR episode summaries"
        constraints = [
            models.UniqueConstraint(fields=["patient", "episode"], name="one_row_per_cr_episode")
        ]

    def __str__(self) -> str:
        return f"CR episode {self.episode} of {self.patient_id}"


class LineSummary(models.Model):
    """One treatment line of a patient: evaluable on it, and whether a CR episode is its."""

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.CASCADE, related_name="line_summaries"
    )
    line = models.PositiveSmallIntegerField()
    regimen = models.CharField(max_length=20)
    regimen_group = models.CharField(max_length=LONG_TEXT, default="")
    start_date = models.DateField(null=True)  # null only for rows stored before the column
    maintenance_start_date = models.DateField(null=True)
    end_date = models.DateField(null=True)
    end_reason = models.CharField(max_length=15, null=True)  # noqa: DJ001
    evaluable = models.BooleanField()
    cr = models.BooleanField()

    class Meta:
        verbose_name_plural = "line summaries"
        constraints = [models.UniqueConstraint(fields=["patient", "line"], name="one_row_per_line")]

    def __str__(self) -> str:
        return f"Line {self.line} of {self.patient_id}"


class ProgressionSummary(models.Model):
    """One date of progression of a patient (a progression event or a PD assessment, the same
    day once): what every time-to-event endpoint with progression reads."""

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.CASCADE, related_name="progression_summaries"
    )
    progression = models.PositiveSmallIntegerField()
    progression_date = models.DateField()
    progression_event = models.BooleanField()
    pd_assessment = models.BooleanField()

    class Meta:
        verbose_name_plural = "progression summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "progression"], name="one_row_per_progression"
            )
        ]

    def __str__(self) -> str:
        return f"Progression {self.progression} of {self.patient_id}"
