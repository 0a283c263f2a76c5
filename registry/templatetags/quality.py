"""The open queries and the rules' findings at a record or one of its fields, for the case
page's badges."""

from django import template

register = template.Library()


@register.simple_tag
def record_queries(quality, slug: str, pk: int) -> list:
    return quality.by_record.get((slug, pk), []) if quality else []


@register.simple_tag
def field_queries(quality, slug: str, pk: int, name: str) -> list:
    return quality.by_field.get((slug, pk, name), []) if quality else []


@register.simple_tag
def record_findings(findings, slug: str, pk: int) -> list:
    """The rules' findings on one record of the case page."""
    return findings.on_record(slug, pk) if findings else []


@register.filter
def kind_label(kinds: dict, slug: str) -> str:
    kind = kinds.get(slug)
    return kind.label.capitalize() if kind else "Patient"
