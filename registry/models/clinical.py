"""Clinical records of a patient's metastatic course, each with its own rules."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from registry.domain import biology
from registry.domain.rules import event_date_error

from .base import ClinicalRecord, FieldConstraintMixin
from .checks import FieldCheck
from .vocabularies import (
    AssessmentMethod,
    DiseaseStatus,
    Her2Ihc,
    IshResult,
    LineEndReason,
    LocoregionalSite,
    ProgressionKind,
    RadiotherapyIntent,
    RadiotherapySite,
    Recist,
    RegimenCategory,
    SiteCategory,
    SiteConfirmation,
    Specimen,
    SurgeryIntent,
    VitalStatus,
)

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
PERCENT_MESSAGE = "A percentage of tumour cells is at most 100."
NOT_RECORDED_TEXT = "not recorded"


class ReceptorAssessment(ClinicalRecord):
    assessed_on = models.DateField(
        help_text="Date of the specimen (biopsy or surgery). It decides the reference "
        "assessment; without it, see docs/exchange.md, 'Receptor assessments without a "
        "specimen date'."
    )
    specimen = models.CharField(max_length=12, choices=Specimen.choices)
    er_percent = models.PositiveSmallIntegerField(
        "ER %",
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="Percentage of oestrogen-receptor positive tumour cells (0-100). "
        "Empty if not assessed.",
    )
    pr_percent = models.PositiveSmallIntegerField(
        "PR %",
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="Percentage of progesterone-receptor positive tumour cells (0-100). "
        "Empty if not assessed.",
    )
    her2_ihc = models.CharField(
        "HER2 IHC",
        max_length=2,
        choices=Her2Ihc.choices,
        blank=True,
        help_text="Empty if IHC was not done.",
    )
    her2_ish = models.CharField(
        "HER2 ISH",
        max_length=14,
        choices=IshResult.choices,
        blank=True,
        help_text="Needed for IHC 2+ before the HER2 status is final. Empty if not done.",
    )
    ki67_percent = models.PositiveSmallIntegerField(
        "Ki-67 %", null=True, blank=True, validators=PERCENT
    )

    event_date_fields = ("assessed_on",)

    class Meta:
        ordering = ["assessed_on", "pk"]
        constraints = [
            FieldCheck(
                condition=Q(er_percent__lte=100),
                name="er_percent_at_most_100",
                field="er_percent",
                violation_error_message=PERCENT_MESSAGE,
            ),
            FieldCheck(
                condition=Q(pr_percent__lte=100),
                name="pr_percent_at_most_100",
                field="pr_percent",
                violation_error_message=PERCENT_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=["patient", "assessed_on", "specimen"],
                name="unique_receptor_assessment",
            ),
        ]

    def __str__(self) -> str:
        return f"Biology {self.assessed_on:%d/%m/%Y} ({self.get_specimen_display()})"

    def as_receptors(self) -> biology.Receptors:
        return biology.Receptors(
            self.assessed_on, self.er_percent, self.pr_percent, self.her2_ihc, self.her2_ish
        )

    @property
    def hr_status(self) -> biology.HrStatus:
        return biology.hr_status(self.er_percent, self.pr_percent)

    @property
    def her2_status(self) -> biology.Her2Status:
        return biology.her2_status(self.her2_ihc, self.her2_ish)

    @property
    def subtype(self) -> biology.Subtype:
        return biology.assessment_subtype(self.as_receptors())


class MetastaticSite(FieldConstraintMixin, ClinicalRecord):
    category = models.CharField(max_length=20, choices=SiteCategory.choices)
    detected_on = models.DateField(help_text="Date the site was first detected.")
    confirmation = models.CharField(
        "how confirmed",
        max_length=12,
        choices=SiteConfirmation.choices,
        help_text="'Not recorded' when the chart does not say.",
    )
    detail = models.CharField(
        max_length=200, blank=True, help_text="Free-text detail, e.g. 'T8 and left iliac crest'."
    )

    event_date_fields = ("detected_on",)
    free_text_fields = ("detail",)

    class Meta:
        ordering = ["detected_on", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "category"], name="one_site_category_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} metastasis ({self.detected_on:%d/%m/%Y})"

    constraint_field = "category"

    def constraint_message(self) -> str:
        return "This site category is already recorded for the patient; correct that entry instead."


class TreatmentLine(FieldConstraintMixin, ClinicalRecord):
    number = models.PositiveSmallIntegerField(
        "line number",
        validators=[MinValueValidator(1)],
        help_text="1 for the first systemic regimen for metastatic disease, then 2, 3...",
    )
    regimen = models.CharField("regimen category", max_length=20, choices=RegimenCategory.choices)
    agents = models.CharField(
        max_length=200, help_text="Drugs as written in the chart, e.g. 'letrozole + palbociclib'."
    )
    start_date = models.DateField()
    maintenance_start_date = models.DateField(
        null=True,
        blank=True,
        help_text="Date induction stopped and maintenance began, if it did.",
    )
    end_date = models.DateField(null=True, blank=True, help_text="Empty while ongoing.")
    end_reason = models.CharField(
        "reason for ending", max_length=15, choices=LineEndReason.choices, blank=True
    )

    event_date_fields = ("start_date", "maintenance_start_date", "end_date")
    free_text_fields = ("agents",)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"], name="unique_line_number"),
            FieldCheck(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="line_ends_after_start",
                field="end_date",
                violation_error_message="A line cannot end before it starts.",
            ),
            # A line may be maintenance from its first day (switched for toxicity while in
            # CR, say): DEFINITIONS.md only asks that maintenance start inside its line.
            FieldCheck(
                condition=Q(maintenance_start_date__isnull=True)
                | Q(maintenance_start_date__gte=models.F("start_date")),
                name="maintenance_after_line_start",
                field="maintenance_start_date",
                violation_error_message="Maintenance cannot start before the line's start date.",
            ),
            FieldCheck(
                condition=Q(maintenance_start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(maintenance_start_date__lte=models.F("end_date")),
                name="maintenance_before_line_end",
                field="maintenance_start_date",
                violation_error_message="Maintenance must start before the line ends.",
            ),
            FieldCheck(
                condition=Q(end_date__isnull=True) | ~Q(end_reason=""),
                name="line_end_has_reason",
                field="end_reason",
                violation_error_message="Give the reason the line ended.",
            ),
            FieldCheck(
                condition=Q(end_date__isnull=False) | Q(end_reason=""),
                name="line_end_reason_has_end",
                field="end_date",
                violation_error_message="A reason for ending needs the end date.",
            ),
        ]

    def __str__(self) -> str:
        return f"Line {self.number}: {self.agents}"

    constraint_field = "number"

    def constraint_message(self) -> str:
        return f"The patient already has a line {self.number}."

    def is_running_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class ResponseAssessment(FieldConstraintMixin, ClinicalRecord):
    line = models.ForeignKey(
        TreatmentLine,
        on_delete=models.PROTECT,
        related_name="responses",
        help_text="The line running on the assessment date.",
    )
    assessed_on = models.DateField(help_text="Date of the imaging or examination.")
    category = models.CharField("RECIST 1.1 response", max_length=14, choices=Recist.choices)
    method = models.CharField(max_length=10, choices=AssessmentMethod.choices, blank=True)

    event_date_fields = ("assessed_on",)

    class Meta:
        ordering = ["assessed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "assessed_on"], name="one_response_per_day")
        ]

    def __str__(self) -> str:
        on = f"{self.assessed_on:%d/%m/%Y}"
        return f"{self.category_abbreviation} on {on} (line {self.line.number})"

    @property
    def category_abbreviation(self) -> str:
        return Recist(self.category).abbreviation

    def clean(self) -> None:
        super().clean()
        # An import gives a line created in the same write (no id yet) as the object.
        if self.assessed_on is None or not (
            self.line_id or self._meta.get_field("line").is_cached(self)
        ):
            return
        if self.line.patient_id != self.patient_id:
            raise ValidationError({"line": "This line belongs to another patient."})
        if not self.line.is_running_on(self.assessed_on):
            end = f"{self.line.end_date:%d/%m/%Y}" if self.line.end_date else "ongoing"
            raise ValidationError(
                {
                    "assessed_on": f"Line {self.line.number} was not running on this date "
                    f"(it ran {self.line.start_date:%d/%m/%Y} – {end})."
                }
            )

    constraint_field = "assessed_on"

    def constraint_message(self) -> str:
        return "This line already has a response assessment on this date."


class ProgressionEvent(ClinicalRecord):
    occurred_on = models.DateField(
        "date of progression", help_text="Date of the first radiographic or clinical evidence."
    )
    kind = models.CharField(max_length=12, choices=ProgressionKind.choices)
    locoregional_site = models.CharField(
        max_length=16,
        choices=LocoregionalSite.choices,
        blank=True,
        help_text="For locoregional progression only.",
    )
    other_sites_kept_best_response = models.BooleanField(
        null=True,
        blank=True,
        help_text="For locoregional progression: did all other sites keep their best "
        "response? Yes makes it a locoregional oligoprogression.",
    )
    notes = models.CharField(max_length=300, blank=True)

    event_date_fields = ("occurred_on",)
    free_text_fields = ("notes",)

    class Meta:
        ordering = ["occurred_on", "pk"]
        constraints = [
            FieldCheck(
                condition=~Q(kind=ProgressionKind.LOCOREGIONAL) | ~Q(locoregional_site=""),
                name="locoregional_progression_has_site",
                field="locoregional_site",
                violation_error_message="Say where the locoregional progression is.",
            ),
            FieldCheck(
                condition=Q(kind=ProgressionKind.LOCOREGIONAL)
                | Q(kind=ProgressionKind.SYSTEMIC, locoregional_site=""),
                name="locoregional_site_only_for_locoregional",
                field="locoregional_site",
                violation_error_message="Only a locoregional progression has this site.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} progression on {self.occurred_on:%d/%m/%Y}"

    def clean(self) -> None:
        super().clean()
        # Checked on entry only: no database constraint says it.
        answered = self.other_sites_kept_best_response is not None
        if self.kind == ProgressionKind.LOCOREGIONAL and not answered:
            raise ValidationError(
                {
                    "other_sites_kept_best_response": "Say whether the other sites kept their "
                    "best response."
                }
            )
        if self.kind == ProgressionKind.SYSTEMIC and answered:
            raise ValidationError(
                {"other_sites_kept_best_response": "Only recorded for a locoregional progression."}
            )

    @property
    def is_locoregional_oligoprogression(self) -> bool:
        return self.kind == ProgressionKind.LOCOREGIONAL and bool(
            self.other_sites_kept_best_response
        )


class Surgery(ClinicalRecord):
    PROCEDURE_FIELDS = (
        "lumpectomy",
        "mastectomy",
        "sentinel_node_biopsy",
        "axillary_dissection",
        "metastasectomy",
    )

    operated_on = models.DateField("date of operation")
    lumpectomy = models.BooleanField(default=False)
    mastectomy = models.BooleanField(default=False)
    sentinel_node_biopsy = models.BooleanField("sentinel lymph node biopsy", default=False)
    axillary_dissection = models.BooleanField("axillary lymph node dissection", default=False)
    metastasectomy = models.BooleanField(default=False)
    other_procedure = models.CharField(
        max_length=200, blank=True, help_text="Any other procedure of this operation."
    )
    intent = models.CharField(
        max_length=20,
        choices=SurgeryIntent.choices,
        help_text="'Not recorded' when the chart does not say.",
    )
    systemic_line_continued = models.BooleanField(
        "systemic line continued after surgery",
        null=True,
        blank=True,
        help_text="Was the systemic line ongoing at the operation continued afterwards? "
        "Empty if no line was ongoing or not yet known.",
    )

    event_date_fields = ("operated_on",)
    free_text_fields = ("other_procedure",)

    class Meta:
        ordering = ["operated_on", "pk"]
        verbose_name_plural = "surgeries"
        constraints = [
            FieldCheck(
                condition=Q(lumpectomy=True)
                | Q(mastectomy=True)
                | Q(sentinel_node_biopsy=True)
                | Q(axillary_dissection=True)
                | Q(metastasectomy=True)
                | ~Q(other_procedure=""),
                name="surgery_has_a_procedure",
                field="lumpectomy",
                violation_error_message="Tick at least one procedure.",
            ),
            FieldCheck(
                condition=~(Q(lumpectomy=True) & Q(mastectomy=True)),
                name="lumpectomy_or_mastectomy_not_both",
                field="mastectomy",
                violation_error_message="One operation is either a lumpectomy or a mastectomy.",
            ),
        ]

    def __str__(self) -> str:
        return f"Surgery {self.operated_on:%d/%m/%Y}: {', '.join(self.procedure_labels())}"

    def procedure_labels(self) -> list[str]:
        labels = [
            self._meta.get_field(name).verbose_name
            for name in self.PROCEDURE_FIELDS
            if getattr(self, name)
        ]
        if self.other_procedure:
            labels.append(self.other_procedure)
        return labels

    def clean(self) -> None:
        super().clean()
        message = before_mbc_diagnosis_error(
            self, self.operated_on, self.intent == SurgeryIntent.EARLY_BREAST_CANCER
        )
        if message:
            raise ValidationError({"intent": message})


class Radiotherapy(ClinicalRecord):
    # Numbers have no "not recorded" code: empty is the chart's silence (decision 0008).
    EMPTY_MEANS_NOT_RECORDED = ("total_dose_gy", "fractions")

    started_on = models.DateField("start date")
    site = models.CharField(max_length=16, choices=RadiotherapySite.choices)
    intent = models.CharField(max_length=20, choices=RadiotherapyIntent.choices)
    total_dose_gy = models.DecimalField(
        "total dose (Gy)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("120"))],
        help_text="Empty if the chart does not record it (shown and counted as not recorded).",
    )
    fractions = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Empty if the chart does not record it (shown and counted as not recorded).",
    )

    event_date_fields = ("started_on",)

    class Meta:
        ordering = ["started_on", "pk"]
        verbose_name_plural = "radiotherapy courses"

    def __str__(self) -> str:
        return f"Radiotherapy {self.started_on:%d/%m/%Y}: {self.get_site_display()}, {self.dose}"

    @property
    def dose(self) -> str:
        """'50.00 Gy in 25 fractions', saying 'not recorded' for what the chart does not give."""
        if self.total_dose_gy is None and self.fractions is None:
            return f"dose and fractions {NOT_RECORDED_TEXT}"
        if self.total_dose_gy is None:
            return f"dose {NOT_RECORDED_TEXT}, {self.fractions} fractions"
        if self.fractions is None:
            return f"{self.total_dose_gy} Gy, fractions {NOT_RECORDED_TEXT}"
        return f"{self.total_dose_gy} Gy in {self.fractions} fractions"

    def clean(self) -> None:
        super().clean()
        message = before_mbc_diagnosis_error(
            self, self.started_on, self.intent == RadiotherapyIntent.ADJUVANT
        )
        if message:
            raise ValidationError({"intent": message})


def before_mbc_diagnosis_error(record, day, early_disease: bool) -> str | None:
    """Treatment of early breast cancer (adjuvant RT, its surgery) precedes the MBC diagnosis."""
    if not early_disease or day is None:
        return None
    bounds = record.rule_bounds()
    mbc = bounds.mbc_diagnosis_date if bounds else None
    if mbc and day >= mbc:
        return (
            "This intent is for early breast cancer, treated before the MBC diagnosis "
            f"({mbc:%d/%m/%Y}); this date is not before it."
        )
    return None


class FollowUp(ClinicalRecord):
    contact_date = models.DateField(
        "date of contact", help_text="Visit, call or record review at which status was known."
    )
    vital_status = models.CharField(max_length=5, choices=VitalStatus.choices)
    death_date = models.DateField(null=True, blank=True, help_text="Only if the patient died.")
    disease_status = models.CharField(
        "disease status at contact",
        max_length=12,
        choices=DiseaseStatus.choices,
        help_text="For a patient who died, the status at the last contact before death; "
        "'Not recorded' when the chart does not say.",
    )

    event_date_fields = ("contact_date",)

    class Meta:
        ordering = ["contact_date", "pk"]
        verbose_name = "follow-up contact"
        constraints = [
            models.UniqueConstraint(fields=["patient", "contact_date"], name="one_contact_per_day"),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(vital_status="dead"), name="one_death_per_patient"
            ),
            FieldCheck(
                condition=~Q(vital_status=VitalStatus.DEAD) | Q(death_date__isnull=False),
                name="death_has_its_date",
                field="death_date",
                violation_error_message="Give the date of death.",
            ),
            FieldCheck(
                condition=Q(vital_status=VitalStatus.DEAD)
                | Q(vital_status=VitalStatus.ALIVE, death_date__isnull=True),
                name="death_date_only_when_dead",
                field="death_date",
                violation_error_message="Only give a death date when the vital status is dead.",
            ),
            FieldCheck(
                condition=Q(death_date__lte=models.F("contact_date")),
                name="death_not_after_contact",
                field="death_date",
                violation_error_message="The death date cannot be after the contact date.",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.contact_date:%d/%m/%Y}: {self.get_vital_status_display()}"

    @classmethod
    def records_bounding_life(cls, patient_ids):
        # The contact that records the death may be dated after it.
        return super().records_bounding_life(patient_ids).filter(vital_status=VitalStatus.ALIVE)

    def bounds_life(self) -> bool:
        return self.vital_status == VitalStatus.ALIVE

    def clean(self) -> None:
        # The death recorded here is not yet "the patient's death" for the base rule.
        super(ClinicalRecord, self).clean()
        bounds = self.rule_bounds()
        if bounds is None or self.contact_date is None:
            return
        recorded_death = bounds.death_date(besides=self)
        errors = {}
        message = event_date_error(self.contact_date, birth=bounds.birth_date, death=recorded_death)
        if message:
            errors["contact_date"] = message
        if self.vital_status == VitalStatus.DEAD:
            if recorded_death:
                errors["vital_status"] = (
                    f"The patient's death is already recorded ({recorded_death:%d/%m/%Y})."
                )
            if self.death_date is not None:
                message = event_date_error(self.death_date, birth=bounds.birth_date, death=None)
                latest = bounds.latest_record_date
                if message:
                    errors["death_date"] = message
                elif latest and latest > self.death_date:
                    errors["death_date"] = (
                        f"A record of this patient is dated {latest:%d/%m/%Y}, after this "
                        "death date."
                    )
        if errors:
            raise ValidationError(errors)
