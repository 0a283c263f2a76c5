"""Reads of the data-quality rules: the facts they check, the findings they left.

`case_facts` reads a batch of patients with one query per table (never per patient);
the case page builds the same facts from the records it already loaded. The counts of
the findings page and of completeness by centre are single aggregate queries.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import access
from .domain.quality_rules import (
    COMPLETENESS_CODES,
    FACT_COLUMNS,
    PLAUSIBILITY_CODES,
    RULE_BY_CODE,
    RULES,
    CaseFacts,
    ContactFact,
    LineFact,
    ProgressionFact,
    ReceptorFact,
    ResponseFact,
    RuleFinding,
    SurgeryFact,
    case_findings,
)
from .models import (
    KIND_BY_SLUG,
    RECORD_KINDS,
    DataQuery,
    Finding,
    FindingStatus,
    FollowUp,
    Patient,
    ProgressionEvent,
    QueryState,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)

# The facts of each record table, and the case page's record kind they come from.
FACT_SOURCES = (
    ("receptors", ReceptorFact, ReceptorAssessment, "biology"),
    ("lines", LineFact, TreatmentLine, "lines"),
    ("responses", ResponseFact, ResponseAssessment, "responses"),
    ("progressions", ProgressionFact, ProgressionEvent, "progressions"),
    ("surgeries", SurgeryFact, Surgery, "surgeries"),
    ("contacts", ContactFact, FollowUp, "follow-up"),
)
PATIENT_COLUMNS = (
    "pk",
    "birth_date",
    "primary_diagnosis_date",
    "mbc_diagnosis_date",
    "presentation",
)


def case_facts(patient_ids: Iterable[int]) -> dict[int, CaseFacts]:
    """The rules' facts of these patients: one query for the patients, one per record table."""
    ids = list(patient_ids)
    grouped: dict[str, dict[int, list]] = {}
    for name, fact, model, _slug in FACT_SOURCES:
        rows: dict[int, list] = defaultdict(list)
        columns = FACT_COLUMNS[fact]
        for row in model.objects.filter(patient_id__in=ids).values_list("patient_id", *columns):
            rows[row[0]].append(fact(*row[1:]))
        grouped[name] = rows
    return {
        row[0]: CaseFacts(
            row[0], *row[1:], **{name: tuple(grouped[name][row[0]]) for name in grouped}
        )
        for row in Patient.objects.filter(pk__in=ids).values_list(*PATIENT_COLUMNS)
    }


def facts_from_records(
    patient: Patient, records: dict[str, list], *, record_key: Callable | None = None
) -> CaseFacts:
    """The same facts from a case's loaded records (no query): a case page's, or an
    import's before it writes, whose new records have no id yet: `record_key(record)` then
    gives each record (and the line a response belongs to) its id in the facts."""

    def value(record, column: str):
        if record_key is not None and column in ("pk", "line_id"):
            return record_key(record if column == "pk" else record.line)
        return getattr(record, column)

    def facts(fact, records) -> tuple:
        columns = FACT_COLUMNS[fact]
        if record_key is None:  # every fact has its id and more: a tuple, one C call a record
            values = attrgetter(*columns)
            return tuple(fact(*values(record)) for record in records)
        return tuple(fact(*(value(record, column) for column in columns)) for record in records)

    return CaseFacts(
        patient.pk,
        *(getattr(patient, column) for column in PATIENT_COLUMNS[1:]),
        **{name: facts(fact, records.get(slug, ())) for name, fact, _model, slug in FACT_SOURCES},
    )


@dataclass(frozen=True)
class CaseFinding:
    """A rule's finding on the case page, with the status a person gave it, if stored."""

    found: RuleFinding
    stored: Finding | None

    @property
    def rule(self):
        return RULE_BY_CODE[self.found.rule]

    @property
    def status(self) -> str:
        return self.stored.status if self.stored else FindingStatus.NEW

    @property
    def is_confirmed(self) -> bool:
        return self.status == FindingStatus.CONFIRMED


