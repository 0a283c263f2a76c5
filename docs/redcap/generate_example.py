"""Make the example REDCap project (docs/redcap/README.md): its data dictionary and records
export, from the demo cohort's course planner, so every course passes the registry's rules.

    .venv/bin/python docs/redcap/generate_example.py

Deterministic (one seed): running it again rewrites the same files. The files are committed;
tests/interop/test_redcap_example.py imports them and checks the README's figures.
"""

import csv
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from registry.demo_cohort import course_patient, course_records, plan_course  # noqa: E402
from registry.models import (  # noqa: E402
    Centre,
    FollowUp,
    MetastaticSite,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)

SEED = 2020
TIMES = ["09:10", "11:30", "15:45"]  # the response instrument records a date and time
RECORDS = 36
HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


def choices(codes: dict) -> str:
    return " | ".join(f"{code}, {label}" for code, label in codes.items())


SEX = {"1": "Female", "2": "Male"}
PRESENTATION = {"1": "De novo metastatic", "2": "Recurrent after early breast cancer"}
HISTOLOGY = {
    "1": "Invasive carcinoma NST (ductal)",
    "2": "Invasive lobular",
    "3": "Mixed ductal/lobular",
    "4": "Other special type",
    "5": "Unknown",
    "99": "Not recorded in the chart",
}
SPECIMEN = {"1": "Primary tumour", "2": "Metastasis biopsy", "3": "Locoregional", "4": "Other"}
HER2_IHC = {"0": "0", "1": "1+", "2": "2+ (equivocal)", "3": "3+"}
ISH = {"1": "Amplified", "2": "Not amplified", "3": "Pending", "9": "Not done"}
SITE = {
    "1": "Bone",
    "2": "Liver",
    "3": "Lung",
    "4": "Pleura",
    "5": "Brain",
    "6": "Distant lymph nodes",
    "7": "Skin / soft tissue",
    "8": "Peritoneum",
    "9": "Other",
}
CONFIRMATION = {
    "1": "Imaging",
    "2": "Histology",
    "3": "Cytology",
    "4": "Clinical",
    "99": "Not recorded",
}
REGIMEN = {
    "1": "Chemotherapy",
    "2": "Endocrine therapy alone",
    "3": "Endocrine + CDK4/6 inhibitor",
    "4": "Endocrine + other targeted agent",
    "5": "Anti-HER2 + chemotherapy",
    "6": "Anti-HER2 + endocrine",
    "7": "Anti-HER2 alone",
    "8": "Antibody-drug conjugate",
    "9": "Immunotherapy + chemotherapy",
    "10": "Immunotherapy alone",
    "11": "PARP inhibitor",
    "12": "Other",
}
END_REASON = {
    "1": "Progression",
    "2": "Toxicity",
    "3": "Planned end",
    "4": "Patient's choice",
    "5": "Death",
    "6": "Other",
}
RECIST = {"1": "CR", "2": "PR", "3": "SD", "4": "PD", "5": "NE", "6": "Non-CR/non-PD"}
METHOD = {"1": "CT", "2": "PET-CT", "3": "MRI", "4": "Bone scan", "5": "Clinical", "6": "Other"}
PROGRESSION = {"1": "Systemic / distant", "2": "Locoregional"}
LOCOREGIONAL = {"1": "Breast", "2": "Regional nodes", "3": "Breast and regional nodes"}
PROCEDURES = {
    "1": "Lumpectomy",
    "2": "Mastectomy",
    "3": "Sentinel lymph node biopsy",
    "4": "Axillary dissection",
    "5": "Metastasectomy",
}
SURGERY_INTENT = {
    "1": "Early breast cancer (before MBC)",
    "2": "Locoregional control",
    "3": "Curative (oligometastatic)",
    "4": "Palliative",
    "5": "Diagnostic",
    "99": "Not recorded",
}
RT_SITE = {
    "1": "Breast / chest wall",
    "2": "Regional nodes",
    "3": "Bone",
    "4": "Brain",
    "5": "Lung",
    "6": "Liver",
    "7": "Pleura",
    "8": "Distant nodes",
    "9": "Skin / soft tissue",
    "10": "Peritoneum",
    "11": "Other",
}
RT_INTENT = {
    "1": "Adjuvant (early disease)",
    "2": "Curative",
    "3": "Ablative (SBRT)",
    "4": "Locoregional control",
    "5": "Palliative",
}
DISEASE_STATUS = {"1": "NED", "2": "With disease", "3": "Unknown", "99": "Not recorded"}

