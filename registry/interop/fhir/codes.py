"""Every code the FHIR mCODE export writes, defined once: the registry's vocabularies mapped to
the code systems mCODE STU3 names (SNOMED CT, LOINC, ICD-10-CM, ICD-O-3).

The builder (`bundle.py`), the reader of a bundle (`reading.py`) and the mapping table of
docs/fhir-mcode.md all take their codes from here; a test checks that the documented table
is the one `mapping_table()` writes.

Each mapped value carries, besides its standard coding where one is verified, the registry's
own code (system `urn:mbc-registry:<vocabulary>`), so a partner sees the standard concept and
the registry's exact answer survives a round trip. A value with no standard coding here has
none on purpose: the codes were taken from the mCODE STU3 sources and HL7 guides, never
guessed (docs/decisions/0025-fhir-mcode-export.md).
"""

from dataclasses import dataclass

from django.db import models

from registry.models import Surgery
from registry.models.vocabularies import (
    AssessmentMethod,
    Her2Ihc,
    Histology,
    IshResult,
    LineEndReason,
    LocoregionalSite,
    ProgressionKind,
    RadiotherapyIntent,
    RadiotherapySite,
    Recist,
    RegimenCategory,
    SiteCategory,
    SiteConfirmation,
    Specimen,
    SurgeryIntent,
)

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
UCUM = "http://unitsofmeasure.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

# The registry's own names: code systems, identifiers and extensions (no public canonical).
REGISTRY = "urn:mbc-registry:"
REGISTRY_ID_SYSTEM = f"{REGISTRY}registry-id"
CENTRE_SYSTEM = f"{REGISTRY}centre"
EXPORT_TAG_SYSTEM = f"{REGISTRY}export"


def record_number_system(centre_code: str) -> str:
    """Hospital record numbers are unique within a centre, so each centre is its own system."""
    return f"{REGISTRY}record-number:{centre_code}"


def registry_extension(name: str) -> str:
    return f"{REGISTRY}extension:{name}"


MBC_DIAGNOSIS_DATE = registry_extension("mbc-diagnosis-date")
PRESENTATION = registry_extension("presentation")
AGE_AT_MBC_DIAGNOSIS = registry_extension("age-at-mbc-diagnosis")
OTHER_SITES_KEPT_BEST_RESPONSE = registry_extension("other-sites-kept-best-response")
SYSTEMIC_LINE_CONTINUED = registry_extension("systemic-line-continued")

MCODE = "http://hl7.org/fhir/us/mcode"


def mcode_profile(name: str) -> str:
    return f"{MCODE}/StructureDefinition/mcode-{name}"


class Profile:
    """The mCODE STU3 (3.0.0) profiles the export claims in `meta.profile`."""

    CANCER_PATIENT = mcode_profile("cancer-patient")
    PRIMARY_CANCER_CONDITION = mcode_profile("primary-cancer-condition")
    SECONDARY_CANCER_CONDITION = mcode_profile("secondary-cancer-condition")
    TUMOR_MARKER_TEST = mcode_profile("tumor-marker-test")
    MEDICATION_REQUEST = mcode_profile("cancer-related-medication-request")
    SURGICAL_PROCEDURE = mcode_profile("cancer-related-surgical-procedure")
    RADIOTHERAPY_COURSE_SUMMARY = mcode_profile("radiotherapy-course-summary")
    RADIOTHERAPY_VOLUME = mcode_profile("radiotherapy-volume")
    CANCER_DISEASE_STATUS = mcode_profile("cancer-disease-status")


class Extension:
    """mCODE STU3 extensions the export fills."""

    HISTOLOGY = mcode_profile("histology-morphology-behavior")
    RELATED_PRIMARY = "http://hl7.org/fhir/StructureDefinition/condition-related"
    RELATED_CONDITION = mcode_profile("related-condition")
    EVIDENCE_TYPE = mcode_profile("cancer-disease-status-evidence-type")
    PROCEDURE_INTENT = mcode_profile("procedure-intent")
    SESSIONS = mcode_profile("radiotherapy-sessions")
    DOSE_TO_VOLUME = mcode_profile("radiotherapy-dose-delivered-to-volume")


@dataclass(frozen=True)
class Concept:
    system: str
    code: str
    display: str

    def coding(self) -> dict:
        return {"system": self.system, "code": self.code, "display": self.display}


def sct(code: str, display: str) -> Concept:
    return Concept(SNOMED, code, display)


def loinc(code: str, display: str) -> Concept:
    return Concept(LOINC, code, display)


def icd10cm(code: str, display: str) -> Concept:
    return Concept(ICD10CM, code, display)


def icdo3(code: str, display: str) -> Concept:
    return Concept(ICDO3, code, display)


