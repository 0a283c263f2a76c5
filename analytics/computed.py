"""One computed result per (report, filters, user's centres, registry data version).

A report page, its figures and its downloads ask for the same result; the first request
computes it and the others take it from the cache, so a page with three figures builds
its cohort once, not four times, and a figure can never disagree with the table above
it. The data version is cheap (the newest row of each history table): any write,
archive or move makes a new one, so a cached result is never stale.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import Max

from registry import access
from registry.models import PATIENT_RECORD_MODELS, CaseStatus, Centre, DataQuery, Finding, Patient

from .catalogue import ReportSpec
from .centres import centre_comparison
from .cohorts import Cohort, CohortFilter, build_cohort

CACHE_SECONDS = 15 * 60
# Reports state their cohort's open findings, open queries and reviews (analytics.quality).
QUALITY_MODELS = (Finding, DataQuery, CaseStatus)


@dataclass(frozen=True)
class ComputedReport:
    result: dict
    data_cutoff: date | None


def data_version() -> str:
    """The newest history row of every table a report reads, as one short string."""
    newest = [
        model.history.aggregate(id=Max("history_id"), at=Max("history_date"))
        for model in (Patient, Centre, *PATIENT_RECORD_MODELS, *QUALITY_MODELS)
    ]
    return json.dumps(newest, default=str)


def report_result(spec: ReportSpec, cohort: Cohort, *, by_centre: bool) -> dict:
    """The report, with the test across centres when centres are compared."""
    result = spec.build(cohort, by_centre=by_centre)
    if by_centre:
        result["centre_comparison"] = centre_comparison(spec.name, cohort)
    return result


def computed_report(user, spec: ReportSpec, filters: CohortFilter, *, by_centre: bool):
    centres = list(access.visible_centres(user).order_by("pk").values_list("pk", flat=True))
    key_parts = [spec.name, filters.as_dict(), by_centre, centres, data_version()]
    key = "report:" + hashlib.sha256(json.dumps(key_parts, default=str).encode()).hexdigest()
    computed = cache.get(key)
    if computed is None:
        cohort = build_cohort(access.patients(user), filters)
        computed = ComputedReport(
            report_result(spec, cohort, by_centre=by_centre), cohort.data_cutoff
        )
        cache.set(key, computed, CACHE_SECONDS)
    return computed
