"""The derived analysis facts of one patient, per patient, per CR episode and per line.

One implementation for every reader: `registry.derived` stores them in the derived tables
in each write's transaction and checks the stored rows against them; the reports read
the stored rows. What the patient row itself holds (registry ID, centre, sex, histology,
presentation, MBC diagnosis date, age) is read live at report time, not derived here.
docs/analytics.md lists the columns; docs/decisions/0014-derived-analysis-tables.md says why.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from . import biology
from .course import PatientCourse
from .dates import DAYS_PER_MONTH
from .oligoprogression import OpdExclusion, opd_case
from .regimens import regimen_group_at
from .response import CrEpisode, cr_episodes, first_cr_date, had_local_approach

SITE_CATEGORIES = (
    "bone",
    "liver",
    "lung",
    "pleura",
    "brain",
    "distant_nodes",
    "skin_soft_tissue",
    "peritoneum",
    "other",
)
PROCEDURES = ("lumpectomy", "mastectomy", "sentinel_node_biopsy", "axillary_dissection")
PRE_OPD_PFS_THRESHOLD_MONTHS = 12
OPD_INCLUDED = "included"


def months(days: int | None) -> float | None:
    return None if days is None else days / DAYS_PER_MONTH


def subtype_group(subtype: biology.Subtype) -> str:
    """Report groups: 'HER2+' joins HR+/HER2+ and HR-/HER2+ (DEFINITIONS.md)."""
    return "HER2+" if subtype.is_her2_positive else subtype.value


@dataclass(frozen=True)
class DerivedFacts:
    """One patient's rows of the three derived tables (column name -> value)."""

    patient: dict
    episodes: list[dict]
    lines: list[dict]
    progressions: list[dict]


def derived_facts(course: PatientCourse, receptors: Sequence[biology.Receptors]) -> DerivedFacts:
    """Every derived row of one patient, with the CR episodes split once."""
    episodes = cr_episodes(course)
    return DerivedFacts(
        patient=patient_facts(course, receptors, episodes),
        episodes=episode_facts(course, episodes),
        lines=line_facts(course, episodes),
        progressions=progression_facts(course),
    )


def patient_facts(
    course: PatientCourse, receptors: Sequence[biology.Receptors], episodes: list[CrEpisode]
) -> dict:
    """The per-patient columns derived from the course and the receptor assessments."""
    reference = biology.reference_assessment(receptors, course.mbc_diagnosis)
    subtype = biology.patient_subtype(receptors, course.mbc_diagnosis)
    first_cr = first_cr_date(episodes)
    first_episode = min(episodes, key=lambda e: e.first_cr_on) if episodes else None
    cr_duration = first_episode.duration(course) if first_episode else None
    diagnosis = course.mbc_diagnosis
    sites_at_diagnosis = {s.category for s in course.sites if s.detected_on <= diagnosis}
    last_contact = course.last_contact
    death = course.death_date
    return {
        "hr_status": biology.hr_status(reference.er_percent, reference.pr_percent).value
        if reference
        else biology.HrStatus.UNKNOWN.value,
        "her2_status": biology.her2_status(reference.her2_ihc, reference.ish).value
        if reference
        else biology.Her2Status.UNKNOWN.value,
        "subtype": subtype.value,
        "subtype_group": subtype_group(subtype),
        "sites_at_mbc_diagnosis": len(sites_at_diagnosis),
        **{f"site_{c}_at_mbc_diagnosis": c in sites_at_diagnosis for c in SITE_CATEGORIES},
        "lines_received": len(course.lines),
        "evaluable_for_response": bool(course.responses),
        "cr_episodes": len(episodes),
        "reached_cr": bool(episodes),
        "cr_more_than_once": len(episodes) > 1,
        "first_cr_date": first_cr,
        "first_cr_line": first_episode.line_number if first_episode else None,
        "first_cr_during_maintenance": first_episode.during_maintenance if first_episode else None,
        "regimen_group_at_first_cr": regimen_group_at(
            course.line(first_episode.line_number), first_cr
        )
        if first_episode
        else None,
        "cr_episodes_during_maintenance": sum(e.during_maintenance for e in episodes),
        "local_approach_before_first_cr": had_local_approach(course, first_cr)
        if first_cr
        else None,
        "single_site_at_first_cr": course.site_count_on(first_cr) == 1 if first_cr else None,
        "cr_duration_months": months(cr_duration.days) if cr_duration else None,
        "cr_duration_event": cr_duration.event if cr_duration else None,
        "last_contact_date": last_contact,
        "status_at_last_contact": course.last_contact_status,
        "dead": death is not None,
        "death_date": death,
        "follow_up_from_mbc_months": months((last_contact - diagnosis).days)
        if last_contact
        else None,
        # Reverse Kaplan-Meier: being alive at last contact is the event, death censors.
        "alive_at_last_contact": death is None,
        **_opd_facts(course),
    }