# Codes the builder uses whatever the record says (mCODE fixes them).
BREAST_CANCER = sct("254837009", "Malignant neoplasm of breast (disorder)")
DISEASE_STATUS_CODE = loinc("97509-4", "Cancer Disease Progression")
RADIOTHERAPY_COURSE = sct("1217123003", "Radiotherapy course of treatment (regime/therapy)")
ER_PERCENT = loinc(
    "85329-1", "Cells.estrogen receptor/100 cells in Breast cancer specimen by Immune stain"
)
PR_PERCENT = loinc(
    "85325-9", "Cells.progesterone receptor/100 cells in Breast cancer specimen by Immune stain"
)
HER2_IHC = loinc("85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain")
HER2_ISH = loinc("85318-4", "ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH")
PROGRESSION_VALUE = sct("271299001", "Patient's condition worsened (finding)")


@dataclass(frozen=True)
class Mapping:
    """One registry vocabulary and what each of its codes becomes in FHIR."""

    name: str  # the registry code system's name (urn:mbc-registry:<name>)
    element: str  # where the export writes it
    labels: dict[str, str]  # registry code -> the clinic's label
    concepts: dict[str, tuple[Concept, ...]]  # registry code -> standard codings (may be none)
    registry_coding: bool = True  # False where the binding is required (standard codes only)

    @property
    def system(self) -> str:
        return f"{REGISTRY}{self.name}"

    def codeable(self, code: str) -> dict:
        """A CodeableConcept: the standard codings, the registry's own, the label as text."""
        codings = [concept.coding() for concept in self.concepts.get(code, ())]
        if self.registry_coding:
            codings.append({"system": self.system, "code": code, "display": self.labels[code]})
        return {"coding": codings, "text": self.labels[code]}

    def code_of(self, codeable: dict) -> str:
        """The registry code a CodeableConcept written by `codeable` stands for."""
        codings = codeable.get("coding", [])
        for coding in codings:
            if coding.get("system") == self.system:
                return coding["code"]
        for code, concepts in self.concepts.items():  # standard codes only: a 1:1 map
            if concepts and {(c.system, c.code) for c in concepts} <= {
                (c.get("system"), c.get("code")) for c in codings
            }:
                return code
        raise KeyError(f"{self.name}: no registry code in {codeable}")


def _mapping(name, element, choices: type[models.TextChoices], concepts, **options) -> Mapping:
    labels = dict(choices.choices)
    unknown = set(concepts) - set(labels)
    if unknown:  # a renamed registry code must not leave a dead mapping behind
        raise ValueError(f"{name}: {sorted(unknown)} are not registry codes")
    return Mapping(
        name, element, labels, {c: tuple(concepts.get(c, ())) for c in labels}, **options
    )


BONE = sct("119186007", "Bone part (body structure)")
LIVER = sct("10200004", "Liver structure (body structure)")
LUNG = sct("39607008", "Lung structure (body structure)")
PLEURA = sct("3120008", "Pleural membrane structure (body structure)")
BRAIN = sct("12738006", "Brain structure (body structure)")
LYMPH_NODE = sct("59441001", "Structure of lymph node (body structure)")
SKIN = sct("39937001", "Skin structure (body structure)")
SOFT_TISSUE = sct("87784001", "Soft tissues (body structure)")
PERITONEUM = sct("15425007", "Peritoneum (serous membrane) structure (body structure)")
BREAST = sct("76752008", "Breast structure (body structure)")
CHEST_WALL = sct("78904004", "Chest wall structure (body structure)")
AXILLARY_NODES = sct("68171009", "Axillary lymph node structure (body structure)")

CURATIVE = sct("373808002", "Curative - procedure intent")
PALLIATIVE = sct("363676003", "Palliative - procedure intent")
DIAGNOSTIC = sct("261004008", "Diagnostic intent")

