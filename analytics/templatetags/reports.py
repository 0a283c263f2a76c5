"""How report numbers read on a page: one decimal, "not reached" in words, p as journals do."""

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html

from analytics.catalogue import Plot
from analytics.tables import item_label
from registry.labels import clinical_label
from registry.links import link_maker

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


METHOD_HEADINGS = {
    "time_unit": "Time unit",
    "kaplan_meier_ci": "Kaplan-Meier confidence band",
    "median_ci_transformed": "Confidence interval of a median, transformed",
    "median_ci_symmetric": "Confidence interval of a median, symmetric",
    "follow_up": "Follow-up",
    "proportion_ci": "Confidence interval of a proportion",
    "quartiles": "Quartiles",
    "ties": "Tied times",
}


@register.filter
def method_heading(key: str) -> str:
    """The methods list names each method in words, not by its key in the JSON."""
    return METHOD_HEADINGS.get(key) or key.replace("_", " ").capitalize()


@register.filter
def stamp(iso: str | None) -> str:
    """A report's ISO timestamp (UTC) in the registry's time zone and date convention."""
    moment = parse_datetime(iso or "")
    if moment is None:
        return "–"
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@register.filter
def iso_date(iso: str | None) -> str:
    day = parse_date(iso or "")
    return date_format(day) if day else "–"


def _drill_route(context) -> tuple[str, dict] | None:
    """The route of the page's drill-down lists: the view's (a snapshot's, an endpoint's),
    else the live report's."""
    route = context.get("drill_route")
    if route is None and context.get("spec") is not None:
        route = ("analytics:patients", {"report": context["spec"].name})
    return route


def _drill_url(context, key: str) -> str:
    """The list behind the count `key` of the page's analysis, with the page's filters."""
    name, kwargs = _drill_route(context)
    url = link_maker(name, kwargs=kwargs, segment="cell")(key)
    query = context.get("query")
    return f"{url}?{query}" if query else url


@register.simple_tag(takes_context=True)
def drill(context, key: str, value):
    """A count that opens the list of the patients (or episodes, lines) behind it."""
    if value is None:
        return "–"
    if not key or _drill_route(context) is None:
        return value
    return format_html(
        '<a class="drill" href="{}" title="List them">{}</a>', _drill_url(context, key), value
    )


@register.simple_tag(takes_context=True)
def count_cell(context, c: dict | None, key: str = ""):
    """'n/N (x.x%)' with n and N each opening its list, and the Wilson interval if any."""
    if not c:
        return "–"
    if key:
        shown = format_html(
            "{}/{} {}",
            drill(context, f"{key}.n", c["n"]),
            drill(context, f"{key}.N", c["N"]),
            c["display"].split(" ", 1)[1],
        )
    else:
        shown = c["display"]
    ci = c.get("ci95") or {}
    if ci.get("lower") is None:
        return shown
    return format_html(
        '{} <span class="muted">(95% CI {}–{})</span>',
        shown,
        f"{ci['lower']:.3f}",
        f"{ci['upper']:.3f}",
    )


def _at(figures: dict | None, path: str):
    for part in filter(None, path.split(".")):
        figures = (figures or {}).get(part)
    return figures


@register.simple_tag(takes_context=True)
def centre_columns(context, block: str = "") -> list[tuple[str, str, dict]]:
    """(heading, key, figures) of a block of the report (a dotted path): all the selected
    patients first, then each centre when centres are compared side by side."""
    report = context["report"]
    block = block.strip(".")
    suffix = f".{block}" if block else ""
    columns = [("All", f"overall{suffix}", _at(report["overall"], block))]
    columns += [
        (f"Centre {centre}", f"by_centre.{centre}{suffix}", _at(figures, block))
        for centre, figures in (report.get("by_centre") or {}).items()
    ]
    return columns


def _by_category(counts) -> dict[str, tuple[dict, str]]:
    """category -> (count, its path below the block): a mapping's keys, a list's lines."""
    if isinstance(counts, list):
        return {
            str(item_label(item, i)): (item, f"[{item_label(item, i)}]")
            for i, item in enumerate(counts)
        }
    return {str(k): (v, f".{k}") for k, v in (counts or {}).items()}


