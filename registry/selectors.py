"""Reads that more than one screen needs, built from a few set-based queries."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import attrgetter

from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet

from .domain import biology
from .domain.bounds import PatientBounds
from .domain.course import (
    Contact,
    Line,
    Operation,
    PatientCourse,
    Progression,
    Response,
    SiteDetection,
)
from .models import (
    CLINICAL_RECORD_MODELS,
    PATIENT_RECORD_MODELS,
    CaseStatus,
    Centre,
    CentreMembership,
    DataQuery,
    Finding,
    FollowUp,
    MetastaticSite,
    Patient,
    PatientSummary,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from .models.kinds import RECORD_KINDS
from .models.vocabularies import NOT_RECORDED, VitalStatus


@dataclass(frozen=True)
class PatientData:
    """What the derivations need of one patient: its course and its biology."""

    course: PatientCourse
    primary_diagnosis: object
    receptors: tuple[biology.Receptors, ...]
    birth_date: object = None

    @property
    def subtype(self) -> biology.Subtype:
        return biology.patient_subtype(self.receptors, self.course.mbc_diagnosis)

    @property
    def reference_receptors(self) -> biology.Receptors | None:
        return biology.reference_assessment(self.receptors, self.course.mbc_diagnosis)


# What the derivations read of each record table, in the order the course's types take it.
COURSE_FIELDS = {
    TreatmentLine: (
        "number",
        "regimen",
        "start_date",
        "end_date",
        "maintenance_start_date",
        "end_reason",
    ),
    ResponseAssessment: ("assessed_on", "line__number", "category"),
    ProgressionEvent: ("occurred_on", "kind", "other_sites_kept_best_response"),
    Surgery: (
        "operated_on",
        *Surgery.PROCEDURE_FIELDS,
        "other_procedure",
        "systemic_line_continued",
    ),
    Radiotherapy: ("started_on",),
    MetastaticSite: ("category", "detected_on"),
    FollowUp: ("contact_date", "vital_status", "disease_status", "death_date"),
    ReceptorAssessment: ("assessed_on", "er_percent", "pr_percent", "her2_ihc", "her2_ish"),
}
PATIENT_FIELDS = ("mbc_diagnosis_date", "presentation", "primary_diagnosis_date", "birth_date")


def _grouped(queryset: QuerySet, fields: tuple[str, ...]) -> dict[int, list[tuple]]:
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for row in queryset.values_list("patient_id", *fields):
        grouped[row[0]].append(row[1:])
    return grouped


def patient_data(patients: QuerySet[Patient]) -> dict[int, PatientData]:
    """Course and biology of every patient of the queryset: one query per record table."""
    ids = patients.values("pk")
    rows = {
        model: _grouped(model.objects.filter(patient__in=ids), fields)
        for model, fields in COURSE_FIELDS.items()
    }
    return {
        pk: _patient_data(pk, patient, {model: rows[model][pk] for model in COURSE_FIELDS})
        for pk, *patient in patients.values_list("pk", *PATIENT_FIELDS)
    }


def patient_data_of(patient: Patient, records: dict[str, list]) -> PatientData:
    """The same from one patient's records already loaded (`patient_records`): no query."""
    by_model = {kind.model: records[kind.slug] for kind in RECORD_KINDS}
    rows = {
        model: list(map(_values(fields), by_model[model]))
        for model, fields in COURSE_FIELDS.items()
    }
    return _patient_data(patient.pk, [getattr(patient, name) for name in PATIENT_FIELDS], rows)


def in_query_order(model, records: list) -> list:
    """Records held in memory (a write's, with their ids) in the order the model's
    queries return them: its Meta ordering, ascending columns that are never empty (the
    record kinds' orderings), so that what is derived from them is what a reading of
    the database would give. Text sorts by code point, which a database collation may
    not: the one kind ordered by text (metastatic sites, by category within a day) is
    read as a set by the derivations and rules."""
    fields = tuple(model._meta.ordering)
    if any(name.startswith("-") for name in fields):
        raise ValueError(f"{model.__name__}: only ascending orderings are followed in memory.")
    return sorted(records, key=_values(fields))