METASTATIC_SITE_BODY = _mapping(
    "metastatic-site",
    "Secondary Cancer Condition.bodySite",
    SiteCategory,
    {
        "bone": [BONE],
        "liver": [LIVER],
        "lung": [LUNG],
        "pleura": [PLEURA],
        "brain": [BRAIN],
        "distant_nodes": [LYMPH_NODE],
        "skin_soft_tissue": [SKIN, SOFT_TISSUE],
        "peritoneum": [PERITONEUM],
    },
)
METASTATIC_SITE_DISORDER = _mapping(
    "metastatic-site",
    "Secondary Cancer Condition.code",
    SiteCategory,
    {
        "bone": [icd10cm("C79.51", "Secondary malignant neoplasm of bone")],
        "liver": [
            icd10cm("C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct")
        ],
        "lung": [icd10cm("C78.00", "Secondary malignant neoplasm of unspecified lung")],
        "pleura": [icd10cm("C78.2", "Secondary malignant neoplasm of pleura")],
        "brain": [
            sct("94225005", "Secondary malignant neoplasm of brain"),
            icd10cm("C79.31", "Secondary malignant neoplasm of brain"),
        ],
        "distant_nodes": [
            icd10cm(
                "C77.9", "Secondary and unspecified malignant neoplasm of lymph node, unspecified"
            )
        ],
        "skin_soft_tissue": [
            icd10cm("C79.89", "Secondary malignant neoplasm of other specified sites")
        ],
        "peritoneum": [
            icd10cm("C78.6", "Secondary malignant neoplasm of retroperitoneum and peritoneum")
        ],
        "other": [icd10cm("C79.89", "Secondary malignant neoplasm of other specified sites")],
    },
)
SITE_CONFIRMATION = _mapping(
    "site-confirmation",
    "Secondary Cancer Condition.evidence.code (required binding: standard codes only)",
    SiteConfirmation,
    {
        "imaging": [sct("363679005", "Imaging (procedure)")],
        "histology": [sct("714797009", "Histologic test (procedure)")],
        "cytology": [sct("116147009", "Cytologic test (procedure)")],
        "clinical": [sct("5880005", "Clinical examination (procedure)")],
    },
    registry_coding=False,
)
HISTOLOGY = _mapping(
    "histology",
    "Primary Cancer Condition: histology-morphology-behavior extension",
    Histology,
    {
        "ductal": [
            sct("82711006", "Infiltrating duct carcinoma (morphologic abnormality)"),
            icdo3("8500/3", "Infiltrating duct carcinoma, NOS"),
        ],
        "lobular": [icdo3("8520/3", "Lobular carcinoma, NOS")],
        "mixed": [icdo3("8522/3", "Infiltrating duct and lobular carcinoma")],
    },
)
SPECIMEN = _mapping("specimen", "Tumor Marker Test.specimen (identifier and display)", Specimen, {})
HER2_IHC_SCORE = _mapping(
    "her2-ihc", "Tumor Marker Test (HER2 IHC).valueCodeableConcept", Her2Ihc, {}
)
ISH_RESULT = _mapping(
    "her2-ish",
    "Tumor Marker Test (HER2 ISH).valueCodeableConcept",
    IshResult,
    {
        "amplified": [loinc("LA6576-8", "Positive")],
        "not_amplified": [loinc("LA6577-6", "Negative")],
    },
)
REGIMEN_CATEGORY = _mapping(
    "regimen-category", "Cancer-Related Medication Request.category", RegimenCategory, {}
)
LINE_END_REASON = _mapping(
    "line-end-reason",
    "Cancer-Related Medication Request.statusReason",
    LineEndReason,
    {
        "progression": [sct("266721009", "No response to treatment (situation)")],
        "toxicity": [sct("407563006", "Treatment not tolerated (situation)")],
        "patient_choice": [sct("105480006", "Refusal of treatment by patient (situation)")],
        "death": [sct("419620001", "Death (event)")],
    },
)
RESPONSE = _mapping(
    "recist",
    "Cancer Disease Status.valueCodeableConcept (response assessment)",
    Recist,
    {
        "CR": [sct("103338009", "In full remission (qualifier value)")],
        "PR": [sct("103337004", "In partial remission (qualifier value)")],
        "SD": [sct("359746009", "Patient's condition stable (finding)")],
        "PD": [PROGRESSION_VALUE],
        "NE": [sct("709137006", "Patient condition undetermined (finding)")],
        "non_CR_non_PD": [sct("359746009", "Patient's condition stable (finding)")],
    },
)
ASSESSMENT_METHOD = _mapping(
    "assessment-method",
    "Cancer Disease Status.method (registry code) and its evidence-type extension",
    AssessmentMethod,
    {},
)
ASSESSMENT_EVIDENCE = {  # the evidence-type extension's required value set
    "ct": sct("77477000", "Computerized axial tomography (procedure)"),
    "pet_ct": sct("82918005", "Positron emission tomography (procedure)"),
    "mri": sct("113091000", "Magnetic resonance imaging (procedure)"),
    "bone_scan": sct("363679005", "Imaging (procedure)"),
    "clinical": sct("5880005", "Clinical examination (procedure)"),
}
PROGRESSION_KIND = _mapping(
    "progression-kind",
    "Cancer Disease Status.valueCodeableConcept (progression event)",
    ProgressionKind,
    {"systemic": [PROGRESSION_VALUE], "locoregional": [PROGRESSION_VALUE]},
)
LOCOREGIONAL_SITE = _mapping(
    "locoregional-site",
    "Cancer Disease Status.bodySite (locoregional progression)",
    LocoregionalSite,
    {"breast": [BREAST]},
)


