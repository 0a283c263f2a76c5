"""Tumour biology by ASCO/CAP (DEFINITIONS.md, "Tumour biology").

An assessment gives a hormone-receptor status and a HER2 status; the patient's
subtype comes from one *reference* assessment chosen by date.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class HrStatus(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNKNOWN = "unknown"


class Her2Status(StrEnum):
    POSITIVE = "positive"
    LOW = "low"
    ZERO = "zero"
    # ISH not amplified without an IHC score: negative, but low vs zero cannot be told.
    NEGATIVE = "negative"
    # IHC 2+ whose ISH is missing or awaited: not final, so the subtype is not either.
    EQUIVOCAL = "equivocal"
    UNKNOWN = "unknown"


class Subtype(StrEnum):
    HR_POS_HER2_NEG = "HR+/HER2-"
    HR_POS_HER2_POS = "HR+/HER2+"
    HR_NEG_HER2_POS = "HR-/HER2+"
    TRIPLE_NEGATIVE = "triple-negative"
    UNKNOWN = "unknown"

    @property
    def is_her2_positive(self) -> bool:
        """'HER2+' in a report means HR+/HER2+ and HR-/HER2+ together."""
        return self in (Subtype.HR_POS_HER2_POS, Subtype.HR_NEG_HER2_POS)


HER2_NEGATIVE = frozenset({Her2Status.LOW, Her2Status.ZERO, Her2Status.NEGATIVE})
RECEPTOR_POSITIVE_PERCENT = 1


@dataclass(frozen=True)
class Receptors:
    """One receptor assessment as the rules need it (codes of the vocabularies)."""

    assessed_on: date
    er_percent: int | None
    pr_percent: int | None
    her2_ihc: str  # "", "0", "1+", "2+", "3+"
    ish: str  # "", "amplified", "not_amplified", "pending"


def hr_status(er_percent: int | None, pr_percent: int | None) -> HrStatus:
    """HR-positive if ER or PR >= 1%; negative only when both are known and below 1%."""
    known = [p for p in (er_percent, pr_percent) if p is not None]
    if any(p >= RECEPTOR_POSITIVE_PERCENT for p in known):
        return HrStatus.POSITIVE
    if len(known) == 2:
        return HrStatus.NEGATIVE
    return HrStatus.UNKNOWN


def her2_status(ihc: str, ish: str) -> Her2Status:
    if ihc == "3+" or (ihc in ("", "2+") and ish == "amplified"):
        return Her2Status.POSITIVE
    if ihc == "2+":
        return Her2Status.LOW if ish == "not_amplified" else Her2Status.EQUIVOCAL
    if ihc == "1+":
        return Her2Status.LOW
    if ihc == "0":
        return Her2Status.ZERO
    if ish == "not_amplified":
        return Her2Status.NEGATIVE
    return Her2Status.UNKNOWN


def subtype(hr: HrStatus, her2: Her2Status) -> Subtype:
    if hr is HrStatus.UNKNOWN:
        return Subtype.UNKNOWN
    if her2 is Her2Status.POSITIVE:
        return Subtype.HR_POS_HER2_POS if hr is HrStatus.POSITIVE else Subtype.HR_NEG_HER2_POS
    if her2 in HER2_NEGATIVE:
        return Subtype.HR_POS_HER2_NEG if hr is HrStatus.POSITIVE else Subtype.TRIPLE_NEGATIVE
    return Subtype.UNKNOWN


def assessment_subtype(assessment: Receptors) -> Subtype:
    return subtype(
        hr_status(assessment.er_percent, assessment.pr_percent),
        her2_status(assessment.her2_ihc, assessment.ish),
    )


def is_usable(assessment: Receptors) -> bool:
    """Usable = gives a final subtype (both HR and a final HER2 status)."""
    return assessment_subtype(assessment) is not Subtype.UNKNOWN


def reference_assessment(
    assessments: Sequence[Receptors], mbc_diagnosis: date | None
) -> Receptors | None:
    """The latest usable assessment on or before the MBC diagnosis, else the earliest after.

    Only usable assessments compete (docs/decisions/0003-reference-assessment.md): an
    IHC 2+ awaiting ISH must not hide an earlier complete assessment.
    """
    usable = sorted((a for a in assessments if is_usable(a)), key=lambda a: a.assessed_on)
    if not usable:
        return None
    if mbc_diagnosis is None:
        return usable[-1]
    before = [a for a in usable if a.assessed_on <= mbc_diagnosis]
    return before[-1] if before else usable[0]


def patient_subtype(assessments: Sequence[Receptors], mbc_diagnosis: date | None) -> Subtype:
    reference = reference_assessment(assessments, mbc_diagnosis)
    return Subtype.UNKNOWN if reference is None else assessment_subtype(reference)
