"""Reads that more than one screen needs, built from a few set-based queries."""

import json
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from .domain import biology
from .domain.course import (
    Contact,
    Line,
    Operation,
    PatientCourse,
    Progression,
    Response,
    SiteDetection,
)
from .domain.oligoprogression import OpdCase, opd_case
from .domain.plausibility import course_warnings
from .domain.response import CrEpisode, cr_episodes
from .domain.rules import CaseWarning
from .models import (
    PATIENT_RECORD_MODELS,
    Centre,
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from .models.vocabularies import NOT_RECORDED, VitalStatus
from .record_types import RECORD_TYPES
from .timeline import TimelineEntry, build_timeline


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


def _grouped(queryset: QuerySet, fields: tuple[str, ...]) -> dict[int, list[tuple]]:
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for row in queryset.values_list("patient_id", *fields):
        grouped[row[0]].append(row[1:])
    return grouped


def patient_data(patients: QuerySet[Patient]) -> dict[int, PatientData]:
    """Course and biology of every patient of the queryset: one query per record table."""
    ids = patients.values("pk")
    base = patients.values_list(
        "pk", "mbc_diagnosis_date", "presentation", "primary_diagnosis_date", "birth_date"
    )
    lines = _grouped(
        TreatmentLine.objects.filter(patient__in=ids),
        ("number", "regimen", "start_date", "end_date", "maintenance_start_date"),
    )
    responses = _grouped(
        ResponseAssessment.objects.filter(patient__in=ids),
        ("assessed_on", "line__number", "category"),
    )
    progressions = _grouped(
        ProgressionEvent.objects.filter(patient__in=ids),
        ("occurred_on", "kind", "other_sites_kept_best_response"),
    )
    operations = _grouped(
        Surgery.objects.filter(patient__in=ids),
        ("operated_on", *Surgery.PROCEDURE_FIELDS, "other_procedure", "systemic_line_continued"),
    )
    radiotherapy = _grouped(Radiotherapy.objects.filter(patient__in=ids), ("started_on",))
    sites = _grouped(MetastaticSite.objects.filter(patient__in=ids), ("category", "detected_on"))
    contacts = _grouped(
        FollowUp.objects.filter(patient__in=ids),
        ("contact_date", "vital_status", "disease_status", "death_date"),
    )
    receptors = _grouped(
        ReceptorAssessment.objects.filter(patient__in=ids),
        ("assessed_on", "er_percent", "pr_percent", "her2_ihc", "her2_ish"),
    )

    result = {}
    for pk, mbc_diagnosis, presentation, primary_diagnosis, birth_date in base:
        patient_lines = tuple(
            Line(number, regimen, start, end, maintenance)
            for number, regimen, start, end, maintenance in lines[pk]
        )
        patient_responses = tuple(Response(*row) for row in responses[pk])
        patient_progressions = tuple(Progression(*row) for row in progressions[pk])
        patient_operations = tuple(Operation(*row) for row in operations[pk])
        rt_dates = tuple(row[0] for row in radiotherapy[pk])
        patient_sites = tuple(SiteDetection(*row) for row in sites[pk])
        recorded = [mbc_diagnosis]
        recorded += [d for line in patient_lines for d in (line.start, line.end) if d]
        recorded += [r.assessed_on for r in patient_responses]
        recorded += [p.occurred_on for p in patient_progressions]
        recorded += [o.operated_on for o in patient_operations]
        recorded += list(rt_dates)
        recorded += [s.detected_on for s in patient_sites]
        course = PatientCourse(
            patient_id=pk,
            mbc_diagnosis=mbc_diagnosis,
            presentation=presentation,
            lines=patient_lines,
            responses=patient_responses,
            progressions=patient_progressions,
            operations=patient_operations,
            radiotherapy_dates=rt_dates,
            sites=patient_sites,
            contacts=tuple(Contact(*row) for row in contacts[pk]),
            recorded_dates=tuple(recorded),
        )
        result[pk] = PatientData(
            course=course,
            primary_diagnosis=primary_diagnosis,
            receptors=tuple(biology.Receptors(*row) for row in receptors[pk]),
            birth_date=birth_date,
        )
    return result


@dataclass(frozen=True)
class CaseOverview:
    """Everything the case page shows of one patient."""

    patient: Patient
    records: dict[str, list]
    data: PatientData
    episodes: list[CrEpisode]
    opd: OpdCase | None
    warnings: list[CaseWarning]
    timeline: list[TimelineEntry]

    @property
    def sections(self):
        """(record type, records) in the order the case page lists them."""
        return [(RECORD_TYPES[slug], records) for slug, records in self.records.items()]

    @property
    def line_at_opd(self):
        return self.opd.line if self.opd else None


def case_overview(patient: Patient) -> CaseOverview:
    records = {
        slug: list(
            record_type.model.objects.filter(patient=patient).select_related(
                *record_type.select_related
            )
        )
        for slug, record_type in RECORD_TYPES.items()
    }
    data = patient_data(Patient.objects.filter(pk=patient.pk))[patient.pk]
    episodes = cr_episodes(data.course)
    warnings = course_warnings(
        data.course,
        primary_diagnosis=data.primary_diagnosis,
        receptors=list(data.receptors),
        birth_date=data.birth_date,
    )
    return CaseOverview(
        patient=patient,
        records=records,
        data=data,
        episodes=episodes,
        opd=opd_case(data.course),
        warnings=warnings,
        timeline=build_timeline(patient, records, episodes),
    )


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


def data_version() -> str:
    """The newest audit row of the patients, centres and every patient record, as one string.

    Any write, deletion, archive or move adds an audit row, so figures cached under this
    version are never stale; it costs one indexed MAX per audited table, whatever N.
    """
    newest = [
        model.history.aggregate(id=Max("history_id"), at=Max("history_date"))
        for model in (Patient, Centre, *PATIENT_RECORD_MODELS)
    ]
    return json.dumps(newest, default=str)