@dataclass
class CaseFindings:
    """A case's findings by the place they concern, for the case page."""

    items: list[CaseFinding]

    @property
    def unconfirmed(self) -> list[CaseFinding]:
        return [item for item in self.items if not item.is_confirmed]

    @property
    def on_patient(self) -> list[CaseFinding]:
        return [item for item in self.items if not item.found.record_kind]

    def on_record(self, kind: str, pk: int) -> list[CaseFinding]:
        return [i for i in self.items if (i.found.record_kind, i.found.record_id) == (kind, pk)]


def case_findings_of(patient: Patient, records: dict[str, list], *, today: date) -> CaseFindings:
    """The rules run on the loaded case, joined to the stored findings (one query)."""
    found = case_findings(facts_from_records(patient, records), today=today)
    stored = {f.key: f for f in Finding.objects.filter(patient=patient)}
    return CaseFindings([CaseFinding(item, stored.get(item.key)) for item in found])


# --- lists and counts -------------------------------------------------------------------


def findings(user) -> QuerySet[Finding]:
    """The findings a user sees: those of the patients of the user's centres, never for
    analysts (a finding quotes identifying values, such as a birth date)."""
    if not access.sees_identifying_data(user):
        return Finding.objects.none()
    return Finding.objects.filter(patient__in=access.patients(user).values("pk"))


def findings_for(user, *, rule: str = "", status: str = "", centre_id: int | None = None):
    found = findings(user).select_related("patient__centre", "confirmed_by", "query")
    groups = {"plausibility": PLAUSIBILITY_CODES, "completeness": COMPLETENESS_CODES}
    if rule in groups:
        found = found.filter(rule__in=groups[rule])
    elif rule:
        found = found.filter(rule=rule)
    if status == "open":
        found = found.filter(status=FindingStatus.NEW)
    elif status:
        found = found.filter(status=status)
    if centre_id:
        found = found.filter(patient__centre_id=centre_id)
    return found.order_by("patient__registry_id", "rule", "record_kind", "record_id", "pk")


def counts_by_rule(found: QuerySet[Finding]) -> list[dict]:
    """Per rule: new, confirmed and fixed findings (one aggregate query)."""
    rows = {
        row["rule"]: row
        for row in found.order_by()
        .values("rule")
        .annotate(
            new=Count("pk", filter=Q(status=FindingStatus.NEW)),
            confirmed=Count("pk", filter=Q(status=FindingStatus.CONFIRMED)),
            fixed=Count("pk", filter=Q(status=FindingStatus.FIXED)),
        )
    }
    return [
        {
            "rule": rule.code,
            "title": rule.title,
            "severity": rule.severity.value,
            "kind": rule.kind.value,
            **{k: rows.get(rule.code, {}).get(k, 0) for k in ("new", "confirmed", "fixed")},
        }
        for rule in RULES
    ]


def patients_with_open_plausibility_findings(patients: QuerySet[Patient]) -> int:
    return (
        Finding.objects.filter(
            patient__in=patients.values("pk"),
            status=FindingStatus.NEW,
            rule__in=PLAUSIBILITY_CODES,
        )
        .values("patient_id")
        .distinct()
        .count()
    )


# --- completeness by centre -------------------------------------------------------------

AGE_BANDS = (("under_7", "< 7 days"), ("7_to_30", "7-30 days"), ("over_30", "> 30 days"))


def _age_counts(moment: str, now) -> dict:
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    return {
        "under_7": Count("pk", filter=Q(**{f"{moment}__gt": week})),
        "7_to_30": Count("pk", filter=Q(**{f"{moment}__lte": week, f"{moment}__gte": month})),
        "over_30": Count("pk", filter=Q(**{f"{moment}__lt": month})),
    }


@dataclass(frozen=True)
class KindCompleteness:
    kind: str
    label: str
    records: int
    incomplete: int

    @property
    def complete(self) -> int:
        return self.records - self.incomplete

    @property
    def share(self) -> float | None:
        return self.complete / self.records if self.records else None

    @property
    def share_text(self) -> str:
        return share_text(self.complete, self.records)


