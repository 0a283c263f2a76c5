"""Writes of the data-quality rules: recompute findings, confirm one, turn one into a query.

`findings_refresh` runs in the write's transaction (called at the end of
`services.patient_summary_refresh`) and in batches by the rule run; both diff the rules'
findings against the stored ones set-wise: a few queries per batch of patients. Every
status change writes its audit row (simple-history's bulk helpers).
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from . import access
from .bulk import create_with_history
from .case_locks import lock_cases
from .domain.quality_rules import PLAUSIBILITY_CODES, CaseFacts, case_findings
from .finding_selectors import case_facts, counts_by_rule, findings
from .models import DataQuery, Finding, FindingStatus, Patient, PatientSummary

BATCH_SIZE = 1000
CHANGED_FIELDS = ["status", "message", "fixed_at", "found_at"]


def findings_refresh(
    patient_ids: Iterable[int],
    *,
    today: date | None = None,
    reason: str = "",
    user=None,
    facts: dict[int, CaseFacts] | None = None,
) -> Counter:
    """Recompute the findings of these patients; how many became new, fixed, stayed open.

    A finding the rules produce again keeps its status (a confirmed one stays confirmed);
    a fixed one found again is new again; an open or confirmed one no longer found is
    fixed. The patients' summaries keep the count of their new plausibility findings.
    `facts`: the patients' facts when the caller holds every record of them (an import).
    """
    ids = list(patient_ids)
    today = today or timezone.localdate()
    now = timezone.now()
    found = {
        finding.key: finding
        for case in (case_facts(ids) if facts is None else facts).values()
        for finding in case_findings(case, today=today)
    }
    stored = {f.key: f for f in Finding.objects.filter(patient_id__in=ids)}
    created = [
        Finding(
            rule=item.rule,
            patient_id=item.patient_id,
            record_kind=item.record_kind,
            record_id=item.record_id,
            field_name=item.field_name,
            message=item.message[:300],
            found_at=now,
        )
        for key, item in found.items()
        if key not in stored
    ]
    changed, counts = [], Counter(new=len(created))
    for key, finding in stored.items():
        item = found.get(key)
        if item is None:
            if finding.status != FindingStatus.FIXED:
                finding.status, finding.fixed_at = FindingStatus.FIXED, now
                changed.append(finding)
                counts["fixed"] += 1
            continue
        message = item.message[:300]
        if finding.status == FindingStatus.FIXED:
            finding.status, finding.fixed_at, finding.found_at = FindingStatus.NEW, None, now
            finding.message = message
            changed.append(finding)
            counts["new"] += 1
        elif finding.message != message:
            finding.message = message
            changed.append(finding)
    why = reason or "Data-quality rules recomputed"
    if created:
        create_with_history(created, Finding, user=user, reason=why)
    if changed:
        bulk_update_with_history(
            changed,
            Finding,
            CHANGED_FIELDS,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=why,
        )
    _summaries_warning_count(ids, found.values(), stored.values())
    return counts


def _summaries_warning_count(ids, found, stored) -> None:
    """The patient list's warning badge: unconfirmed plausibility findings per patient.

    One UPDATE, a branch per count: Django's bulk_update builds a branch per patient,
    which cost more than the rules themselves for an import's thousand patients."""
    confirmed = {f.key for f in stored if f.status == FindingStatus.CONFIRMED}
    per_patient = Counter(
        f.patient_id for f in found if f.rule in PLAUSIBILITY_CODES and f.key not in confirmed
    )
    # Only the counts that change, one UPDATE per new value: a bulk_update of every row
    # (a CASE of a thousand branches) was half the rule run's CPU.
    changes: dict[int, list[int]] = defaultdict(list)
    for pk, current in PatientSummary.objects.filter(patient_id__in=ids).values_list(
        "pk", "warning_count"
    ):
        wanted = per_patient.get(pk, 0)
        if wanted != current:
            changes[wanted].append(pk)
    for warning_count, pks in changes.items():
        PatientSummary.objects.filter(pk__in=pks).update(warning_count=warning_count)


def rules_run(
    *, today: date | None = None, progress: Callable[[int, int], None] | None = None, user=None
) -> Counter:
    """Every patient's findings, in batches of BATCH_SIZE, each batch in its transaction."""
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    totals: Counter = Counter()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        with transaction.atomic():
            lock_cases(batch)  # a write of one of them waits, or is waited for
            totals += findings_refresh(batch, today=today, reason="Rule run", user=user)
        if progress:
            progress(min(start + BATCH_SIZE, len(ids)), len(ids))
    return totals


def counts_by_rule_all() -> list[dict]:
    """Per rule, its findings by status over the whole registry (the rule run's result)."""
    return counts_by_rule(Finding.objects.all())


def _visible_finding(user, finding: Finding) -> Finding:
    locked = findings(user).select_for_update().filter(pk=finding.pk).first()
    if locked is None:
        raise PermissionDenied("You cannot see this finding.")
    return locked


def finding_confirm(*, user, finding: Finding, reason: str) -> Finding:
    """A data manager of the centre or an auditor says the data is right as entered."""
    if not (
        access.may_raise_queries(user)
        or access.patients(user, for_edit=True).filter(pk=finding.patient_id).exists()
    ):
        raise PermissionDenied("Only the centre's data managers and auditors confirm findings.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the data is correct as entered."})
    with transaction.atomic():
        lock_cases([finding.patient_id])  # before its finding and summary, as a write does
        finding = _visible_finding(user, finding)
        if finding.status != FindingStatus.NEW:
            raise ValidationError(
                f"{finding} is {finding.get_status_display().lower()}; only a new one is confirmed."
            )
        finding.status = FindingStatus.CONFIRMED
        finding.reason = reason.strip()[:300]
        finding.confirmed_by, finding.confirmed_at = user, timezone.now()
        finding.full_clean()
        finding._history_user, finding._change_reason = user, finding.reason
        finding.save()
        PatientSummary.objects.filter(pk=finding.patient_id, warning_count__gt=0).update(
            warning_count=_warning_count(finding.patient_id)
        )
    return finding


def _warning_count(patient_id: int) -> int:
    return Finding.objects.filter(
        patient_id=patient_id, status=FindingStatus.NEW, rule__in=PLAUSIBILITY_CODES
    ).count()


def finding_to_query(*, user, finding: Finding, assignee, question: str = "") -> DataQuery:
    """Raise a query on the finding's patient, record and field, its message as the
    question (or the given one); the finding and the query name each other."""
    from . import quality_services  # it writes through services, which refresh findings

    if not access.may_raise_queries(user):
        raise PermissionDenied("Only auditors and administrators raise queries.")
    with transaction.atomic():
        finding = _visible_finding(user, finding)
        if finding.query_id:
            raise ValidationError(f"{finding} is already {finding.query}.")
        if finding.status != FindingStatus.NEW:
            raise ValidationError(
                f"{finding} is {finding.get_status_display().lower()}; only a new one is queried."
            )
        patient = Patient.objects.select_related("centre").get(pk=finding.patient_id)
        query = quality_services.query_raise(
            user=user,
            patient=patient,
            question=question.strip() or finding.message,
            assignee=assignee,
            record_kind=finding.record_kind,
            record_id=finding.record_id if finding.record_kind else None,
            field_name=finding.field_name,
            origin=f"rule:{finding.rule}",
        )
        finding.query = query
        finding._history_user, finding._change_reason = user, f"Turned into {query}"
        finding.save(update_fields=["query"])
    return finding.query
