"""The one lock every change of a case takes first: its patient's row.

Writes of a case (`services.prepare_case_changes`), an import (`exchange.importer`,
before it reads the stored cases), the review, lock and unlock of a case
(`quality_services`), the confirmation of a finding and each batch of the rule run
(`finding_services`) all take the patients' rows before anything else, in key order. On
PostgreSQL they then run one after the other for a given case: a write either commits
before a lock or waits, reads the lock and is refused; and no two of them take the case's
derived rows and findings in opposite orders (a deadlock). SQLite runs one writer at a
time and takes no row locks.
"""

from collections.abc import Iterable

from .models import Patient


def lock_cases(patient_ids: Iterable[int]) -> None:
    """Hold these patients' rows until the transaction ends (one query)."""
    list(
        Patient.objects.select_for_update()
        .filter(pk__in=list(patient_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
