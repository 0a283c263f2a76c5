"""Centres compared: a log-rank test of a report's time-to-event endpoint across centres.

The per-centre curves and CR rates (with their Wilson intervals) are the reports' own
`by_centre` figures; this adds the test across them, from the same analysis dataset
(lifelines through `survival.log_rank`). The test needs independent times, so the CR
report's is on the duration of CR per patient from the first CR (a patient with two
episodes would count twice per episode).
"""

import pandas as pd

from registry.domain.analysis import OPD_INCLUDED

from . import survival
from .cohorts import Cohort

# report -> (the patients the endpoint is estimated on, duration column, event column,
# the endpoint in words, and its estimate within each centre's figures)
ENDPOINTS = {
    "cr": (
        lambda p: p[p["reached_cr"].astype(bool)],
        "cr_duration_months",
        "cr_duration_event",
        "duration of CR per patient, from the first CR",
        "duration_of_cr_from_first_cr",
    ),
    "opd": (
        lambda p: p[p["opd_selection"] == OPD_INCLUDED],
        "ps_pfs_months",
        "ps_pfs_event",
        "pS-PFS",
        "ps_pfs.overall",
    ),
}


def centre_comparison(report: str, cohort: Cohort) -> dict | None:
    """{"centres", "endpoint", "estimate", "log_rank"} for a report with an endpoint.

    `estimate` is the path of the compared estimate within `by_centre.<centre>`.
    """
    if report not in ENDPOINTS:
        return None
    select, duration, event, endpoint, estimate = ENDPOINTS[report]
    frame: pd.DataFrame = select(cohort.patients).dropna(subset=[duration])
    centres = sorted(frame["centre"].unique().tolist())
    log_rank = None
    if len(centres) >= 2:
        log_rank = survival.log_rank(
            frame[duration].astype(float), frame[event].astype(bool), frame["centre"].astype(str)
        ).as_dict()
    return {"centres": centres, "endpoint": endpoint, "estimate": estimate, "log_rank": log_rank}
