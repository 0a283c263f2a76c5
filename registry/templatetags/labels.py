"""`{{ code|clinical:"SiteCategory" }}`: the clinical label of a stored code."""

from django import template

from registry.labels import clinical_label

register = template.Library()


@register.filter
def clinical(code, vocabulary: str = "") -> str:
    return clinical_label(code, vocabulary)
