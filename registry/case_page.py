"""What the case page shows: its records and derivations, the summary header, the course.

`case_overview` reads the patient's records once (a query per record kind) and derives
from them (`selectors.patient_data_of`); the summary and the drawn course are made from
what it loaded, with no query of their own. The course is a server-side SVG in the manner
of cBioPortal's patient timeline: a row per treatment line with its bar over time,
responses as marks coloured by RECIST category, and a row of events (progressions,
surgeries, radiotherapy, death).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import timezone

from .display_dates import day
from .domain.oligoprogression import OpdCase, opd_case
from .domain.response import CrEpisode, cr_episodes
from .finding_selectors import CaseFinding, CaseFindings, case_findings_of
from .labels import clinical_label
from .links import link_maker
from .models import DataQuery, Patient
from .quality_selectors import CaseQuality
from .record_types import RECORD_TYPES, RecordType
from .selectors import PatientData, patient_data_of, patient_records
from .timeline import TimelineEntry, build_timeline

# Drawing area of the SVG, in its own units (the page scales it to its width).
LABEL_WIDTH = 300
PLOT_LEFT = LABEL_WIDTH + 10
PLOT_RIGHT = 1180
WIDTH = 1200
ROW_HEIGHT = 30
TOP = 10
AXIS_HEIGHT = 34
# CSS classes of the response marks (a stored code is no class name a page should carry).
RECIST_CLASSES = {
    "CR": "recist-cr",
    "PR": "recist-pr",
    "SD": "recist-sd",
    "non_CR_non_PD": "recist-noncr",
    "PD": "recist-pd",
    "NE": "recist-ne",
}


@dataclass(frozen=True)
class CaseOverview:
    """Everything the case page shows of one patient."""

    patient: Patient
    records: dict[str, list]
    data: PatientData
    episodes: list[CrEpisode]
    opd: OpdCase | None
    findings: CaseFindings
    timeline: list[TimelineEntry]

    @property
    def line_at_opd(self):
        return self.opd.line if self.opd else None


def case_overview(patient: Patient) -> CaseOverview:
    records = patient_records(patient)
    data = patient_data_of(patient, records)
    episodes = cr_episodes(data.course)
    return CaseOverview(
        patient=patient,
        records=records,
        data=data,
        episodes=episodes,
        opd=opd_case(data.course),
        findings=case_findings_of(patient, records, today=timezone.localdate()),
        timeline=build_timeline(patient, records, episodes),
    )


class RecordLinks:
    """The URLs of one patient's records, each route reversed once per kind
    (`registry.links`): a case page links each record up to four times."""

    def __init__(self, registry_id: str):
        self.registry_id = registry_id
        self._makers: dict[tuple[str, str], Callable[[int], str]] = {}

    def __call__(self, name: str, slug: str, pk: int) -> str:
        make = self._makers.get((name, slug))
        if make is None:
            make = self._makers[(name, slug)] = link_maker(
                name, args=(self.registry_id, slug), segment=""
            )
        return make(pk)


class Cell(NamedTuple):  # a tuple: the template unpacks it, quicker than two lookups
    text: str
    queries: list[DataQuery]  # open on this field of the record


@dataclass(frozen=True)
class RecordRow:
    anchor: str
    cells: list[Cell]
    queries: list[DataQuery]  # open on the record
    findings: list[CaseFinding]
    edit_url: str
    delete_url: str
    history_url: str
    query_url: str


@dataclass(frozen=True)
class RecordSection:
    record_type: RecordType
    headings: list[str]
    rows: list[RecordRow]


def record_sections(case: CaseOverview, quality: CaseQuality) -> list[RecordSection]:
    """A table per kind of record, in the case's order, with each cell as the clinic reads it
    and the row's badges and links made here rather than by template tags per cell."""
    links = RecordLinks(case.patient.registry_id)
    raise_query = reverse("registry:query-raise", args=[case.patient.registry_id])
    sections = []
    for slug, records in case.records.items():
        record_type = RECORD_TYPES[slug]
        columns = record_type.columns
        rows = [
            RecordRow(
                anchor=f"{slug}-{record.pk}",
                cells=[
                    Cell(cell_text(record, name), quality.by_field.get((slug, record.pk, name), []))
                    for name in columns
                ],
                queries=quality.by_record.get((slug, record.pk), []),
                findings=case.findings.on_record(slug, record.pk),
                edit_url=links("registry:record-update", slug, record.pk),
                delete_url=links("registry:record-delete", slug, record.pk),
                history_url=links("registry:record-history", slug, record.pk),
                query_url=f"{raise_query}?kind={slug}&record={record.pk}",
            )
            for record in records
        ]
        headings = [column_label(record_type.model, name) for name in columns]
        sections.append(RecordSection(record_type, headings, rows))
    return sections


