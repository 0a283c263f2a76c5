"""Plausibility warnings for the case page: contradictions that may be real."""

from .biology import Her2Status, Receptors, her2_status
from .course import PatientCourse
from .rules import CaseWarning, age_warning, presentation_warning


def course_warnings(
    course: PatientCourse,
    *,
    primary_diagnosis,
    receptors: list[Receptors],
    birth_date=None,
) -> list[CaseWarning]:
    warnings: list[CaseWarning] = []
    message = age_warning(birth_date, course.mbc_diagnosis)
    if message:
        warnings.append(CaseWarning(message, "patient"))
    message = presentation_warning(course.presentation, primary_diagnosis, course.mbc_diagnosis)
    if message:
        warnings.append(CaseWarning(message, "patient"))
    for assessment in receptors:
        if her2_status(assessment.her2_ihc, assessment.ish) is Her2Status.EQUIVOCAL:
            warnings.append(
                CaseWarning(
                    f"HER2 IHC 2+ on {assessment.assessed_on:%d/%m/%Y} has no ISH result: "
                    "its HER2 status is not final.",
                    "biology",
                )
            )
    for line in course.lines:
        if course.mbc_diagnosis and line.start < course.mbc_diagnosis:
            warnings.append(
                CaseWarning(
                    f"Line {line.number} starts before the MBC diagnosis "
                    f"({course.mbc_diagnosis:%d/%m/%Y}).",
                    "lines",
                )
            )
    by_start = sorted(course.lines, key=lambda line: (line.start, line.number))
    if [line.number for line in by_start] != sorted(line.number for line in course.lines):
        warnings.append(
            CaseWarning("Line numbers are not in the order the lines started.", "lines")
        )
    progression_days = {p.occurred_on for p in course.progressions}
    for response in course.responses:
        if response.category == "CR" and response.assessed_on in progression_days:
            warnings.append(
                CaseWarning(
                    f"A CR on {response.assessed_on:%d/%m/%Y} is dated the same day as a "
                    "progression event.",
                    "responses",
                )
            )
    if not course.contacts:
        warnings.append(CaseWarning("No follow-up contact recorded.", "follow-up"))
    return warnings
