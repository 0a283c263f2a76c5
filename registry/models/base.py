"""What every clinical record shares: its patient, its audit trail, its date rules."""

from django.core.exceptions import ValidationError
from django.db import models

from registry.domain.bounds import PatientBounds
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

    def rule_bounds(self) -> PatientBounds | None:
        """The patient's bounds as the writer handed them (`patient_bounds`), else read.

        The services and the importer hand them, so `clean()` asks the database nothing;
        a bare `full_clean()` (a test, a shell) reads them here.
        """
        bounds = getattr(self, "patient_bounds", None)
        if bounds is not None or self.patient_id is None:
            return bounds
        from registry.selectors import patient_bounds

        return patient_bounds([self.patient_id])[self.patient_id]

    def clean(self) -> None:
        super().clean()
        bounds = self.rule_bounds()
        if bounds is None:
            return
        birth, death = bounds.birth_date, bounds.death_date()
        errors = {}
        for name in self.event_date_fields:
            message = event_date_error(getattr(self, name), birth=birth, death=death)
            if message:
                errors[name] = message
        errors.update(self.free_text_errors(bounds))
        if errors:
            raise ValidationError(errors)

    def free_text_errors(self, bounds: PatientBounds) -> dict[str, str]:
        errors = {}
        for name in self.free_text_fields:
            found = identifiers_in(
                getattr(self, name),
                family_name=bounds.family_name,
                given_name=bounds.given_name,
                record_number=bounds.record_number,
                birth_date=bounds.birth_date,
            )
            if found:
                errors[name] = free_text_error(found)
        return errors

    @classmethod
    def records_bounding_life(cls, patient_ids):
        """Records whose dates must lie between birth and death."""
        return cls.objects.filter(patient_id__in=patient_ids)

    def bounds_life(self) -> bool:
        """The same, for one record held in memory (an import's)."""
        return True

    @property
    def timeline_date(self):
        return getattr(self, self.event_date_fields[0])