@cache
def _values(paths: tuple[str, ...]) -> Callable[[object], tuple]:
    """A record's values at these paths ("line__number": its line's number), as a tuple:
    one C call per record (operator.attrgetter)."""
    get = attrgetter(*(path.replace("__", ".") for path in paths))
    return get if len(paths) > 1 else lambda record: (get(record),)


def _patient_data(pk: int, patient: list, rows: dict[type, list[tuple]]) -> PatientData:
    mbc_diagnosis, presentation, primary_diagnosis, birth_date = patient
    lines = tuple(Line(*row) for row in rows[TreatmentLine])
    responses = tuple(Response(*row) for row in rows[ResponseAssessment])
    progressions = tuple(Progression(*row) for row in rows[ProgressionEvent])
    operations = tuple(Operation(*row) for row in rows[Surgery])
    rt_dates = tuple(row[0] for row in rows[Radiotherapy])
    sites = tuple(SiteDetection(*row) for row in rows[MetastaticSite])
    recorded = [mbc_diagnosis]
    recorded += [d for line in lines for d in (line.start, line.end) if d]
    recorded += [r.assessed_on for r in responses]
    recorded += [p.occurred_on for p in progressions]
    recorded += [o.operated_on for o in operations]
    recorded += list(rt_dates)
    recorded += [s.detected_on for s in sites]
    course = PatientCourse(
        patient_id=pk,
        mbc_diagnosis=mbc_diagnosis,
        presentation=presentation,
        lines=lines,
        responses=responses,
        progressions=progressions,
        operations=operations,
        radiotherapy_dates=rt_dates,
        sites=sites,
        contacts=tuple(Contact(*row) for row in rows[FollowUp]),
        recorded_dates=tuple(recorded),
    )
    return PatientData(
        course=course,
        primary_diagnosis=primary_diagnosis,
        receptors=tuple(biology.Receptors(*row) for row in rows[ReceptorAssessment]),
        birth_date=birth_date,
    )


def patient_records(patient: Patient) -> dict[str, list]:
    """Every record of one patient, by kind (slug), in each kind's order: a query per kind."""
    return {
        kind.slug: list(
            kind.model.objects.filter(patient=patient).select_related(*kind.select_related)
        )
        for kind in RECORD_KINDS
    }


@dataclass(frozen=True)
class NotRecordedField:
    """A field a chart may leave silent, and how its "not recorded" answer is stored."""

    key: str
    label: str
    model: type
    condition: Q


NOT_RECORDED_FIELDS = (
    NotRecordedField("histology", "Histology", Patient, Q(histology=NOT_RECORDED)),
    NotRecordedField(
        "site_confirmation",
        "How a metastatic site was confirmed",
        MetastaticSite,
        Q(confirmation=NOT_RECORDED),
    ),
    NotRecordedField("surgical_intent", "Surgical intent", Surgery, Q(intent=NOT_RECORDED)),
    NotRecordedField(
        "radiotherapy_total_dose",
        "Radiotherapy total dose",
        Radiotherapy,
        Q(total_dose_gy__isnull=True),
    ),
    NotRecordedField(
        "radiotherapy_fractions", "Radiotherapy fractions", Radiotherapy, Q(fractions__isnull=True)
    ),
    NotRecordedField(
        "disease_status_before_death",
        "Disease status at the last contact before death",
        FollowUp,
        Q(vital_status=VitalStatus.DEAD, disease_status=NOT_RECORDED),
    ),
    NotRecordedField(
        "disease_status_at_contact",
        "Disease status at a follow-up contact of a living patient",
        FollowUp,
        Q(vital_status=VitalStatus.ALIVE, disease_status=NOT_RECORDED),
    ),
)


