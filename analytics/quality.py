"""What a report's cohort carries of data-quality doubt: open findings, open queries, review.

`cohort_quality`, over the cohort's patient ids (a list or a subquery), and
`patients_in_doubt`, for the in-doubt counts of each selection step, read only the
cohort's open findings and queries (and its reviews), so every report states them at no
cost whatever the cohort's size.
"""

from collections.abc import Hashable, Mapping

from django.db.models import Count

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
    reviewed.

    Read from the cohort's open findings, its open queries (few, whatever the cohort's
    size) and a count of its reviewed cases: three queries, where a test per patient row
    of each took a second at 100,000 patients.
    """
    cohort = Patient.objects.filter(pk__in=patient_ids)
    open_findings = list(
        Finding.objects.filter(patient__in=cohort, status=FindingStatus.NEW)
        .order_by()
        .values_list("patient_id", "rule")
        .distinct()
    )
    with_findings = {patient for patient, _ in open_findings}
    with_selection_findings = {
        patient for patient, rule in open_findings if rule in SELECTION_CODES
    }
    with_queries = set(
        DataQuery.objects.filter(patient__in=cohort, state=QueryState.OPEN).values_list(
            "patient_id", flat=True
        )
    )
    patients = cohort.aggregate(
        all=Count("pk"), reviewed=Count("pk", filter=CaseStatus.reviewed(via="case_status__"))
    )
    return {
        "patients": patients["all"],
        "with_open_findings": len(with_findings),
        "with_open_queries": len(with_queries),
        "with_open_findings_or_queries": len(with_findings | with_queries),
        "with_selection_findings": len(with_selection_findings),
        "unreviewed": patients["all"] - patients["reviewed"],
    }


def patients_in_doubt(
    patient_ids, steps: Mapping[Hashable, SelectionInputs]
) -> dict[Hashable, frozenset[str]]:
    """Per selection step, the registry IDs of the cohort's patients with an open finding
    of the step's rules or an open query on what it reads.

    Two queries, over the cohort's open findings and open queries only: they are few,
    whatever the cohort's size, where asking each patient row costs seconds at 100,000.
    """
    rules = {rule for inputs in steps.values() for rule in inputs.rules}
    findings = Finding.objects.filter(
        patient__in=patient_ids, status=FindingStatus.NEW, rule__in=rules
    ).values_list("patient__registry_id", "rule")
    queries = DataQuery.objects.filter(patient__in=patient_ids, state=QueryState.OPEN).values_list(
        "patient__registry_id", "record_kind", "field_name"
    )
    in_doubt: dict[Hashable, set[str]] = {key: set() for key in steps}
    for registry_id, rule in findings:
        for key, inputs in steps.items():
            if rule in inputs.rules:
                in_doubt[key].add(registry_id)
    for registry_id, record_kind, field_name in queries:
        for key, inputs in steps.items():
            if inputs.questioned_by(record_kind, field_name):
                in_doubt[key].add(registry_id)
    return {key: frozenset(ids) for key, ids in in_doubt.items()}
