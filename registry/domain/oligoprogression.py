"""Locoregional oligoprogression and the OPD-surgery cohort (Bianco 2025)."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .course import Line, Operation, PatientCourse, TimeToEvent, time_to_progression_or_death


class OpdExclusion(StrEnum):
    """Selection steps of the OPD-surgery cohort, in the order they are applied.

    The paper's flow starts from the patients with a locoregional OPD; patients without
    one are outside it, counted beside it.
    """

    NO_LOCOREGIONAL_OPD = "no locoregional oligoprogression"
    NOT_DE_NOVO = "recurrent (not de novo)"
    NO_BREAST_SURGERY = "no breast/axillary surgery after the OPD and before a later progression"
    LINE_NOT_CONTINUED = "systemic line not continued after surgery"


@dataclass(frozen=True)
class OpdCase:
    opd_on: date
    line: Line | None
    operation: Operation | None
    exclusion: OpdExclusion | None  # None: the patient is in the OPD-surgery cohort

    @property
    def pre_opd_pfs(self) -> TimeToEvent | None:
        """Start of the line ongoing at OPD to the OPD date (an event by definition)."""
        if self.line is None:
            return None
        return TimeToEvent(self.line.start, self.opd_on, event=True)

    @property
    def days_opd_to_surgery(self) -> int | None:
        return None if self.operation is None else (self.operation.operated_on - self.opd_on).days

    def post_surgery_pfs(self, course: PatientCourse) -> TimeToEvent | None:
        """pS-PFS: from the OPD date to the first later progression or death."""
        return time_to_progression_or_death(course, self.opd_on)


def first_locoregional_opd(course: PatientCourse) -> date | None:
    """A locoregional progression with the other sites keeping their best response."""
    return min(
        (
            p.occurred_on
            for p in course.progressions
            if p.kind == "locoregional" and p.other_sites_kept_best_response
        ),
        default=None,
    )


def opd_case(course: PatientCourse) -> OpdCase | None:
    """The patient's first locoregional OPD and where the cohort selection stops, if it does.

    None for a patient with no locoregional OPD. A recurrent patient with an OPD gets a
    case excluded as recurrent, the first step of the flow after the OPD.
    """
    opd_on = first_locoregional_opd(course)
    if opd_on is None:
        return None
    line = course.line_at(opd_on)
    next_progression = course.first_progression_after(opd_on)
    operation = min(
        (
            o
            for o in course.operations
            if o.is_breast_or_axilla
            and o.operated_on >= opd_on
            and (next_progression is None or o.operated_on < next_progression)
        ),
        key=lambda o: o.operated_on,
        default=None,
    )
    if course.presentation != "de_novo":
        exclusion = OpdExclusion.NOT_DE_NOVO
    elif operation is None:
        exclusion = OpdExclusion.NO_BREAST_SURGERY
    elif not operation.systemic_line_continued:
        exclusion = OpdExclusion.LINE_NOT_CONTINUED
    else:
        exclusion = None
    return OpdCase(opd_on=opd_on, line=line, operation=operation, exclusion=exclusion)
