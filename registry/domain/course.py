"""A patient's clinical course as plain data, and the facts every endpoint shares.

`PatientCourse` is built once per patient by `registry.selectors.patient_courses`
(a few set-based queries) and handed to the derivations in `response.py` and
`oligoprogression.py`; the case page and the analytics both use it.
"""

from dataclasses import dataclass, field
from datetime import date

LAST_CONTACT_STATUS_LABELS = {
    "dead": "dead",
    "alive_ned": "alive with no evidence of disease",
    "alive_with_disease": "alive with disease",
    "unknown": "unknown",
    "not_recorded": "disease status not recorded",
}


@dataclass(frozen=True)
class Line:
    number: int
    regimen: str
    start: date
    end: date | None
    maintenance_start: date | None
    end_reason: str = ""  # a vocabularies.LineEndReason code; "" while ongoing or unrecorded

    def is_running_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def in_maintenance_on(self, day: date) -> bool:
        return self.maintenance_start is not None and day >= self.maintenance_start


@dataclass(frozen=True)
class Response:
    assessed_on: date
    line_number: int
    category: str  # a vocabularies.Recist code


@dataclass(frozen=True)
class Progression:
    occurred_on: date
    kind: str  # a vocabularies.ProgressionKind code
    other_sites_kept_best_response: bool | None


@dataclass(frozen=True)
class Operation:
    operated_on: date
    lumpectomy: bool
    mastectomy: bool
    sentinel_node_biopsy: bool
    axillary_dissection: bool
    metastasectomy: bool
    other_procedure: str
    systemic_line_continued: bool | None

    @property
    def is_breast_or_axilla(self) -> bool:
        return (
            self.lumpectomy
            or self.mastectomy
            or self.sentinel_node_biopsy
            or self.axillary_dissection
        )


@dataclass(frozen=True)
class SiteDetection:
    category: str
    detected_on: date


@dataclass(frozen=True)
class Contact:
    contacted_on: date
    vital_status: str
    disease_status: str
    death_date: date | None


@dataclass(frozen=True)
class PatientCourse:
    patient_id: int
    mbc_diagnosis: date | None
    presentation: str
    lines: tuple[Line, ...] = ()
    responses: tuple[Response, ...] = ()
    progressions: tuple[Progression, ...] = ()
    operations: tuple[Operation, ...] = ()
    radiotherapy_dates: tuple[date, ...] = ()
    sites: tuple[SiteDetection, ...] = ()
    contacts: tuple[Contact, ...] = ()
    # Every date recorded for the patient: the last of them is the last known contact.
    recorded_dates: tuple[date, ...] = field(default=())

    def line(self, number: int) -> Line | None:
        return next((line for line in self.lines if line.number == number), None)

    @property
    def death_date(self) -> date | None:
        return next((c.death_date for c in self.contacts if c.death_date), None)

    @property
    def last_contact(self) -> date | None:
        """The latest date the patient is known to have been alive or died.

        Follow-up contacts are the main source, but any dated record (a scan, a line
        start) also proves contact, so a missing follow-up form does not shorten the
        observation (docs/decisions/0004-last-contact.md).
        """
        dates = [c.contacted_on for c in self.contacts] + list(self.recorded_dates)
        if self.death_date:
            dates.append(self.death_date)
        return max(dates, default=None)

    @property
    def last_contact_status(self) -> str:
        """'dead', 'alive_ned', 'alive_with_disease', 'unknown' or 'not_recorded' at last
        follow-up ('unknown' also when no follow-up contact exists)."""
        if self.death_date:
            return "dead"
        latest = max(self.contacts, key=lambda c: c.contacted_on, default=None)
        if latest is None:
            return "unknown"
        return {
            "ned": "alive_ned",
            "with_disease": "alive_with_disease",
            "not_recorded": "not_recorded",
        }.get(latest.disease_status, "unknown")

    @property
    def last_contact_status_label(self) -> str:
        return LAST_CONTACT_STATUS_LABELS[self.last_contact_status]

    def progression_dates(self) -> list[date]:
        """Dates of progression: events and PD assessments, the same day counted once."""
        dates = {p.occurred_on for p in self.progressions}
        dates |= {r.assessed_on for r in self.responses if r.category == "PD"}
        return sorted(dates)

    def progression_sources(self) -> list[tuple[date, bool, bool]]:
        """(date, a progression event that day, a PD assessment that day), by date."""
        events = {p.occurred_on for p in self.progressions}
        assessments = {r.assessed_on for r in self.responses if r.category == "PD"}
        return [(day, day in events, day in assessments) for day in self.progression_dates()]

    def first_progression_after(self, day: date) -> date | None:
        return next((d for d in self.progression_dates() if d > day), None)

    def site_count_on(self, day: date) -> int:
        """Distinct site categories detected on or before `day`."""
        return len({s.category for s in self.sites if s.detected_on <= day})

    def line_at(self, day: date) -> Line | None:
        """The line with the latest start on or before `day`."""
        started = [line for line in self.lines if line.start <= day]
        return max(started, key=lambda line: (line.start, line.number), default=None)


@dataclass(frozen=True)
class TimeToEvent:
    """A time from an origin to an event or censoring, in days (converted by callers)."""

    origin: date
    end: date
    event: bool

    @property
    def days(self) -> int:
        return (self.end - self.origin).days


def time_to_progression_or_death(course: PatientCourse, origin: date) -> TimeToEvent | None:
    """From `origin` to the first progression after it or death; censored at last contact.

    None when nothing is known after the origin (last contact before it).
    """
    candidates = [d for d in (course.first_progression_after(origin), course.death_date) if d]
    if candidates:
        return TimeToEvent(origin, min(candidates), event=True)
    last = course.last_contact
    if last is None or last < origin:
        return None
    return TimeToEvent(origin, last, event=False)