# (name, form, type, label, choices, validation, identifier)
FIELDS = [
    ("record_id", "patient", "text", "Record ID", None, "", ""),
    ("mrn", "patient", "text", "Hospital record number", None, "", "y"),
    ("surname", "patient", "text", "Family name", None, "", "y"),
    ("first_name", "patient", "text", "Given name", None, "", "y"),
    ("sex", "patient", "radio", "Sex", SEX, "", ""),
    ("dob", "patient", "text", "Date of birth", None, "date_dmy", "y"),
    (
        "primary_dx_date",
        "patient",
        "text",
        "Date of first breast cancer diagnosis",
        None,
        "date_dmy",
        "",
    ),
    ("mbc_dx_date", "patient", "text", "Date of metastatic diagnosis", None, "date_dmy", ""),
    ("presentation", "patient", "radio", "Presentation", PRESENTATION, "", ""),
    ("histology", "patient", "dropdown", "Histology", HISTOLOGY, "", ""),
    ("rec_date", "receptors", "text", "Specimen date", None, "date_ymd", ""),
    ("rec_specimen", "receptors", "radio", "Specimen", SPECIMEN, "", ""),
    ("er_pct", "receptors", "text", "ER (%)", None, "integer", ""),
    ("pr_pct", "receptors", "text", "PR (%)", None, "integer", ""),
    ("her2_ihc", "receptors", "radio", "HER2 IHC", HER2_IHC, "", ""),
    ("her2_ish", "receptors", "radio", "HER2 ISH", ISH, "", ""),
    ("ki67", "receptors", "text", "Ki-67 (%)", None, "integer", ""),
    ("met_site", "metastatic_site", "dropdown", "Site", SITE, "", ""),
    ("met_date", "metastatic_site", "text", "Date first detected", None, "date_mdy", ""),
    ("met_confirm", "metastatic_site", "radio", "Confirmed by", CONFIRMATION, "", ""),
    ("met_detail", "metastatic_site", "text", "Detail", None, "", ""),
    ("line_no", "treatment_line", "text", "Line number", None, "integer", ""),
    ("line_regimen", "treatment_line", "dropdown", "Regimen category", REGIMEN, "", ""),
    ("line_agents", "treatment_line", "text", "Agents", None, "", ""),
    ("line_start", "treatment_line", "text", "Start date", None, "date_mdy", ""),
    ("line_maint", "treatment_line", "text", "Maintenance start date", None, "date_mdy", ""),
    ("line_end", "treatment_line", "text", "End date", None, "date_mdy", ""),
    ("line_end_reason", "treatment_line", "dropdown", "Reason for ending", END_REASON, "", ""),
    ("resp_line", "response", "text", "Line assessed", None, "integer", ""),
    ("resp_date", "response", "text", "Assessment date and time", None, "datetime_dmy", ""),
    ("resp_recist", "response", "radio", "RECIST 1.1 response", RECIST, "", ""),
    ("resp_method", "response", "dropdown", "Method", METHOD, "", ""),
    ("prog_date", "progression", "text", "Date of progression", None, "date_ymd", ""),
    ("prog_type", "progression", "radio", "Type", PROGRESSION, "", ""),
    ("prog_lr_site", "progression", "radio", "Locoregional site", LOCOREGIONAL, "", ""),
    (
        "prog_other_best",
        "progression",
        "yesno",
        "Other sites kept their best response?",
        None,
        "",
        "",
    ),
    ("prog_notes", "progression", "notes", "Notes", None, "", ""),
    ("surg_date", "surgery", "text", "Date of operation", None, "date_dmy", ""),
    ("surg_proc", "surgery", "checkbox", "Procedures", PROCEDURES, "", ""),
    ("surg_other", "surgery", "text", "Other procedure", None, "", ""),
    ("surg_intent", "surgery", "dropdown", "Intent", SURGERY_INTENT, "", ""),
    ("surg_line_cont", "surgery", "yesno", "Systemic line continued after surgery?", None, "", ""),
    ("rt_date", "radiotherapy", "text", "Start date", None, "date_ymd", ""),
    ("rt_site", "radiotherapy", "dropdown", "Site", RT_SITE, "", ""),
    ("rt_intent", "radiotherapy", "dropdown", "Intent", RT_INTENT, "", ""),
    ("rt_dose", "radiotherapy", "text", "Total dose (Gy)", None, "number_1dp", ""),
    ("rt_fractions", "radiotherapy", "text", "Fractions", None, "integer", ""),
    ("fu_date", "follow_up", "text", "Date of contact", None, "date_ymd", ""),
    ("fu_dead", "follow_up", "truefalse", "Patient has died", None, "", ""),
    ("fu_death_date", "follow_up", "text", "Date of death", None, "date_ymd", ""),
    ("fu_status", "follow_up", "radio", "Disease status at contact", DISEASE_STATUS, "", ""),
]
REPEATING = [
    "receptors",
    "metastatic_site",
    "treatment_line",
    "response",
    "progression",
    "surgery",
    "radiotherapy",
    "follow_up",
]


