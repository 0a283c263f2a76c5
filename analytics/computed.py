"""One computed result per (report, filters, centres seen, registry data version), and for
a configurable endpoint its definition too (`parameters`).

A report page, its figures, its downloads, the API and the `report` command ask for the
same result; the first request computes it and stores it in the database
(`ReportResult`), so every gunicorn worker and every process takes that one result: a
page with three figures builds its cohort once, and a figure can never disagree with the
table above it. The data version is cheap (the newest row of each history table): any
write, archive or move makes a new one, so a stored result is never stale.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import QuerySet

from registry import access
from registry.models import Patient
from registry.selectors import data_version

from .catalogue import ReportSpec
from .centres import centre_comparison
from .cohorts import Cohort, CohortFilter, build_cohort
from .models import ReportResult


@dataclass(frozen=True)
class ComputedReport:
    result: dict
    data_cutoff: date | None
    key: str  # of the stored result: its report, filters, centres and data version


def report_result(spec: ReportSpec, cohort: Cohort, *, by_centre: bool) -> dict:
    """The report, with the test across centres when centres are compared."""
    result = spec.build(cohort, by_centre=by_centre)
    if by_centre and "centre_comparison" not in result:
        result["centre_comparison"] = centre_comparison(spec.name, cohort)
    return result


def result_key(
    spec: ReportSpec,
    filters: CohortFilter,
    *,
    by_centre: bool,
    centre_ids: list[int],
    version: str,
    parameters: dict | None = None,
) -> str:
    key_parts = [spec.name, filters.as_dict(), by_centre, sorted(centre_ids), version]
    if parameters is not None:  # what makes two results of one report differ (an endpoint)
        key_parts.append(parameters)
    return hashlib.sha256(json.dumps(key_parts, default=str).encode()).hexdigest()


def computed_result(
    spec: ReportSpec,
    filters: CohortFilter,
    *,
    by_centre: bool,
    visible: QuerySet[Patient],
    centre_ids: list[int],
    cohort: Cohort | None = None,
    version: str | None = None,
    parameters: dict | None = None,
) -> ComputedReport:
    """The stored result for these arguments, computed and stored first if there is none.

    `visible` are the patients the caller may see, `centre_ids` the centres they see (part
    of the key: two callers who see the same centres share results). The result is kept
    as JSON, as every download and API answer gives it, so the first caller and the
    later ones get exactly the same values. A caller that has read the cohort already at a
    known data version (the reproducible package) passes both, and the result is theirs.
    """
    version = version or data_version()
    key = result_key(
        spec,
        filters,
        by_centre=by_centre,
        centre_ids=centre_ids,
        version=version,
        parameters=parameters,
    )
    stored = ReportResult.objects.filter(key=key).values_list("result", "data_cutoff").first()
    if stored is not None:
        text, data_cutoff = stored
        return ComputedReport(json.loads(text), data_cutoff, key)
    cohort = cohort or build_cohort(visible, filters)
    text = json.dumps(report_result(spec, cohort, by_centre=by_centre), allow_nan=False)
    # Two processes may compute the same result at once: the first row stored is kept.
    ReportResult.objects.bulk_create(
        [ReportResult(key=key, data_version=version, result=text, data_cutoff=cohort.data_cutoff)],
        ignore_conflicts=True,
    )
    result = json.loads(text)
    ReportResult.objects.exclude(data_version=version).delete()
    return ComputedReport(result, cohort.data_cutoff, key)


class UserReport:
    """A report as `user` may see it (their centres and patients): its stored result's key at
    once (the data version and the user's centres), the result itself only when asked, so
    a page whose content is cached under the key never reads it."""

    def __init__(self, user, spec: ReportSpec, filters: CohortFilter, *, by_centre, parameters):
        self.user, self.spec, self.filters = user, spec, filters
        self.by_centre, self.parameters = by_centre, parameters
        self.version = data_version()
        self.centre_ids = list(access.visible_centres(user).values_list("pk", flat=True))
        self.key = result_key(
            spec,
            filters,
            by_centre=by_centre,
            centre_ids=self.centre_ids,
            version=self.version,
            parameters=parameters,
        )

    @cached_property
    def computed(self) -> ComputedReport:
        return computed_result(
            self.spec,
            self.filters,
            by_centre=self.by_centre,
            visible=access.patients(self.user),
            centre_ids=self.centre_ids,
            version=self.version,
            parameters=self.parameters,
        )


def computed_report(
    user, spec: ReportSpec, filters: CohortFilter, *, by_centre: bool, parameters=None
) -> ComputedReport:
    """The result as `user` may see it (their centres and patients)."""
    return UserReport(user, spec, filters, by_centre=by_centre, parameters=parameters).computed
