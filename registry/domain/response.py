"""Complete-response episodes (DEFINITIONS.md, "Complete response", Galli 2017)."""

from dataclasses import dataclass
from datetime import date

from .course import PatientCourse, TimeToEvent, time_to_progression_or_death

CONTINUES_CR = frozenset({"CR", "NE"})


@dataclass(frozen=True)
class CrEpisode:
    """A run of assessments that starts at a CR and continues through CR or NE.

    It belongs to the line of its first CR and is dated by that CR.
    """

    first_cr_on: date
    line_number: int
    ended_on: date | None  # None while the patient is still in CR
    ended_by: str  # a Recist code, "progression event", or "" while ongoing
    during_maintenance: bool

    def duration(self, course: PatientCourse) -> TimeToEvent | None:
        """Duration of CR: first CR to the next progression or death, censored at last contact."""
        return time_to_progression_or_death(course, self.first_cr_on)


def cr_episodes(course: PatientCourse) -> list[CrEpisode]:
    """Split the assessments, ordered by date across lines, into CR episodes.

    An episode ends at the first later PR, SD, PD or non-CR/non-PD assessment, or at a
    progression event, whichever is first. On one day a progression event is taken
    before an assessment (the disease was not in CR that day); assessments of one day
    are taken in line order.
    """
    timeline: list[tuple[date, int, int, str]] = [
        (p.occurred_on, 0, 0, "progression event") for p in course.progressions
    ]
    timeline += [(r.assessed_on, 1, r.line_number, r.category) for r in course.responses]
    timeline.sort()

    episodes: list[CrEpisode] = []
    open_start: tuple[date, int] | None = None

    def close(ended_on: date | None, ended_by: str) -> None:
        started_on, line_number = open_start
        line = course.line(line_number)
        episodes.append(
            CrEpisode(
                first_cr_on=started_on,
                line_number=line_number,
                ended_on=ended_on,
                ended_by=ended_by,
                during_maintenance=bool(line and line.in_maintenance_on(started_on)),
            )
        )

    for day, _, line_number, category in timeline:
        if open_start is None:
            if category == "CR":
                open_start = (day, line_number)
        elif category not in CONTINUES_CR:
            close(day, category)
            open_start = None
    if open_start is not None:
        close(None, "")
    return episodes


def first_cr_date(episodes: list[CrEpisode]) -> date | None:
    return min((e.first_cr_on for e in episodes), default=None)


def had_local_approach(course: PatientCourse, first_cr: date) -> bool:
    """Surgery or radiotherapy on or after the MBC diagnosis and on or before the first CR."""
    if course.mbc_diagnosis is None:
        return False
    dates = [o.operated_on for o in course.operations] + list(course.radiotherapy_dates)
    return any(course.mbc_diagnosis <= d <= first_cr for d in dates)