def not_recorded_counts(patients: QuerySet[Patient]) -> dict[str, dict]:
    """How many records of `patients` answer "not recorded", per field: one query per table.

    Each field: its label, the records not recorded of the records that have the field,
    and the patients with at least one.
    """
    by_model: dict[type, list[NotRecordedField]] = defaultdict(list)
    for item in NOT_RECORDED_FIELDS:
        by_model[item.model].append(item)
    counts = {}
    for model, items in by_model.items():
        patient = "pk" if model is Patient else "patient"
        rows = model.objects.filter(**{f"{patient}__in": patients.values("pk")})
        aggregates = {"total": Count("pk")}
        for item in items:
            aggregates[f"missing_{item.key}"] = Count("pk", filter=item.condition)
            aggregates[f"missing_{item.key}_patients"] = Count(
                patient, filter=item.condition, distinct=True
            )
        values = rows.aggregate(**aggregates)
        for item in items:
            counts[item.key] = {
                "label": item.label,
                "records": values[f"missing_{item.key}"],
                "of_records": values["total"],
                "patients": values[f"missing_{item.key}_patients"],
            }
    return {item.key: counts[item.key] for item in NOT_RECORDED_FIELDS}


def patient_bounds(patient_ids) -> dict[int, PatientBounds]:
    """What the rules of a write need to know of each patient (`domain/bounds.py`), in three
    queries whatever the number of patients or records: the patients, the recorded deaths,
    and the first and last date of each record table (one UNION ALL)."""
    patient_ids = list(patient_ids)
    deaths = defaultdict(list)
    for patient_id, pk, day in (
        FollowUp.objects.filter(patient_id__in=patient_ids, vital_status=VitalStatus.DEAD)
        .order_by("pk")
        .values_list("patient_id", "pk", "death_date")
    ):
        deaths[patient_id].append((pk, day))
    parts = [
        model.records_bounding_life(patient_ids)
        .order_by()
        .values("patient_id")
        .annotate(first=Min(name), last=Max(name))
        .values_list("patient_id", "first", "last")
        for model in CLINICAL_RECORD_MODELS
        for name in model.event_date_fields
    ]
    dates = defaultdict(list)
    for patient_id, first, last in parts[0].union(*parts[1:], all=True):
        dates[patient_id] += [day for day in (first, last) if day]
    return {
        pk: PatientBounds(
            birth_date=birth,
            mbc_diagnosis_date=mbc,
            family_name=family,
            given_name=given,
            record_number=number,
            deaths=tuple(deaths[pk]),
            earliest_record_date=min(dates[pk], default=None),
            latest_record_date=max(dates[pk], default=None),
        )
        for pk, birth, mbc, family, given, number in Patient.objects.filter(
            pk__in=patient_ids
        ).values_list(
            "pk", "birth_date", "mbc_diagnosis_date", "family_name", "given_name", "record_number"
        )
    }


def data_version() -> str:
    """The newest history row of every table a page or report reads, as one digest: one query.

    Figures cached under this version (reports, the home page's counts) are never stale.
    """
    sql, params = _data_version_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        newest_rows = cursor.fetchone()
    return hashlib.sha256(json.dumps(newest_rows, default=str).encode()).hexdigest()


@cache
def _data_version_statement(vendor: str) -> tuple[str, tuple]:
    """data_version's statement, compiled once per process: it never changes, and building it
    (a subquery per history table) cost more CPU than running it.

    Each table's newest history id and date is a scalar subquery built by the ORM; any
    write, archive or move adds a history row, so it changes the version.
    """
    # Reports state their cohort's open findings, queries and reviews: those count too; so
    # do the centres' members, who decide which patients a user's lists and counts read.
    versioned = (
        Patient,
        Centre,
        *PATIENT_RECORD_MODELS,
        Finding,
        DataQuery,
        CaseStatus,
        CentreMembership,
    )
    newest = [
        model.history.order_by(f"-{column}").values(column)[:1]
        for model in versioned
        for column in ("history_id", "history_date")
    ]
    # A rebuild of the derived rows (after a rule change) writes no history: their newest
    # refresh time makes it a new version too.
    newest.append(PatientSummary.objects.order_by("-refreshed_at").values("refreshed_at")[:1])
    parts, params = [], []
    for queryset in newest:
        sql, sql_params = queryset.query.sql_with_params()
        parts.append(f"({sql})")
        params.extend(sql_params)
    # Only ORM-compiled subqueries and their parameters are joined here.
    return "SELECT " + ", ".join(parts), tuple(params)  # nosec B608
