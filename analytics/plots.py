"""Kaplan-Meier figures in the KMunicate layout, drawn from a report's own numbers.

The curve, band and at-risk table come from the report dict (not a new fit), so the
picture cannot disagree with the tables. Drawn on an explicit Figure with the Agg
canvas: no pyplot state in a web process.
"""

import io
from datetime import date

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .catalogue import Plot

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
COLOURS = ["#0b5cad", "#c0392b", "#1e8449", "#8e44ad", "#d68910"]
# The curve is drawn while at least this many patients remain at risk.
MIN_AT_RISK = 3


def _p_text(test: dict | None) -> str:
    if not test or test.get("p_value") is None:
        return ""
    p = test["p_value"]
    return "log-rank p < 0.001" if p < 0.001 else f"log-rank p = {p:.3f}"


def _drawn_until(estimate: dict) -> float:
    """The last time with enough patients at risk to show the curve."""
    times = [
        row["time"] for row in estimate.get("curve", []) if row.get("at_risk", 99) >= MIN_AT_RISK
    ]
    return max(times, default=0.0)


def _axis_end(curves) -> float:
    """The last time at which any curve still has a patient at risk."""
    return max(
        (
            row["time"]
            for curve in curves
            for row in curve.estimate.get("curve", [])
            if row.get("at_risk", 0) > 0
        ),
        default=0.0,
    )


def _mark_median(ax, estimate: dict, colour: str) -> None:
    """A dashed guide from S = 0.5 to the curve and down to the time axis, labelled."""
    median = estimate.get("median")
    if median is None:
        return
    ax.plot([0, median], [0.5, 0.5], linestyle=":", color=colour, linewidth=1)
    ax.plot([median, median], [0, 0.5], linestyle=":", color=colour, linewidth=1)
    ax.annotate(
        f"median {median:.1f}",
        (median, 0.5),
        xytext=(4, 4),
        textcoords="offset points",
        color=colour,
        fontsize=9,
    )


def figure(
    plot: Plot, overall: dict, *, data_cutoff: date | None, snapshot: dict | None = None
) -> Figure:
    curves = [c for c in plot.curves(overall) if c.estimate.get("n")]
    end = _axis_end(curves)
    ticks = sorted(
        {row["time"] for c in curves for row in c.estimate["at_risk"] if row["time"] <= end}
    )
    table_rows = max(len(curves), 1)
    fig = Figure(figsize=(9, 5.2 + 0.6 * table_rows), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[5, 0.7 + 0.6 * table_rows])
    ax = fig.add_subplot(grid[0])
    table_ax = fig.add_subplot(grid[1], sharex=ax)

    for index, curve in enumerate(curves):
        colour = COLOURS[index % len(COLOURS)]
        limit = _drawn_until(curve.estimate)
        points = [p for p in curve.estimate["curve"] if p["time"] <= limit]
        times = [p["time"] for p in points]
        ax.step(
            times,
            [p["survival"] for p in points],
            where="post",
            color=colour,
            label=f"{curve.label} (n = {curve.estimate['n']})",
        )
        lower = [p["lower"] if p.get("lower") is not None else p["survival"] for p in points]
        upper = [p["upper"] if p.get("upper") is not None else p["survival"] for p in points]
        ax.fill_between(times, lower, upper, step="post", color=colour, alpha=0.15, linewidth=0)
        censored = [p for p in points if p.get("censored")]
        ax.plot(
            [p["time"] for p in censored],
            [p["survival"] for p in censored],
            "|",
            color=colour,
            markersize=9,
        )
        _mark_median(ax, curve.estimate, colour)

    ax.set_ylim(0, 1.02)
    ax.set_ylabel(plot.y_label)
    ax.set_xlabel(plot.x_label)
    ax.set_title(plot.title, loc="left")
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(loc="upper right", frameon=False)
    else:
        ax.text(0.5, 0.5, "No patients in this selection", ha="center", transform=ax.transAxes)
    p_text = _p_text(plot.test(overall))
    if p_text:
        ax.text(0.02, 0.05, p_text, transform=ax.transAxes)
    if ticks:
        ax.set_xticks(ticks)
    ax.set_xlim(0, end or 1)

    # The at-risk table shares the plot's time axis but draws none of its own.
    table_ax.set_yticks([])
    table_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    table_ax.set_ylim(-0.7, len(curves) - 0.1)
    for side in ("top", "right", "left", "bottom"):
        table_ax.spines[side].set_visible(False)
    for row_index, (colour, curve) in enumerate(reversed(list(zip(COLOURS, curves, strict=False)))):
        table_ax.text(
            0,
            row_index + 0.4,
            curve.label,
            color=colour,
            fontsize=9,
            fontweight="bold",
            ha="left",
            va="bottom",
        )
        for row in curve.estimate["at_risk"]:
            if row["time"] > end:
                continue
            table_ax.text(
                row["time"],
                row_index,
                f"{row['at_risk']} ({row['events']})",
                ha="center",
                va="center",
                fontsize=10,
            )
    table_ax.set_title("Number at risk (cumulative events)", loc="left", fontsize=9.5)
    cutoff = data_cutoff.strftime("%d/%m/%Y") if data_cutoff else "–"
    source = (
        f"Snapshot {snapshot['id']}, data cut-off {cutoff}" if snapshot else f"Data up to {cutoff}"
    )
    fig.supxlabel(
        "Kaplan-Meier estimate with pointwise 95% CI (log(-log) transformed); the curve stops "
        f"when fewer than {MIN_AT_RISK} patients remain at risk. {source}.",
        fontsize=7.5,
        color="#555",
        x=0.01,
        ha="left",
    )
    return fig


def render(plot: Plot, report: dict, *, data_cutoff: date | None, fmt: str) -> bytes:
    """The figure's bytes: the same report gives the same bytes (no date in the SVG, its
    element ids salted with a constant, none in the PNG), so a snapshot's figures reopen
    identical."""
    fig = figure(
        plot,
        report if plot.whole_report else report["overall"],
        data_cutoff=data_cutoff,
        snapshot=report["meta"].get("snapshot"),
    )
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "mbc-registry"}):
        fig.savefig(buffer, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()
