"""What a report's cohort carries of data-quality doubt: open findings, open queries, review.

One function, `cohort_quality`, over the cohort's patient ids (a list or a subquery): a
single aggregate query, so every report states it at no cost.
"""

from django.db.models import Count, Exists, OuterRef, Q

from registry.domain.quality_rules import SELECTION_CODES
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
