"""The data dictionary of the analysis datasets: every column, in order, with its meaning.

Downloads, docs/analytics.md and the frames' columns come from here; a test checks that
the patient row and the derived tables (`registry.domain.analysis`) give exactly these.
"""

from registry.domain.analysis import SITE_CATEGORIES

PATIENT_COLUMNS = {
    "registry_id": "Pseudonymous registry ID",
    "centre": "Centre code",
    "sex": "F or M",
    "histology": "ductal, lobular, mixed, other, unknown, not_recorded",
    "presentation": "de_novo or recurrent, as recorded",
    "mbc_diagnosis_date": "Date distant metastatic disease was first diagnosed",
    "mbc_diagnosis_year": "Year of the MBC diagnosis",
    "age_at_mbc_diagnosis": "Whole years completed at the MBC diagnosis",
    "hr_status": "positive / negative / unknown, from the reference receptor assessment",
    "her2_status": "positive / low / zero / negative / equivocal / unknown (reference assessment)",
    "subtype": "HR+/HER2-, HR+/HER2+, HR-/HER2+, triple-negative, unknown",
    "subtype_group": "HR+/HER2-, HER2+ (HR+ and HR-), triple-negative, unknown",
    "sites_at_mbc_diagnosis": "Distinct metastatic site categories detected on or before the "
    "MBC diagnosis",
    **{
        f"site_{c}_at_mbc_diagnosis": f"{c} metastasis detected on or before the MBC diagnosis"
        for c in SITE_CATEGORIES
    },
    "lines_received": "Number of systemic treatment lines for metastatic disease",
    "evaluable_for_response": "At least one RECIST response assessment",
    "cr_episodes": "Number of CR episodes (DEFINITIONS.md)",
    "reached_cr": "At least one CR episode",
    "cr_more_than_once": "Two or more CR episodes",
    "first_cr_date": "Date of the first CR",
    "first_cr_line": "Line of the first CR episode",
    "first_cr_during_maintenance": "First CR on or after its line's maintenance start",
    "regimen_group_at_first_cr": "Regimen group of the first CR episode's line at the first CR",
    "cr_episodes_during_maintenance": "CR episodes whose first CR is during maintenance",
    "local_approach_before_first_cr": "Surgery or radiotherapy from the MBC diagnosis to the "
    "first CR, both included",
    "single_site_at_first_cr": "One site category on or before the first CR",
    "cr_duration_months": "The patient's first CR to the next progression or death, or to "
    "last contact (per-patient analysis; the duration of CR is per episode: episodes dataset)",
    "cr_duration_event": "True: progression or death; False: censored at last contact",
    "last_contact_date": "Latest date the patient was known alive, or the death date "
    "(docs/decisions/0004)",
    "status_at_last_contact": "alive_ned, alive_with_disease, dead, unknown, not_recorded",
    "dead": "Death recorded",
    "death_date": "Date of death",
    "follow_up_from_mbc_months": "MBC diagnosis to last contact",
    "alive_at_last_contact": "Reverse Kaplan-Meier event for follow-up (death censors)",
    "opd_selection": "OPD-surgery cohort: 'included' or the first selection step that "
    "excluded the patient",
    "in_opd_cohort": "In the OPD-surgery cohort (Bianco 2025)",
    "opd_date": "First locoregional oligoprogression",
    "line_at_opd": "Number of the line with the latest start on or before the OPD",
    "regimen_at_opd": "Regimen category of the line at OPD",
    "regimen_group_at_opd": "endocrine-based, anti-HER2 maintenance, anti-HER2 induction, "
    "chemotherapy, ...",
    "pre_opd_pfs_months": "Start of the line at OPD to the OPD",
    "pre_opd_pfs_group": ">= 12 months or < 12 months",
    "opd_surgery_date": "First breast/axillary operation on or after the OPD and before a "
    "later progression",
    "regimen_group_at_opd_surgery": "Regimen group of the line running at that operation",
    "opd_to_surgery_months": "OPD to that operation",
    "opd_surgery_lumpectomy": "The operation included a lumpectomy",
    "opd_surgery_mastectomy": "The operation included a mastectomy",
    "opd_surgery_sentinel_node_biopsy": "The operation included a sentinel lymph node biopsy",
    "opd_surgery_axillary_dissection": "The operation included an axillary dissection",
    "line_continued_after_surgery": "The line ongoing at OPD was continued after the operation",
    "ps_pfs_months": "pS-PFS: OPD to the first later progression or death, or to last contact",
    "ps_pfs_event": "True: progression or death; False: censored at last contact",
    "follow_up_from_opd_months": "OPD to last contact",
}

EPISODE_COLUMNS = {
    "registry_id": "Pseudonymous registry ID",
    "centre": "Centre code",
    "episode": "1 for the patient's first CR episode, 2 for the next, ...",
    "first_cr_date": "Date of the episode's first CR",
    "line": "Line the episode belongs to (line of its first CR)",
    "during_maintenance": "First CR on or after the line's maintenance start",
    "ended_on": "Date of the assessment or progression that ended the episode; empty if ongoing",
    "ended_by": "PR, SD, PD, non_CR_non_PD or 'progression event'",
    "duration_months": "Duration of CR: the episode's first CR to the next progression or "
    "death, or to last contact",
    "progression_or_death": "True: progression or death; False: censored",
}

LINE_COLUMNS = {
    "registry_id": "Pseudonymous registry ID",
    "centre": "Centre code",
    "line": "Line number",
    "regimen": "Regimen category",
    "regimen_group": "Regimen group at the line's start (as regimen_group_at_opd groups it)",
    "start_date": "Start of the line",
    "maintenance_start_date": "Date induction stopped and maintenance began; empty if none",
    "end_date": "End of the line; empty while ongoing",
    "end_reason": "progression, toxicity, completed, patient_choice, death, other; empty while "
    "ongoing or not recorded",
    "evaluable": "At least one response assessment on this line",
    "cr": "A CR episode belongs to this line",
}

PROGRESSION_COLUMNS = {
    "registry_id": "Pseudonymous registry ID",
    "centre": "Centre code",
    "progression": "1 for the patient's first date of progression, 2 for the next, ...",
    "progression_date": "A progression event or a PD assessment (DEFINITIONS.md, "
    "'Progression'): both on one day make one row",
    "progression_event": "A progression event is dated that day",
    "pd_assessment": "A PD response assessment is dated that day",
}

# Every analysis dataset by name: the frames of `analytics.cohorts.Cohort`, the downloads,
# the reproducible package and what a snapshot freezes. A dataset other than "patients" has
# its rows in the field of the same name of `registry.domain.analysis.DerivedFacts`, its
# first two columns being registry_id and centre.
DATASETS = {
    "patients": PATIENT_COLUMNS,
    "episodes": EPISODE_COLUMNS,
    "lines": LINE_COLUMNS,
    "progressions": PROGRESSION_COLUMNS,
}
