"""Reads of the data-quality workflow: queries by place on a case, review and lock state.

Each function reads with a fixed number of queries, whatever the number of queries or
records, so the case page and the lists stay flat.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from . import access
from .models import KIND_BY_SLUG, CaseStatus, DataQuery, Patient, QueryState

# Who a list of queries is about, from the "My queries" page's tabs.
ASSIGNED_TO_ME = "assigned"
RAISED_BY_ME = "raised"
ALL_I_SEE = "all"


def locked_patient_ids(ids: Iterable[int]) -> set[int]:
    """Which of these patients are locked for analysis (one query), for bulk writers."""
    return set(
        CaseStatus.objects.filter(patient_id__in=list(ids), locked_at__isnull=False).values_list(
            "patient_id", flat=True
        )
    )


@dataclass
class CaseQuality:
    """A case's review and lock, and its open queries by the place they concern."""

    status: CaseStatus | None
    open_queries: list[DataQuery]
    on_patient: list[DataQuery] = field(default_factory=list)
    by_record: dict[tuple[str, int], list[DataQuery]] = field(default_factory=dict)
    by_field: dict[tuple[str, int, str], list[DataQuery]] = field(default_factory=dict)

    @property
    def is_locked(self) -> bool:
        return bool(self.status and self.status.is_locked)


def case_quality(patient: Patient) -> CaseQuality:
    """Two queries: the status with its authors, the open queries of the case."""
    status = (
        CaseStatus.objects.filter(patient=patient)
        .select_related("reviewed_by", "locked_by")
        .first()
    )
    queries = list(DataQuery.objects.filter(patient=patient, state=QueryState.OPEN).order_by("pk"))
    by_record: dict[tuple[str, int], list[DataQuery]] = defaultdict(list)
    by_field: dict[tuple[str, int, str], list[DataQuery]] = defaultdict(list)
    on_patient = []
    for query in queries:
        if not query.record_kind:
            on_patient.append(query)
            continue
        by_record[(query.record_kind, query.record_id)].append(query)
        if query.field_name:
            by_field[(query.record_kind, query.record_id, query.field_name)].append(query)
    return CaseQuality(status, queries, on_patient, dict(by_record), dict(by_field))


def queries_for(
    user, *, who: str = ALL_I_SEE, state: str = "", centre_id: int | None = None
) -> QuerySet[DataQuery]:
    """The queries a user sees, narrowed to those assigned to or raised by them."""
    queries = access.data_queries(user).select_related("patient__centre", "assignee", "raised_by")
    if who == ASSIGNED_TO_ME:
        queries = queries.filter(assignee=user)
    elif who == RAISED_BY_ME:
        queries = queries.filter(raised_by=user)
    if state:
        queries = queries.filter(state=state)
    if centre_id:
        queries = queries.filter(patient__centre_id=centre_id)
    return queries.order_by("-raised_at", "-pk")


def open_queries_assigned_count(user) -> int:
    return access.data_queries(user).filter(assignee=user, state=QueryState.OPEN).count()


@dataclass(frozen=True)
class QueryPlace:
    """What a query concerns, in words, with the case page's anchor and the record."""

    kind_label: str
    record: object | None  # None: the patient row, or a record deleted since
    field_label: str
    anchor: str

    def __str__(self) -> str:
        where = str(self.record) if self.record is not None else self.kind_label
        return f"{where} · {self.field_label}" if self.field_label else where


def query_place(query: DataQuery) -> QueryPlace:
    """One query of the record it names, if any."""
    if not query.record_kind:
        model, record, label, anchor = Patient, None, "The patient", "summary"
    else:
        kind = KIND_BY_SLUG[query.record_kind]
        model, anchor = kind.model, f"{kind.slug}-{query.record_id}"
        record = kind.model.objects.filter(pk=query.record_id, patient=query.patient_id).first()
        label = kind.label.capitalize() + ("" if record else " (deleted since)")
    field_label = ""
    if query.field_name:
        field_label = str(model._meta.get_field(query.field_name).verbose_name).capitalize()
    return QueryPlace(label, record, field_label, anchor)


@dataclass(frozen=True)
class AllowedSteps:
    answer: bool
    close: bool
    reopen: bool

    def __bool__(self) -> bool:
        return self.answer or self.close or self.reopen


def allowed_steps(user, query: DataQuery) -> AllowedSteps:
    """Which next steps the query page offers this user (the services check them again)."""
    auditor = access.may_raise_queries(user)
    withdraws = query.raised_by_id == user.pk or user.is_superuser
    return AllowedSteps(
        answer=query.state == QueryState.OPEN
        and access.patients(user, for_edit=True).filter(pk=query.patient_id).exists(),
        close=auditor
        and (query.state == QueryState.ANSWERED or (query.state == QueryState.OPEN and withdraws)),
        reopen=auditor and query.state in (QueryState.ANSWERED, QueryState.CLOSED),
    )
