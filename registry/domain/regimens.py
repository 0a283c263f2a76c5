"""How regimen categories group for the reports (codes of vocabularies.RegimenCategory)."""

from datetime import date

from .course import Line
from .dates import months_between

ENDOCRINE_BASED = frozenset(
    {"endocrine", "endocrine_cdk46", "endocrine_targeted", "anti_her2_endocrine"}
)
ANTI_HER2_CONTAINING = frozenset({"anti_her2_chemo", "anti_her2_endocrine", "anti_her2"})
OTHER_GROUPS = {
    "chemotherapy": "chemotherapy",
    "adc": "antibody-drug conjugate",
    "immuno_chemo": "immunotherapy + chemotherapy",
    "immunotherapy": "immunotherapy alone",
    "parp": "PARP inhibitor",
}
# docs/decisions/0010-anti-her2-line-without-maintenance-date.md: induction (taxane with
# trastuzumab/pertuzumab) is given for about 6 cycles every 3 weeks, so beyond 6 months on
# the line without a recorded maintenance start, "induction" is no longer a safe reading.
ANTI_HER2_INDUCTION_MONTHS = 6
ANTI_HER2_NO_MAINTENANCE_DATE = (
    f"anti-HER2, >= {ANTI_HER2_INDUCTION_MONTHS} months on the line, maintenance date not recorded"
)


def regimen_group_at(line: Line | None, day: date) -> str:
    """The regimen at a date as the OPD report tabulates it (Bianco 2025, by subtype).

    An anti-HER2 line in maintenance is "anti-HER2 maintenance" even when it carries
    endocrine therapy, as in the abstract's trastuzumab/pertuzumab maintenance group.
    Without a maintenance date, a line running for 6 months or more is neither called
    induction nor presumed maintenance: it has a group of its own.
    """
    if line is None:
        return "no systemic line"
    if line.regimen in ANTI_HER2_CONTAINING:
        if line.in_maintenance_on(day):
            return "anti-HER2 maintenance"
        if line.maintenance_start is None and (
            months_between(line.start, day) >= ANTI_HER2_INDUCTION_MONTHS
        ):
            return ANTI_HER2_NO_MAINTENANCE_DATE
        return "anti-HER2 induction"
    if line.regimen in ENDOCRINE_BASED:
        return "endocrine-based"
    return OTHER_GROUPS.get(line.regimen, "other")
