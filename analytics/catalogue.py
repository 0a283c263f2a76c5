"""The reports the registry offers, by the names used in URLs, the command and the API."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .reports.characteristics import characteristics_counts, characteristics_report
from .reports.complete_response import complete_response_counts, complete_response_report
from .reports.oligoprogression import oligoprogression_counts, oligoprogression_report


@dataclass(frozen=True)
class Curve:
    label: str
    estimate: dict
    # The estimate's path in the report ("overall.ps_pfs.overall"): its at-risk table's
    # counts are drilled into as "<key>.at_risk[<time>].at_risk" (analytics.drilldown).
    key: str = ""


@dataclass(frozen=True)
class Plot:
    """A Kaplan-Meier figure of a report: its curves and the test printed beside them."""

    title: str
    x_label: str
    curves: Callable[[dict], list[Curve]]
    test: Callable[[dict], dict | None] = lambda overall: None
    # Drawn from the whole report (its by_centre part), not only its overall figures.
    whole_report: bool = False
    y_label: str = "Probability without the event"


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    build: Callable
    plots: dict[str, Plot] = field(default_factory=dict)
    # The report's figures with the rows behind each count (Counted leaves), overall and
    # by centre: what the drill-down lists (analytics.drilldown).
    counts: Callable | None = None


def _groups(mapping: dict, key: str, label: str = "{}") -> list[Curve]:
    return [
        Curve(label.format(group), estimate, f"{key}.{group}")
        for group, estimate in mapping.items()
    ]


def _by_centre(path: str) -> Callable[[dict], list[Curve]]:
    """One curve per centre of the estimate at `path` (dotted) within each centre's figures."""

    def estimate(figures: dict) -> dict:
        for part in path.split("."):
            figures = figures[part]
        return figures

    return lambda report: [
        Curve(f"Centre {centre}", estimate(figures), f"by_centre.{centre}.{path}")
        for centre, figures in report.get("by_centre", {}).items()
    ]


def _centre_log_rank(report: dict) -> dict | None:
    return (report.get("centre_comparison") or {}).get("log_rank")


REPORTS = {
    "characteristics": ReportSpec(
        "characteristics",
        "Cohort characteristics",
        characteristics_report,
        counts=characteristics_counts,
    ),
    "cr": ReportSpec(
        "cr",
        "Complete response",
        complete_response_report,
        counts=complete_response_counts,
        plots={
            "duration-of-cr": Plot(
                "Duration of complete response, per CR episode",
                "Months from the episode's first CR",
                lambda o: [Curve("CR episodes", o["duration_of_cr"], "overall.duration_of_cr")],
                y_label="Probability of remaining in complete response",
            ),
            "duration-of-cr-from-first-cr": Plot(
                "Duration of complete response, per patient from the first CR",
                "Months from the patient's first CR",
                lambda o: [
                    Curve(
                        "Patients with a CR",
                        o["duration_of_cr_from_first_cr"],
                        "overall.duration_of_cr_from_first_cr",
                    )
                ],
                y_label="Probability of remaining in complete response",
            ),
            # Per episode, as the definition has it; the test across centres needs one time
            # per patient, so it is printed on the per-patient figure below.
            "duration-of-cr-by-centre": Plot(
                "Duration of complete response by centre, per CR episode",
                "Months from the episode's first CR",
                _by_centre("duration_of_cr"),
                whole_report=True,
                y_label="Probability of remaining in complete response",
            ),
            "duration-of-cr-from-first-cr-by-centre": Plot(
                "Duration of complete response by centre, per patient from the first CR",
                "Months from the patient's first CR",
                _by_centre("duration_of_cr_from_first_cr"),
                _centre_log_rank,
                whole_report=True,
                y_label="Probability of remaining in complete response",
            ),
        },
    ),
    "opd": ReportSpec(
        "opd",
        "Locoregional oligoprogression and breast surgery",
        oligoprogression_report,
        counts=oligoprogression_counts,
        plots={
            "ps-pfs": Plot(
                "Post-surgery progression-free survival (pS-PFS)",
                "Months from the locoregional oligoprogression",
                lambda o: [Curve("All patients", o["ps_pfs"]["overall"], "overall.ps_pfs.overall")],
                y_label="Probability free of progression or death",
            ),
            "ps-pfs-by-subtype": Plot(
                "pS-PFS by subtype",
                "Months from the locoregional oligoprogression",
                lambda o: _groups(
                    o["ps_pfs"]["by_subtype_group"], "overall.ps_pfs.by_subtype_group"
                ),
                lambda o: o["ps_pfs"]["subtype_comparison"]["log_rank"],
                y_label="Probability free of progression or death",
            ),
            "ps-pfs-by-pre-opd-pfs": Plot(
                "pS-PFS by pre-OPD PFS",
                "Months from the locoregional oligoprogression",
                lambda o: _groups(
                    o["ps_pfs"]["by_pre_opd_pfs_group"],
                    "overall.ps_pfs.by_pre_opd_pfs_group",
                    "pre-OPD PFS {}",
                ),
                lambda o: o["ps_pfs"]["pre_opd_pfs_comparison"]["log_rank"],
                y_label="Probability free of progression or death",
            ),
            "ps-pfs-by-centre": Plot(
                "pS-PFS by centre",
                "Months from the locoregional oligoprogression",
                _by_centre("ps_pfs.overall"),
                _centre_log_rank,
                whole_report=True,
                y_label="Probability free of progression or death",
            ),
        },
    ),
}
