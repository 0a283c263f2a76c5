"""Centres compared: a log-rank test of a report's time-to-event endpoint across centres.

The per-centre curves are the reports' own `by_centre` estimates; this adds the test
across them, from the same analysis dataset (lifelines through `survival.log_rank`).
"""

import pandas as pd

from registry.domain.analysis import OPD_INCLUDED

from . import survival
from .cohorts import Cohort

# report -> (the patients the endpoint is estimated on, duration column, event column)
ENDPOINTS = {
    "cr": (lambda p: p[p["reached_cr"].astype(bool)], "cr_duration_months", "cr_duration_event"),
    "opd": (lambda p: p[p["opd_selection"] == OPD_INCLUDED], "ps_pfs_months", "ps_pfs_event"),
}


def centre_comparison(report: str, cohort: Cohort) -> dict | None:
    """{"centres": [...], "log_rank": {...} or None} for a report with an endpoint."""
    if report not in ENDPOINTS:
        return None
    select, duration, event = ENDPOINTS[report]
    frame: pd.DataFrame = select(cohort.patients).dropna(subset=[duration])
    centres = sorted(frame["centre"].unique().tolist())
    log_rank = None
    if len(centres) >= 2:
        log_rank = survival.log_rank(
            frame[duration].astype(float), frame[event].astype(bool), frame["centre"].astype(str)
        ).as_dict()
    return {"centres": centres, "log_rank": log_rank}
