"""What a report's cohort carries of data-quality doubt: open findings, open queries, review.

`cohort_quality`, over the cohort's patient ids (a list or a subquery), is a single
aggregate query, so every report states it at no cost; `patients_in_doubt` is a single
query too, for the in-doubt counts of each selection step.
"""

from collections.abc import Hashable, Mapping
from functools import reduce
from operator import or_

from django.db.models import Count, Exists, OuterRef, Q

from registry.domain.quality_rules import SELECTION_CODES, SelectionInputs
from registry.models import CaseStatus, DataQuery, Finding, FindingStatus, Patient, QueryState

# What the cohort filter's `review` field offers (wired into the cohort filter set).
REVIEW_CHOICES = [
    ("", "Any"),
    ("reviewed", "Reviewed only (leave out unreviewed cases)"),
    ("unreviewed", "Unreviewed only"),
]


def filter_by_review(patients, review: str):
    """The patients the cohort filter's `review` value keeps."""
    if review == "reviewed":
        return patients.filter(CaseStatus.reviewed(via="case_status__"))
    if review == "unreviewed":
        return patients.exclude(CaseStatus.reviewed(via="case_status__"))
    return patients


def cohort_quality(patient_ids) -> dict:
    """Patients of the cohort with open findings, open queries, either, an open finding on
    what the CR and OPD selections use (presentation, subtype, OPD, surgery), and not
    reviewed."""
    open_findings = Finding.objects.filter(patient=OuterRef("pk"), status=FindingStatus.NEW)
    reviewed = CaseStatus.objects.filter(CaseStatus.reviewed(), patient=OuterRef("pk"))
    patients = Patient.objects.filter(pk__in=patient_ids).annotate(
        has_finding=Exists(open_findings),
        has_query=Exists(DataQuery.objects.filter(patient=OuterRef("pk"), state=QueryState.OPEN)),
        has_selection_finding=Exists(open_findings.filter(rule__in=SELECTION_CODES)),
        is_reviewed=Exists(reviewed),
    )
    return patients.aggregate(
        patients=Count("pk"),
        with_open_findings=Count("pk", filter=Q(has_finding=True)),
        with_open_queries=Count("pk", filter=Q(has_query=True)),
        with_open_findings_or_queries=Count("pk", filter=Q(has_finding=True) | Q(has_query=True)),
        with_selection_findings=Count("pk", filter=Q(has_selection_finding=True)),
        unreviewed=Count("pk", filter=Q(is_reviewed=False)),
    )


def _open_query_on(inputs: SelectionInputs) -> Q:
    """An open query on one of the step's fields, or on a record of its kinds as a whole."""
    places = [Q(record_kind=kind, field_name=name) for kind, name in inputs.fields]
    places += [Q(record_kind=kind, field_name="") for kind in inputs.kinds]
    return reduce(or_, places)


def patients_in_doubt(
    patient_ids, steps: Mapping[Hashable, SelectionInputs]
) -> dict[Hashable, frozenset[str]]:
    """Per selection step, the registry IDs of the cohort's patients with an open finding
    of the step's rules or an open query on what it reads (one query, listing only the
    patients in doubt somewhere)."""
    flags = {}
    for number, inputs in enumerate(steps.values()):
        findings = Finding.objects.filter(
            patient=OuterRef("pk"), status=FindingStatus.NEW, rule__in=inputs.rules
        )
        queries = DataQuery.objects.filter(
            _open_query_on(inputs), patient=OuterRef("pk"), state=QueryState.OPEN
        )
        flags[f"finding_{number}"] = Exists(findings)
        flags[f"query_{number}"] = Exists(queries)
    rows = (
        Patient.objects.filter(pk__in=patient_ids)
        .annotate(**flags)
        .filter(reduce(or_, (Q(**{flag: True}) for flag in flags)))
        .values_list("registry_id", *flags)
    )
    in_doubt: dict[Hashable, set[str]] = {key: set() for key in steps}
    for registry_id, *values in rows:
        for number, key in enumerate(steps):
            if values[2 * number] or values[2 * number + 1]:
                in_doubt[key].add(registry_id)
    return {key: frozenset(ids) for key, ids in in_doubt.items()}
