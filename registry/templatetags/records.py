"""Show any record field the way the clinic reads it, for the generic record tables."""

from datetime import date

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format

register = template.Library()


@register.filter
def cell(record, name: str) -> str:
    display = getattr(record, f"get_{name}_display", None)
    value = display() if display else getattr(record, name)
    if callable(value):
        value = value()
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if value is None and name in getattr(record, "EMPTY_MEANS_NOT_RECORDED", ()):
        return "not recorded"
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return date_format(value)
    return str(getattr(value, "value", value))


@register.filter
def column_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_labels", "s").replace("_", " ")