def code_of(codes: dict, registry_values: list, value) -> str:
    """The REDCap code of a registry value, by position in the two lists."""
    return list(codes)[registry_values.index(value)] if value not in ("", None) else ""


def iso(day) -> str:
    return day.isoformat() if day else ""


def write_dictionary(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(HEADER)
        for name, form, kind, label, codes, validation, identifier in FIELDS:
            row = [""] * len(HEADER)
            row[0:5] = [name, form, "", kind, label]
            row[5] = choices(codes) if codes else ""
            row[7] = validation
            row[10] = identifier
            writer.writerow(row)


def record_rows(record_id: str, patient, records, rng) -> list[dict]:
    base = {
        "record_id": record_id,
        "redcap_repeat_instrument": "",
        "redcap_repeat_instance": "",
        "mrn": patient.record_number,
        "surname": patient.family_name,
        "first_name": patient.given_name,
        "sex": code_of(SEX, ["F", "M"], patient.sex),
        "dob": iso(patient.birth_date),
        "primary_dx_date": iso(patient.primary_diagnosis_date),
        "mbc_dx_date": iso(patient.mbc_diagnosis_date),
        "presentation": code_of(PRESENTATION, ["de_novo", "recurrent"], patient.presentation),
        "histology": code_of(
            HISTOLOGY,
            ["ductal", "lobular", "mixed", "other", "unknown", "not_recorded"],
            patient.histology,
        ),
        "patient_complete": "2",
    }
    rows = [base]
    instances = dict.fromkeys(REPEATING, 0)

    def repeat(form: str, values: dict) -> None:
        instances[form] += 1
        rows.append(
            {
                "record_id": record_id,
                "redcap_repeat_instrument": form,
                "redcap_repeat_instance": str(instances[form]),
                **values,
                f"{form}_complete": "2",
            }
        )

    for record in records:
        if isinstance(record, ReceptorAssessment):
            repeat(
                "receptors",
                {
                    "rec_date": iso(record.assessed_on),
                    "rec_specimen": code_of(
                        SPECIMEN,
                        ["primary", "metastasis", "locoregional", "other"],
                        record.specimen,
                    ),
                    "er_pct": record.er_percent,
                    "pr_pct": record.pr_percent,
                    "her2_ihc": code_of(HER2_IHC, ["0", "1+", "2+", "3+"], record.her2_ihc),
                    "her2_ish": code_of(
                        ISH, ["amplified", "not_amplified", "pending", "_"], record.her2_ish or "_"
                    ),
                    "ki67": rng.choice(["", 10, 20, 35]),
                },
            )
        elif isinstance(record, MetastaticSite):
            repeat(
                "metastatic_site",
                {
                    "met_site": code_of(
                        SITE,
                        [c for c, _ in MetastaticSite._meta.get_field("category").choices],
                        record.category,
                    ),
                    "met_date": iso(record.detected_on),
                    "met_confirm": code_of(
                        CONFIRMATION,
                        ["imaging", "histology", "cytology", "clinical", "not_recorded"],
                        record.confirmation,
                    ),
                    "met_detail": record.detail,
                },
            )
        elif isinstance(record, TreatmentLine):
            repeat(
                "treatment_line",
                {
                    "line_no": record.number,
                    "line_regimen": code_of(
                        REGIMEN,
                        [c for c, _ in TreatmentLine._meta.get_field("regimen").choices],
                        record.regimen,
                    ),
                    "line_agents": record.agents,
                    "line_start": iso(record.start_date),
                    "line_maint": iso(record.maintenance_start_date),
                    "line_end": iso(record.end_date),
                    "line_end_reason": code_of(
                        END_REASON,
                        [
                            "progression",
                            "toxicity",
                            "completed",
                            "patient_choice",
                            "death",
                            "other",
                        ],
                        record.end_reason,
                    ),
                },
            )
        elif isinstance(record, ResponseAssessment):
            repeat(
                "response",
                {
                    "resp_line": record.line.number,
                    "resp_date": f"{iso(record.assessed_on)} {rng.choice(TIMES)}",
                    "resp_recist": code_of(
                        RECIST, ["CR", "PR", "SD", "PD", "NE", "non_CR_non_PD"], record.category
                    ),
                    "resp_method": code_of(
                        METHOD,
                        ["ct", "pet_ct", "mri", "bone_scan", "clinical", "other"],
                        record.method,
                    ),
                },
            )
        elif isinstance(record, ProgressionEvent):
            repeat(
                "progression",
                {
                    "prog_date": iso(record.occurred_on),
                    "prog_type": code_of(PROGRESSION, ["systemic", "locoregional"], record.kind),
                    "prog_lr_site": code_of(
                        LOCOREGIONAL,
                        ["breast", "nodes", "breast_and_nodes"],
                        record.locoregional_site,
                    ),
                    "prog_other_best": {True: "1", False: "0", None: ""}[
                        record.other_sites_kept_best_response
                    ],
                    "prog_notes": record.notes,
                },
            )
        elif isinstance(record, Surgery):
            procedures = [
                "lumpectomy",
                "mastectomy",
                "sentinel_node_biopsy",
                "axillary_dissection",
                "metastasectomy",
            ]
            repeat(
                "surgery",
                {
                    "surg_date": iso(record.operated_on),
                    **{
                        f"surg_proc___{code}": "1" if getattr(record, name) else "0"
                        for code, name in zip(PROCEDURES, procedures, strict=True)
                    },
                    "surg_other": record.other_procedure,
                    "surg_intent": code_of(
                        SURGERY_INTENT,
                        [
                            "early_breast_cancer",
                            "locoregional_control",
                            "curative",
                            "palliative",
                            "diagnostic",
                            "not_recorded",
                        ],
                        record.intent,
                    ),
                    "surg_line_cont": {True: "1", False: "0", None: ""}[
                        record.systemic_line_continued
                    ],
                },
            )
        elif isinstance(record, Radiotherapy):
            repeat(
                "radiotherapy",
                {
                    "rt_date": iso(record.started_on),
                    "rt_site": code_of(
                        RT_SITE,
                        [c for c, _ in Radiotherapy._meta.get_field("site").choices],
                        record.site,
                    ),
                    "rt_intent": code_of(
                        RT_INTENT,
                        ["adjuvant", "curative", "ablative", "locoregional_control", "palliative"],
                        record.intent,
                    ),
                    "rt_dose": ""
                    if record.total_dose_gy is None
                    else f"{record.total_dose_gy:.1f}",
                    "rt_fractions": "" if record.fractions is None else record.fractions,
                },
            )
        elif isinstance(record, FollowUp):
            repeat(
                "follow_up",
                {
                    "fu_date": iso(record.contact_date),
                    "fu_dead": "1" if record.vital_status == "dead" else "0",
                    "fu_death_date": iso(record.death_date),
                    "fu_status": code_of(
                        DISEASE_STATUS,
                        ["ned", "with_disease", "unknown", "not_recorded"],
                        record.disease_status,
                    ),
                },
            )
    return rows


def columns() -> list[str]:
    names = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    form = "patient"
    for name, field_form, kind, _label, codes, _validation, _identifier in FIELDS[1:]:
        if field_form != form:
            names.append(f"{form}_complete")
            form = field_form
        names += [f"{name}___{code}" for code in codes] if kind == "checkbox" else [name]
    return [*names, f"{form}_complete"]


def main() -> None:
    rng = random.Random(SEED)  # noqa: S311  # nosec B311 (made-up data, not secrets)
    centre = Centre(code="MIL", name="Milan")
    rows = []
    for number in range(1, RECORDS + 1):
        plan = plan_course(rng, reaches_cr=number % 3 == 0, oligoprogression=number % 5 == 0)
        patient = course_patient(plan, centre=centre, registry_id=f"RC-{number}", rng=rng)
        rows += record_rows(str(number), patient, list(course_records(plan, patient, rng)), rng)
    write_dictionary(HERE / "mbc_data_dictionary.csv")
    with (HERE / "mbc_records.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, columns(), restval="")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