def cell_text(record, name: str) -> str:
    """Any record field the way the clinic reads it."""
    display = getattr(record, f"get_{name}_display", None)
    value = display() if display else getattr(record, name)
    if callable(value):
        value = value()
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if value is None and name in getattr(record, "EMPTY_MEANS_NOT_RECORDED", ()):
        return "not recorded"
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return day(value)
    return str(getattr(value, "value", value))


def column_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_labels", "s").replace("_", " ")


def timeline_rows(case: CaseOverview) -> list[tuple[TimelineEntry, str, str]]:
    """(entry, its date in words, the edit link of its record or "")."""
    links = RecordLinks(case.patient.registry_id)
    return [
        (
            entry,
            day(entry.on),
            links("registry:record-update", entry.slug, entry.pk) if entry.pk else "",
        )
        for entry in case.timeline
    ]


@dataclass(frozen=True)
class CaseSummary:
    subtype: str
    presentation: str
    sites: list[str]
    current_line: str
    last_response: str
    status: str


def _line_text(line) -> str:
    return f"Line {line.number}: {line.get_regimen_display()} ({line.agents})"


def case_summary(case) -> CaseSummary:
    """The six facts a clinician looks for first, in words."""
    records, course = case.records, case.data.course
    ongoing = [line for line in records["lines"] if line.end_date is None]
    if ongoing:
        line = max(ongoing, key=lambda item: item.start_date)
        current = f"{_line_text(line)} since {day(line.start_date)}"
    elif records["lines"]:
        current = "None ongoing"
    else:
        current = "No treatment line recorded"
    responses = sorted(records["responses"], key=lambda r: r.assessed_on)
    last_response = (
        f"{responses[-1].get_category_display()} on {day(responses[-1].assessed_on)} "
        f"(line {responses[-1].line.number})"
        if responses
        else "None recorded"
    )
    last_contact = course.last_contact
    status = course.last_contact_status_label.capitalize()
    if last_contact:
        status += f" (last contact {day(last_contact)})"
    sites = sorted(
        {s.get_category_display() for s in records["sites"]}, key=lambda text: text.lower()
    )
    return CaseSummary(
        subtype=case.data.subtype.value,
        presentation=case.patient.get_presentation_display(),
        sites=sites,
        current_line=current,
        last_response=last_response,
        status=status,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    css: str
    title: str


@dataclass(frozen=True)
class Mark:
    x: float
    css: str  # the symbol and its colour: recist-CR, progression, surgery, ...
    title: str

    @property
    def shape(self) -> str:
        return "response" if self.css.startswith("recist-") else self.css


@dataclass
class ChartRow:
    label: str
    y: float
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class CourseChart:
    rows: list[ChartRow]
    ticks: list[Tick]
    height: float
    axis_y: float
    start: date
    end: date
    width: int = WIDTH
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT

    @property
    def description(self) -> str:
        return (
            f"Course from {day(self.start)} to {day(self.end)}: "
            f"{len(self.rows) - 1} treatment line(s); the dated list below gives every entry."
        )


def course_chart(case) -> CourseChart | None:
    """The course drawn over time; None when nothing dated is recorded after diagnosis."""
    records, patient = case.records, case.patient
    lines = sorted(records["lines"], key=lambda line: (line.number, line.start_date))
    last_contact = case.data.course.last_contact
    dated = [patient.mbc_diagnosis_date, last_contact]
    dated += [d for line in lines for d in (line.start_date, line.end_date)]
    dated = [d for d in dated if d]
    if not dated:
        return None
    start, end = min(dated), max(dated)
    span = max((end - start).days, 1)

    def x(on: date) -> float:
        return round(PLOT_LEFT + (on - start).days / span * (PLOT_RIGHT - PLOT_LEFT), 1)

    events = ChartRow("Events", TOP)
    rows = [events]
    for index, line in enumerate(lines, start=1):
        row = ChartRow(
            f"Line {line.number} · {line.get_regimen_display()}", TOP + index * ROW_HEIGHT
        )
        until = line.end_date or last_contact or line.start_date
        maintenance = line.maintenance_start_date
        induction_end = maintenance or until
        row.bars.append(
            Bar(
                x(line.start_date),
                max(x(induction_end) - x(line.start_date), 2),
                "line-bar" if line.end_date else "line-bar ongoing",
                f"{_line_text(line)}: {day(line.start_date)} – "
                + (day(line.end_date) if line.end_date else "ongoing"),
            )
        )
        if maintenance:
            row.bars.append(
                Bar(
                    x(maintenance),
                    max(x(until) - x(maintenance), 2),
                    "line-bar maintenance",
                    f"Line {line.number}: maintenance from {day(maintenance)}",
                )
            )
        rows.append(row)
    row_of_line = {line.pk: row for line, row in zip(lines, rows[1:], strict=True)}
    for response in records["responses"]:
        row_of_line[response.line_id].marks.append(
            Mark(
                x(response.assessed_on),
                RECIST_CLASSES[response.category],
                f"{day(response.assessed_on)}: {response.get_category_display()}",
            )
        )
    for progression in records["progressions"]:
        events.marks.append(
            Mark(
                x(progression.occurred_on),
                "progression",
                f"{day(progression.occurred_on)}: {progression.get_kind_display()} progression",
            )
        )
    for surgery in records["surgeries"]:
        events.marks.append(
            Mark(
                x(surgery.operated_on),
                "surgery",
                f"{day(surgery.operated_on)}: surgery ({', '.join(surgery.procedure_labels())})",
            )
        )
    for course in records["radiotherapy"]:
        events.marks.append(
            Mark(
                x(course.started_on),
                "radiotherapy",
                f"{day(course.started_on)}: radiotherapy, {course.get_site_display()}",
            )
        )
    death = case.data.course.death_date
    if death:
        events.marks.append(Mark(x(death), "death", f"{day(death)}: death"))
    axis_y = TOP + len(rows) * ROW_HEIGHT
    return CourseChart(
        rows=rows,
        ticks=_year_ticks(start, end, x),
        height=axis_y + AXIS_HEIGHT,
        axis_y=axis_y,
        start=start,
        end=end,
    )


def _year_ticks(start: date, end: date, x) -> list[Tick]:
    """A tick at each 1 January (every other one past 12 years), the ends labelled too."""
    years = list(range(start.year + 1, end.year + 1))
    step = 2 if len(years) > 12 else 1
    ticks = [Tick(x(date(year, 1, 1)), str(year)) for year in years[::step]]
    return ticks or [Tick(x(start), day(start)), Tick(x(end), day(end))]


LEGEND = [
    # (css class, label); the shape follows from the class as for a Mark.
    *(
        (css, "Non-CR/non-PD" if code == "non_CR_non_PD" else clinical_label(code, "Recist"))
        for code, css in RECIST_CLASSES.items()
    ),
    ("progression", "Progression event"),
    ("surgery", "Surgery"),
    ("radiotherapy", "Radiotherapy"),
    ("death", "Death"),
]


def legend() -> list[Mark]:
    return [Mark(0, css, label) for css, label in LEGEND]