def _opd_facts(course: PatientCourse) -> dict:
    """The OPD columns; a patient without a locoregional OPD has them all empty."""
    opd = opd_case(course)
    if opd is None:
        return {
            **dict.fromkeys(OPD_COLUMNS),
            "opd_selection": OpdExclusion.NO_LOCOREGIONAL_OPD.value,
            "in_opd_cohort": False,
        }
    selection = opd.exclusion.value if opd.exclusion else OPD_INCLUDED
    pre_opd = opd.pre_opd_pfs
    pre_opd_months = months(pre_opd.days) if pre_opd else None
    post_surgery = opd.post_surgery_pfs(course)
    last_contact = course.last_contact
    operation = opd.operation
    return {
        "opd_selection": selection,
        "in_opd_cohort": selection == OPD_INCLUDED,
        "opd_date": opd.opd_on,
        "line_at_opd": opd.line.number if opd.line else None,
        "regimen_at_opd": opd.line.regimen if opd.line else None,
        "regimen_group_at_opd": regimen_group_at(opd.line, opd.opd_on),
        "pre_opd_pfs_months": pre_opd_months,
        "pre_opd_pfs_group": None
        if pre_opd_months is None
        else (">= 12 months" if pre_opd_months >= PRE_OPD_PFS_THRESHOLD_MONTHS else "< 12 months"),
        "opd_surgery_date": operation.operated_on if operation else None,
        "regimen_group_at_opd_surgery": regimen_group_at(
            course.line_at(operation.operated_on), operation.operated_on
        )
        if operation
        else None,
        "opd_to_surgery_months": months(opd.days_opd_to_surgery),
        **{f"opd_surgery_{p}": getattr(operation, p) if operation else None for p in PROCEDURES},
        "line_continued_after_surgery": operation.systemic_line_continued if operation else None,
        "ps_pfs_months": months(post_surgery.days) if post_surgery else None,
        "ps_pfs_event": post_surgery.event if post_surgery else None,
        "follow_up_from_opd_months": months((last_contact - opd.opd_on).days)
        if last_contact
        else None,
    }


OPD_COLUMNS = (
    "opd_selection",
    "in_opd_cohort",
    "opd_date",
    "line_at_opd",
    "regimen_at_opd",
    "regimen_group_at_opd",
    "pre_opd_pfs_months",
    "pre_opd_pfs_group",
    "opd_surgery_date",
    "regimen_group_at_opd_surgery",
    "opd_to_surgery_months",
    *(f"opd_surgery_{p}" for p in PROCEDURES),
    "line_continued_after_surgery",
    "ps_pfs_months",
    "ps_pfs_event",
    "follow_up_from_opd_months",
)


def episode_facts(course: PatientCourse, episodes: list[CrEpisode]) -> list[dict]:
    """One row per CR episode, numbered by date (Galli 2017 counts 'cases' of CR)."""
    rows = []
    for number, episode in enumerate(sorted(episodes, key=lambda e: e.first_cr_on), 1):
        duration = episode.duration(course)
        rows.append(
            {
                "episode": number,
                "first_cr_date": episode.first_cr_on,
                "line": episode.line_number,
                "during_maintenance": episode.during_maintenance,
                "ended_on": episode.ended_on,
                "ended_by": episode.ended_by or None,
                "duration_months": months(duration.days) if duration else None,
                "progression_or_death": duration.event if duration else None,
            }
        )
    return rows


def line_facts(course: PatientCourse, episodes: list[CrEpisode]) -> list[dict]:
    """One row per treatment line: its dates, why it ended, its regimen group at its start
    (the time-to-event endpoints' origin "start of line k"), evaluable on it, and a CR
    episode belonging to it."""
    assessed = {r.line_number for r in course.responses}
    cr_lines = {e.line_number for e in episodes}
    return [
        {
            "line": line.number,
            "regimen": line.regimen,
            "regimen_group": regimen_group_at(line, line.start),
            "start_date": line.start,
            "maintenance_start_date": line.maintenance_start,
            "end_date": line.end,
            "end_reason": line.end_reason or None,
            "evaluable": line.number in assessed,
            "cr": line.number in cr_lines,
        }
        for line in sorted(course.lines, key=lambda line: line.number)
    ]


def progression_facts(course: PatientCourse) -> list[dict]:
    """One row per date of progression (DEFINITIONS.md, "Progression": a progression event
    or a PD assessment, the same day counted once), numbered by date."""
    return [
        {
            "progression": number,
            "progression_date": day,
            "progression_event": from_event,
            "pd_assessment": from_assessment,
        }
        for number, (day, from_event, from_assessment) in enumerate(course.progression_sources(), 1)
    ]