def share_text(n: int, of: int) -> str:
    """ "n/N (x.x%)", as every share the registry prints; a dash when there is nothing."""
    return f"{n}/{of} ({n / of * 100:.1f}%)" if of else "–"


@dataclass(frozen=True)
class CentreCompleteness:
    centre_id: int
    code: str
    name: str
    kinds: tuple[KindCompleteness, ...]
    findings_by_age: dict
    queries_by_age: dict

    @property
    def records(self) -> int:
        return sum(k.records for k in self.kinds)

    @property
    def complete(self) -> int:
        return sum(k.complete for k in self.kinds)

    @property
    def share(self) -> float | None:
        return self.complete / self.records if self.records else None

    @property
    def share_text(self) -> str:
        return share_text(self.complete, self.records)


def completeness_by_centre(user, *, now=None) -> list[CentreCompleteness]:
    """Per visible centre and record kind: records, those with no open finding of a
    completeness rule (the patient row counts as a record), and open findings and open
    queries by age. One aggregate query per table."""
    now = now or timezone.now()
    centres = list(access.visible_centres(user).order_by("code").values_list("pk", "code", "name"))
    centre_ids = [pk for pk, _code, _name in centres]
    open_completeness = Finding.objects.filter(
        status=FindingStatus.NEW, rule__in=COMPLETENESS_CODES
    )
    records: dict[tuple[int, str], int] = defaultdict(int)
    patients = Patient.objects.filter(centre_id__in=centre_ids, archived_at__isnull=True)
    for row in patients.values("centre_id").annotate(n=Count("pk")):
        records[(row["centre_id"], "patient")] = row["n"]
    for kind in RECORD_KINDS:
        if not kind.is_clinical:
            continue
        for row in (
            kind.model.objects.filter(patient__in=patients.values("pk"))
            .values("patient__centre_id")
            .annotate(n=Count("pk"))
        ):
            records[(row["patient__centre_id"], kind.slug)] = row["n"]
    incomplete: dict[tuple[int, str], int] = defaultdict(int)
    for row in (
        open_completeness.filter(patient__in=patients.values("pk"))
        .values("patient__centre_id", "record_kind")
        .annotate(n=Count("record_id", distinct=True), patients=Count("patient", distinct=True))
    ):
        key = row["record_kind"] or "patient"
        # A finding on the patient row concerns one record per patient.
        n = row["patients"] if key == "patient" else row["n"]
        incomplete[(row["patient__centre_id"], key)] += n
    finding_ages = {
        row["patient__centre_id"]: row
        for row in Finding.objects.filter(
            status=FindingStatus.NEW, patient__centre_id__in=centre_ids
        )
        .values("patient__centre_id")
        .annotate(**_age_counts("found_at", now))
    }
    query_ages = {
        row["patient__centre_id"]: row
        for row in DataQuery.objects.filter(
            state=QueryState.OPEN, patient__centre_id__in=centre_ids
        )
        .values("patient__centre_id")
        .annotate(**_age_counts("raised_at", now))
    }
    kinds = [("patient", "Patient")] + [
        (kind.slug, kind.label.capitalize()) for kind in RECORD_KINDS if kind.is_clinical
    ]
    result = []
    for pk, code, name in centres:
        result.append(
            CentreCompleteness(
                pk,
                code,
                name,
                tuple(
                    KindCompleteness(slug, label, records[(pk, slug)], incomplete[(pk, slug)])
                    for slug, label in kinds
                ),
                {band: finding_ages.get(pk, {}).get(band, 0) for band, _label in AGE_BANDS},
                {band: query_ages.get(pk, {}).get(band, 0) for band, _label in AGE_BANDS},
            )
        )
    return result


def record_label(kind: str) -> str:
    return KIND_BY_SLUG[kind].label.capitalize() if kind else "The patient"
