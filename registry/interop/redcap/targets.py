"""The registry's side of a mapping: which record kinds and fields a REDCap project may feed,
and what each field holds. Taken from the exchange format's sections, so it follows the models."""

from dataclasses import dataclass

from django.db import models

from registry.exchange import PATIENT_FIELDS, RESPONSES, SECTIONS
from registry.models import KIND_BY_MODEL, Patient

# Responses name their line by number; the importer files them under it.
LINE_NUMBER = "line_number"


@dataclass(frozen=True)
class TargetField:
    name: str
    kind: str  # date, number, boolean, choice or text
    required: bool
    codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Target:
    key: str
    label: str  # the records, plural
    one: str  # one record, in the clinic's words
    fields: dict[str, TargetField]
    natural_key: tuple[str, ...]


def _kind(model_field: models.Field) -> str:
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, models.IntegerField | models.DecimalField):
        return "number"
    if model_field.choices:
        return "choice"
    return "text"


def _target(key: str, model, names: list[str], natural_key) -> Target:
    fields = {}
    for name in names:
        f = model._meta.get_field(name)
        codes = frozenset(str(code) for code, _ in f.flatchoices) - {""} if f.choices else None
        # The importer reads an unmapped field as empty, which only a yes/no field takes
        # (as "no"); every other field the model requires must be mapped, defaults or not.
        required = not f.blank and not isinstance(f, models.BooleanField)
        fields[name] = TargetField(name, _kind(f), required=required, codes=codes or frozenset())
    one = KIND_BY_MODEL[model].label if model in KIND_BY_MODEL else "patient"
    return Target(key, str(model._meta.verbose_name_plural), one, fields, tuple(natural_key))


def _targets() -> dict[str, Target]:
    # The registry ID and the centre come from the mapping's own rules, not a field.
    targets = {"patients": _target("patients", Patient, PATIENT_FIELDS[1:], ())}
    for section in SECTIONS:
        targets[section.key] = _target(
            section.key, section.model, section.fields, section.natural_key
        )
    responses = _target(RESPONSES.key, RESPONSES.model, RESPONSES.fields, RESPONSES.natural_key)
    responses.fields[LINE_NUMBER] = TargetField(LINE_NUMBER, "number", required=True)
    targets[RESPONSES.key] = responses
    return targets


TARGETS = _targets()
