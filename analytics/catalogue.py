"""The reports the registry offers, by the names used in URLs, the command and the API."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .reports.characteristics import characteristics_report
from .reports.complete_response import complete_response_report
from .reports.oligoprogression import oligoprogression_report


@dataclass(frozen=True)
class Curve:
    label: str
    estimate: dict


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


def _groups(mapping: dict) -> list[Curve]:
    return [Curve(label, estimate) for label, estimate in mapping.items()]


def _by_centre(endpoint: Callable[[dict], dict]) -> Callable[[dict], list[Curve]]:
    return lambda report: [
        Curve(f"Centre {centre}", endpoint(figures))
        for centre, figures in report.get("by_centre", {}).items()
    ]


def _centre_log_rank(report: dict) -> dict | None:
    return (report.get("centre_comparison") or {}).get("log_rank")


REPORTS = {
    "characteristics": ReportSpec(
        "characteristics", "Cohort characteristics", characteristics_report
    ),
    "cr": ReportSpec(
        "cr",
        "Complete response",
        complete_response_report,
        plots={
            "duration-of-cr": Plot(
                "Duration of complete response, per CR episode",
                "Months from the episode's first CR",
                lambda o: [Curve("CR episodes", o["duration_of_cr"])],
                y_label="Probability of remaining in complete response",
            ),
            "duration-of-cr-from-first-cr": Plot(
                "Duration of complete response, per patient from the first CR",
                "Months from the patient's first CR",
                lambda o: [Curve("Patients with a CR", o["duration_of_cr_from_first_cr"])],
                y_label="Probability of remaining in complete response",
            ),
            "duration-of-cr-by-centre": Plot(
                "Duration of complete response by centre, per CR episode",
                "Months from the episode's first CR",
                _by_centre(lambda figures: figures["duration_of_cr"]),
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
        plots={
            "ps-pfs": Plot(
                "Post-surgery progression-free survival (pS-PFS)",
                "Months from the locoregional oligoprogression",
                lambda o: [Curve("All patients", o["ps_pfs"]["overall"])],
                y_label="Probability free of progression or death",
            ),
            "ps-pfs-by-subtype": Plot(
                "pS-PFS by subtype",
                "Months from the locoregional oligoprogression",
                lambda o: _groups(o["ps_pfs"]["by_subtype_group"]),
                lambda o: o["ps_pfs"]["subtype_comparison"]["log_rank"],
                y_label="Probability free of progression or death",
            ),
            "ps-pfs-by-pre-opd-pfs": Plot(
                "pS-PFS by pre-OPD PFS",
                "Months from the locoregional oligoprogression",
                lambda o: _groups(
                    {f"pre-OPD PFS {k}": v for k, v in o["ps_pfs"]["by_pre_opd_pfs_group"].items()}
                ),
                lambda o: o["ps_pfs"]["pre_opd_pfs_comparison"]["log_rank"],
                y_label="Probability free of progression or death",
            ),
            "ps-pfs-by-centre": Plot(
                "pS-PFS by centre",
                "Months from the locoregional oligoprogression",
                _by_centre(lambda figures: figures["ps_pfs"]["overall"]),
                _centre_log_rank,
                whole_report=True,
                y_label="Probability free of progression or death",
            ),
        },
    ),
}
