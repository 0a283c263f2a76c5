"""Data-quality labels of the query and finding lists."""

from django import template

register = template.Library()


@register.filter
def kind_label(kinds: dict, slug: str) -> str:
    kind = kinds.get(slug)
    return kind.label.capitalize() if kind else "Patient"
