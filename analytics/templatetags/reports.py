"""How report numbers read on a page: one decimal, "not reached" in words, p as journals do."""

from django import template

register = template.Library()


@register.filter
def number(value, decimals: int = 1) -> str:
    if value is None:
        return "not reached"
    return f"{value:.{int(decimals)}f}"


@register.filter
def interval(ci: dict | None) -> str:
    """'12.0–18.4'; a missing limit says why (not reached, not estimable).

    A time cannot be negative: a symmetric lower limit below 0 reads as 0, and says so
    with its raw value (which the JSON keeps).
    """
    if not ci:
        return "–"
    lower, upper = ci.get("lower"), ci.get("upper")
    if lower is None and upper is None:
        return ci.get("note") or "not estimable"
    truncated = lower is not None and lower < 0
    low = "not reached" if lower is None else f"{max(lower, 0.0):.1f}"
    high = "not reached" if upper is None else f"{upper:.1f}"
    if truncated:
        return f"{low}–{high} (lower limit {lower:.1f}, truncated at 0)"
    return f"{low}–{high}"


@register.filter
def p_value(p) -> str:
    if p is None:
        return "–"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@register.filter
def get(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def years(months) -> str:
    return "–" if months is None else f"{months / 12:.1f}"


@register.filter
def labelled(estimate: dict, label: str) -> dict:
    """One estimate as a one-row group for the survival table."""
    return {label: estimate}


@register.filter
def first_value(mapping: dict):
    return next(iter(mapping.values()), None) if mapping else None
