"""The patient: pseudonymous registry ID for everyone, identifying data for the centre."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from registry.domain.bounds import PatientBounds
from registry.domain.dates import age_in_completed_years
from registry.domain.identifiers import canonical_record_number, record_number_error
from registry.domain.rules import EARLIEST_BIRTH_DATE, event_date_error

from .checks import FieldCheck
from .trace import audited
from .vocabularies import Histology, Presentation, Sex, VitalStatus

REGISTRY_ID_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,19}$"


class RecordNumberField(models.CharField):
    """Stored in its canonical form (domain/identifiers.py): forms, API and imports alike."""

    def to_python(self, value):
        value = super().to_python(value)
        return canonical_record_number(value) if isinstance(value, str) else value

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        message = record_number_error(value)
        if message:
            raise ValidationError(message, code="invalid")


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


class Patient(models.Model):
    # Identifying fields: shown to data managers and auditors, never to analysts.
    IDENTIFYING_FIELDS = ("record_number", "family_name", "given_name", "birth_date")

    registry_id = models.CharField(
        "registry ID",
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(REGISTRY_ID_PATTERN, "Use 3-20 capital letters, digits or hyphens.")
        ],
        help_text="Pseudonymous ID used everywhere in the registry. Leave empty to assign "
        "the next free one.",
    )
    centre = models.ForeignKey(
        "registry.Centre",
        on_delete=models.PROTECT,
        related_name="patients",
        help_text="The centre whose tumour board follows the case.",
    )
    record_number = RecordNumberField(
        "hospital record number",
        max_length=40,
        help_text="The centre's own medical record number (identifying); stored in capitals, "
        "so TOR-1 and tor-1 are one number.",
    )
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.FEMALE)
    birth_date = models.DateField()
    primary_diagnosis_date = models.DateField(
        help_text="Date breast cancer was first diagnosed (for de novo cases, the same "
        "episode as the metastatic diagnosis)."
    )
    mbc_diagnosis_date = models.DateField(
        "MBC diagnosis date",
        help_text="Date distant metastatic disease was first diagnosed.",
    )
    presentation = models.CharField(
        max_length=12,
        choices=Presentation.choices,
        help_text="As recorded in the chart; the case page warns when it contradicts the dates.",
    )
    # No default: a form or an import that says nothing must not become "ductal".
    histology = models.CharField(
        max_length=12,
        choices=Histology.choices,
        help_text="'Not recorded' when the chart does not give it.",
    )
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archive_reason = models.CharField(max_length=300, blank=True, editable=False)
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised by every save; an edit made from an older version is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["registry_id"]
        # A data manager's list: one centre's patients in registry-ID order, a page at a time.
        indexes = [models.Index(fields=["centre", "registry_id"], name="patient_centre_list")]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "record_number"], name="unique_record_number_per_centre"
            ),
            FieldCheck(
                condition=models.Q(primary_diagnosis_date__gte=models.F("birth_date")),
                name="primary_diagnosis_after_birth",
                field="primary_diagnosis_date",
                violation_error_message="The primary diagnosis is before birth.",
            ),
            FieldCheck(
                condition=models.Q(birth_date__gte=EARLIEST_BIRTH_DATE),
                name="born_since_1900",
                field="birth_date",
                violation_error_message="A birth date before 1900 is not plausible here.",
            ),
            FieldCheck(
                condition=models.Q(mbc_diagnosis_date__gte=models.F("primary_diagnosis_date")),
                name="mbc_diagnosis_after_primary",
                field="mbc_diagnosis_date",
                violation_error_message="Metastatic disease cannot be diagnosed before the "
                "primary diagnosis.",
            ),
        ]

    def __str__(self) -> str:
        return self.registry_id

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def age_at_mbc_diagnosis(self) -> int:
        return age_in_completed_years(self.birth_date, self.mbc_diagnosis_date)

    def death_date(self):
        from .clinical import FollowUp

        return (
            FollowUp.objects.filter(patient=self, vital_status=VitalStatus.DEAD)
            .values_list("death_date", flat=True)
            .first()
        )

    def rule_bounds(self) -> PatientBounds | None:
        """The stored records' dates as the writer handed them (`patient_bounds`), else read;
        None for a patient not yet stored, who has no records."""
        bounds = getattr(self, "patient_bounds", None)
        if bounds is not None or self.pk is None:
            return bounds
        from registry.selectors import patient_bounds

        return patient_bounds([self.pk])[self.pk]

    def clean(self) -> None:
        super().clean()
        errors = {}
        bounds = self.rule_bounds()
        death = bounds.death_date() if bounds else None
        # Not before birth: the diagnoses' own constraints say it (Meta.constraints).
        for name in ("birth_date", "primary_diagnosis_date", "mbc_diagnosis_date"):
            message = event_date_error(getattr(self, name), birth=None, death=death)
            if message:
                errors[name] = message
        if bounds and self.birth_date and "birth_date" not in errors:
            earliest = bounds.earliest_record_date
            if earliest and earliest < self.birth_date:
                errors["birth_date"] = (
                    f"A record of this patient is dated {earliest:%d/%m/%Y}, before this "
                    "birth date."
                )
        if errors:
            raise ValidationError(errors)
