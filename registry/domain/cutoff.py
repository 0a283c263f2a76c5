"""A patient's course as it stood at a data cut-off: the one rule every snapshot applies.

Events after the cut-off are ignored and follow-up is censored at it, so a snapshot's
derivation (`registry.domain.analysis.derived_facts`) sees only what had happened by then.
An event dated exactly on the cut-off counts. The choices are in
docs/decisions/0020-analysis-snapshots.md.
"""

from dataclasses import replace
from datetime import date

from .biology import Receptors
from .course import Contact, PatientCourse


def course_at_cutoff(
    course: PatientCourse, receptors: tuple[Receptors, ...], cutoff: date
) -> tuple[PatientCourse, tuple[Receptors, ...]] | None:
    """The course and receptor assessments known at `cutoff`; None when the MBC diagnosis is
    after it (the patient is not in the analysis).

    - lines starting after the cut-off are dropped; a line ending after it is ongoing at it;
      a maintenance start after it is ignored;
    - responses, progressions, operations, radiotherapy, site detections and receptor
      assessments dated after it are dropped;
    - a death after it means alive at the cut-off; a death on or before it counts even when
      the contact that recorded it is later (that contact is dated at the cut-off);
    - last contact = min(last contact, cut-off): a patient followed beyond the cut-off (any
      date recorded after it, a death after it included) is known alive at the cut-off.
    """
    if course.mbc_diagnosis > cutoff:
        return None
    lines = tuple(
        replace(
            line,
            end=line.end if line.end is not None and line.end <= cutoff else None,
            maintenance_start=line.maintenance_start
            if line.maintenance_start is not None and line.maintenance_start <= cutoff
            else None,
        )
        for line in course.lines
        if line.start <= cutoff
    )
    followed_beyond = course.last_contact is not None and course.last_contact > cutoff
    recorded = tuple(d for d in course.recorded_dates if d <= cutoff)
    cut = replace(
        course,
        lines=lines,
        responses=tuple(r for r in course.responses if r.assessed_on <= cutoff),
        progressions=tuple(p for p in course.progressions if p.occurred_on <= cutoff),
        operations=tuple(o for o in course.operations if o.operated_on <= cutoff),
        radiotherapy_dates=tuple(d for d in course.radiotherapy_dates if d <= cutoff),
        sites=tuple(s for s in course.sites if s.detected_on <= cutoff),
        contacts=tuple(_contacts_at(course.contacts, cutoff)),
        recorded_dates=recorded + ((cutoff,) if followed_beyond else ()),
    )
    return cut, tuple(r for r in receptors if r.assessed_on <= cutoff)


def _contacts_at(contacts: tuple[Contact, ...], cutoff: date):
    for contact in contacts:
        if contact.contacted_on <= cutoff:
            yield contact
        elif contact.death_date is not None and contact.death_date <= cutoff:
            yield replace(contact, contacted_on=cutoff)