class _SurgicalProcedure(models.TextChoices):
    """The procedures one operation may combine (the Surgery model's check boxes)."""

    LUMPECTOMY = "lumpectomy", "Lumpectomy"
    MASTECTOMY = "mastectomy", "Mastectomy"
    SENTINEL_NODE_BIOPSY = "sentinel_node_biopsy", "Sentinel lymph node biopsy"
    AXILLARY_DISSECTION = "axillary_dissection", "Axillary lymph node dissection"
    METASTASECTOMY = "metastasectomy", "Metastasectomy"
    OTHER = "other", "Other procedure"


if set(Surgery.PROCEDURE_FIELDS) != set(_SurgicalProcedure.values) - {"other"}:
    raise ValueError("Every procedure of the Surgery model needs its place in the FHIR export.")

SURGICAL_PROCEDURE = _mapping(
    "surgical-procedure",
    "Cancer-Related Surgical Procedure.code (one resource per procedure of an operation)",
    _SurgicalProcedure,
    {
        "lumpectomy": [sct("392021009", "Lumpectomy of breast (procedure)")],
        "mastectomy": [sct("69031006", "Excision of breast tissue (procedure)")],
        "sentinel_node_biopsy": [sct("396487001", "Sentinel lymph node biopsy (procedure)")],
        "axillary_dissection": [sct("234254000", "Excision of axillary lymph nodes group")],
    },
)
SURGERY_INTENT = _mapping(
    "surgery-intent",
    "Cancer-Related Surgical Procedure: procedure-intent extension",
    SurgeryIntent,
    {"curative": [CURATIVE], "palliative": [PALLIATIVE], "diagnostic": [DIAGNOSTIC]},
)
RADIOTHERAPY_SITE = _mapping(
    "radiotherapy-site",
    "Radiotherapy Course Summary.bodySite",
    RadiotherapySite,
    {
        "breast": [BREAST, CHEST_WALL],
        "regional_nodes": [AXILLARY_NODES],
        "bone": [BONE],
        "brain": [BRAIN],
        "lung": [LUNG],
        "liver": [LIVER],
        "pleura": [PLEURA],
        "distant_nodes": [LYMPH_NODE],
        "skin_soft_tissue": [SKIN, SOFT_TISSUE],
        "peritoneum": [PERITONEUM],
    },
)
RADIOTHERAPY_INTENT = _mapping(
    "radiotherapy-intent",
    "Radiotherapy Course Summary: procedure-intent extension",
    RadiotherapyIntent,
    {"curative": [CURATIVE], "palliative": [PALLIATIVE]},
)

MAPPINGS = (
    METASTATIC_SITE_DISORDER,
    METASTATIC_SITE_BODY,
    SITE_CONFIRMATION,
    HISTOLOGY,
    SPECIMEN,
    HER2_IHC_SCORE,
    ISH_RESULT,
    REGIMEN_CATEGORY,
    LINE_END_REASON,
    RESPONSE,
    ASSESSMENT_METHOD,
    PROGRESSION_KIND,
    LOCOREGIONAL_SITE,
    SURGICAL_PROCEDURE,
    SURGERY_INTENT,
    RADIOTHERAPY_SITE,
    RADIOTHERAPY_INTENT,
)
FIXED_CODES = (
    ("Primary Cancer Condition.code", BREAST_CANCER),
    ("Tumor Marker Test.code (ER %)", ER_PERCENT),
    ("Tumor Marker Test.code (PR %)", PR_PERCENT),
    ("Tumor Marker Test.code (HER2 IHC)", HER2_IHC),
    ("Tumor Marker Test.code (HER2 ISH)", HER2_ISH),
    ("Radiotherapy Course Summary.code", RADIOTHERAPY_COURSE),
    ("Cancer Disease Status.code", DISEASE_STATUS_CODE),
)

_SYSTEM_NAMES = {SNOMED: "SNOMED CT", LOINC: "LOINC", ICD10CM: "ICD-10-CM", ICDO3: "ICD-O-3"}


def _concept_cell(concepts) -> str:
    return "; ".join(f"{_SYSTEM_NAMES[c.system]} {c.code} {c.display}" for c in concepts) or "—"


def mapping_table() -> str:
    """The Markdown mapping table of docs/fhir-mcode.md (checked by a test)."""
    lines = ["| FHIR element | registry value | standard coding |", "|---|---|---|"]
    for element, concept in FIXED_CODES:
        lines.append(f"| {element} | (every record) | {_concept_cell([concept])} |")
    for mapping in MAPPINGS:
        for code, label in mapping.labels.items():
            concepts = mapping.concepts[code]
            if mapping is ASSESSMENT_METHOD and code in ASSESSMENT_EVIDENCE:
                concepts = (ASSESSMENT_EVIDENCE[code],)
            lines.append(f"| {mapping.element} | `{code}` {label} | {_concept_cell(concepts)} |")
    return "\n".join(lines) + "\n"
