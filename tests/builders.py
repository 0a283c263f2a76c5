"""Build a patient's whole course in a few lines, through the ORM, for report tests.

Dates are written as month offsets from the MBC diagnosis (1 month = 30.4375 days rounded
to whole days) so a test can state its expected times in months.
"""

from datetime import date, timedelta

from registry.models import (
    FollowUp,
    MetastaticSite,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from registry.services import patient_summary_refresh
from tests.factories import PatientFactory

MBC = date(2015, 1, 1)
RECEPTORS = {
    "HR+/HER2-": {"er_percent": 80, "pr_percent": 20, "her2_ihc": "1+"},
    "HR+/HER2+": {"er_percent": 80, "pr_percent": 20, "her2_ihc": "3+"},
    "HR-/HER2+": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "3+"},
    "triple-negative": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0"},
}


def day(months: float) -> date:
    """The date `months` after the MBC diagnosis (days = round(months * 30.4375))."""
    return MBC + timedelta(days=round(months * 30.4375))


def build_patient(
    centre,
    *,
    presentation="de_novo",
    subtype="HR+/HER2-",
    sites=("bone",),
    lines=(),
    responses=(),
    progressions=(),
    surgeries=(),
    radiotherapy=(),
    last_contact=None,
    died_at=None,
    disease_status="with_disease",
):
    """lines: (start, end|None, maintenance|None, regimen); responses: (at, line, RECIST);
    progressions: (at, "systemic"|"locoregional"); surgeries: (at, {procedures}, continued);
    all times in months from the MBC diagnosis."""
    primary = MBC if presentation == "de_novo" else date(2010, 6, 1)
    patient = PatientFactory(
        centre=centre,
        presentation=presentation,
        mbc_diagnosis_date=MBC,
        primary_diagnosis_date=primary,
        birth_date=date(1960, 1, 1),
    )
    if subtype != "unknown":
        ReceptorAssessment.objects.create(
            patient=patient, assessed_on=primary, specimen="primary", **RECEPTORS[subtype]
        )
    for category in sites:
        MetastaticSite.objects.create(
            patient=patient, category=category, detected_on=MBC, confirmation="imaging"
        )
    line_objects = {}
    for number, (start, end, maintenance, regimen) in enumerate(lines, 1):
        line_objects[number] = TreatmentLine.objects.create(
            patient=patient,
            number=number,
            regimen=regimen,
            agents=regimen,
            start_date=day(start),
            end_date=day(end) if end is not None else None,
            end_reason="progression" if end is not None else "",
            maintenance_start_date=day(maintenance) if maintenance is not None else None,
        )
    for at, line, category in responses:
        ResponseAssessment.objects.create(
            patient=patient, line=line_objects[line], assessed_on=day(at), category=category
        )
    for at, kind in progressions:
        ProgressionEvent.objects.create(
            patient=patient,
            occurred_on=day(at),
            kind=kind,
            locoregional_site="breast" if kind == "locoregional" else "",
            other_sites_kept_best_response=True if kind == "locoregional" else None,
        )
    for at, procedures, continued in surgeries:
        Surgery.objects.create(
            patient=patient,
            operated_on=day(at),
            intent="locoregional_control",
            systemic_line_continued=continued,
            **dict.fromkeys(procedures, True),
        )
    for at in radiotherapy:
        Radiotherapy.objects.create(
            patient=patient,
            started_on=day(at),
            site="bone",
            intent="palliative",
            total_dose_gy=8,
            fractions=1,
        )
    if died_at is not None:
        FollowUp.objects.create(
            patient=patient,
            contact_date=day(died_at),
            vital_status="dead",
            death_date=day(died_at),
            disease_status=disease_status,
        )
    elif last_contact is not None:
        FollowUp.objects.create(
            patient=patient,
            contact_date=day(last_contact),
            vital_status="alive",
            disease_status=disease_status,
        )
    patient_summary_refresh(patient)
    return patient