@register.simple_tag
def estimate_key(key: str, prefix: str, label, suffix: str = "") -> str:
    """A survival table row's estimate path: the one given, or its group's within `prefix`
    (and, for a centre's, the estimate's path within the centre's figures)."""
    if key or not prefix:
        return key
    return f"{prefix}.{label}.{suffix}" if suffix else f"{prefix}.{label}"


@register.filter
def at_step(selection: list | None, step: str) -> dict | None:
    """One step of a selection flow, by its name."""
    return next((s for s in selection or [] if s.get("step") == step), None)


@register.filter
def estimates_at(by_centre: dict | None, path: str) -> dict:
    """Each centre's estimate at `path` (dotted) within its figures, for a survival table."""
    return {centre: _at(figures, path) for centre, figures in (by_centre or {}).items()}


@register.inclusion_tag("analytics/_counts_table.html", takes_context=True)
def counts_table(context, heading: str, block: str, vocabulary: str = ""):
    """A counts block (category -> count) with a column per centre when they are compared."""
    columns = centre_columns(context, block)
    keyed = [(key, _by_category(counts)) for _, key, counts in columns]
    categories = list(dict.fromkeys(k for _, counts in keyed for k in counts))
    rows = []
    for category in categories:
        cells = []
        for key, counts in keyed:
            if category in counts:
                count, path = counts[category]
                cells.append(count_cell(context, count, f"{key}{path}"))
            else:
                cells.append("–")
        rows.append((clinical_label(category, vocabulary), cells))
    headings = [label for label, _, _ in columns] if len(columns) > 1 else ["n/N (%)"]
    return {"heading": heading, "headings": headings, "rows": rows}


@register.inclusion_tag("analytics/_at_risk_links.html", takes_context=True)
def at_risk_links(context, plot: str | Plot):
    """The numbers at risk under a figure, each opening the list of the patients at risk.
    `plot`: a figure of the page's report by name, or one made for the page (an endpoint's)."""
    report = context["report"]
    if isinstance(plot, str):
        plot = context["spec"].plots[plot]
    drawn = plot.curves(report if plot.whole_report else report["overall"])
    curves = [c for c in drawn if c.estimate.get("n")]
    times = sorted({row["time"] for c in curves for row in c.estimate["at_risk"]})
    rows = []
    for curve in curves:
        at = {row["time"]: row for row in curve.estimate["at_risk"]}
        cells = []
        for time in times:
            row = at.get(time)
            if row is None:
                cells.append("")
                continue
            key = f"{curve.key}.at_risk[{time:g}]" if curve.key else ""
            cells.append(
                format_html(
                    "{} ({})",
                    drill(context, f"{key}.at_risk" if key else "", row["at_risk"]),
                    drill(context, f"{key}.events" if key else "", row["events"]),
                )
            )
        rows.append((curve.label, cells))
    return {"title": plot.title, "times": times, "rows": rows}


@register.filter
def column_heading(column: str) -> str:
    """A dataset column as a table heading: 'first_cr_date' reads 'First CR date'."""
    words = column.replace("_", " ")
    for short in ("cr", "opd", "pfs", "mbc", "hr", "her2", "id", "ps"):
        words = " ".join(short.upper() if w == short else w for w in words.split(" "))
    return words[0].upper() + words[1:]


@register.filter
def fact(value) -> str:
    """A value of the drill-down list: yes/no, a date in the registry's convention, '–'."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    day = parse_date(value) if isinstance(value, str) and len(value) == 10 else None
    if day:
        return date_format(day)
    if isinstance(value, float):  # a line number in a column with gaps is a float
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return value


def clinical_keys(counts: dict | None, vocabulary: str = "") -> list[tuple[str, dict]]:
    """The rows of a counts table keyed by stored codes, labelled in the clinic's words."""
    return [(clinical_label(key, vocabulary), value) for key, value in (counts or {}).items()]


@register.filter
def km_of(estimates: dict | None) -> dict:
    """{group: {"km", "follow_up"}} of an endpoint as {group: km} for the survival table."""
    return {group: estimate["km"] for group, estimate in (estimates or {}).items()}
