"""How regimen categories group for the reports (codes of vocabularies.RegimenCategory)."""

from datetime import date

from .course import Line

ENDOCRINE_BASED = frozenset(
    {"endocrine", "endocrine_cdk46", "endocrine_targeted", "anti_her2_endocrine"}
)
ANTI_HER2_CONTAINING = frozenset({"anti_her2_chemo", "anti_her2_endocrine", "anti_her2"})
OTHER_GROUPS = {
    "chemotherapy": "chemotherapy",
    "adc": "antibody-drug conjugate",
    "immuno_chemo": "immunotherapy + chemotherapy",
    "parp": "PARP inhibitor",
}


def regimen_group_at(line: Line | None, day: date) -> str:
    """The regimen at a date as the OPD report tabulates it (Bianco 2025, by subtype).

    An anti-HER2 line in maintenance is "anti-HER2 maintenance" even when it carries
    endocrine therapy, as in the abstract's trastuzumab/pertuzumab maintenance group.
    """
    if line is None:
        return "no systemic line"
    if line.regimen in ANTI_HER2_CONTAINING:
        return "anti-HER2 maintenance" if line.in_maintenance_on(day) else "anti-HER2 induction"
    if line.regimen in ENDOCRINE_BASED:
        return "endocrine-based"
    return OTHER_GROUPS.get(line.regimen, "other")
