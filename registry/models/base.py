"""What every clinical record shares: its patient, its audit trail, its date rules."""

from django.core.exceptions import ValidationError
from django.db import models

from registry.domain.free_text import free_text_error, identifiers_in
from registry.domain.rules import event_date_error

from .trace import audited


class FieldConstraintMixin:
    """Show a multi-field unique constraint's error at the field a data manager changes.

    Django reports such errors for the whole form ("__all__"); the model names its field
    in `constraint_field` and says it in the clinic's words in `constraint_message()`.
    """

    constraint_field = ""

    def constraint_message(self) -> str:
        raise NotImplementedError

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude)
        except ValidationError as error:
            if self.constraint_field and "__all__" in error.message_dict:
                raise ValidationError({self.constraint_field: self.constraint_message()}) from error
            raise


class ClinicalRecord(models.Model):
    """A dated fact about one patient.

    `event_date_fields` names the dates that must fall between birth and death; the
    check runs in `clean()`, so forms, admin, API and imports all apply it.
    """

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="%(class)s_set"
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised by every save; an edit made from an older version is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited(inherit=True)

    event_date_fields: tuple[str, ...] = ()
    # Text anyone reading the record reads: the patient's identifiers are refused in it.
    free_text_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.patient_id is None:
            return
        birth, death = self.patient.birth_date, self.patient.death_date()
        errors = {}
        for name in self.event_date_fields:
            message = event_date_error(getattr(self, name), birth=birth, death=death)
            if message:
                errors[name] = message
        for name in self.free_text_fields:
            found = identifiers_in(
                getattr(self, name),
                family_name=self.patient.family_name,
                given_name=self.patient.given_name,
                record_number=self.patient.record_number,
                birth_date=birth,
            )
            if found:
                errors[name] = free_text_error(found)
        if errors:
            raise ValidationError(errors)

    @classmethod
    def records_bounding_life(cls, patient):
        """Records whose dates must lie between birth and death."""
        return cls.objects.filter(patient=patient)

    @property
    def timeline_date(self):
        return getattr(self, self.event_date_fields[0])
