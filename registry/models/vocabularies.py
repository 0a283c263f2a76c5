"""Clinical vocabularies: the closed lists a data manager picks from.

Codes are stored; labels are what the clinic reads. Changing a code needs a data
migration, changing a label does not.

`not_recorded` is the explicit answer where a retrospective chart is silent: it is counted
and shown as such, never read as a clinical value (docs/decisions/0009-not-recorded.md).
"""

from django.db import models

NOT_RECORDED = "not_recorded"
NOT_RECORDED_LABEL = "Not recorded"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class Presentation(models.TextChoices):
    DE_NOVO = "de_novo", "De novo (metastatic at first diagnosis)"
    RECURRENT = "recurrent", "Recurrent (after earlier non-metastatic disease)"


class Histology(models.TextChoices):
    DUCTAL = "ductal", "Invasive carcinoma of no special type (ductal)"
    LOBULAR = "lobular", "Invasive lobular carcinoma"
    MIXED = "mixed", "Mixed ductal/lobular"
    OTHER = "other", "Other special type"
    UNKNOWN = "unknown", "Unknown"
    NOT_RECORDED = NOT_RECORDED, NOT_RECORDED_LABEL


class Specimen(models.TextChoices):
    PRIMARY = "primary", "Primary breast tumour"
    METASTASIS = "metastasis", "Biopsy of a metastasis"
    LOCOREGIONAL = "locoregional", "Locoregional recurrence"
    OTHER = "other", "Other specimen"


class Her2Ihc(models.TextChoices):
    ZERO = "0", "IHC 0"
    ONE = "1+", "IHC 1+"
    TWO = "2+", "IHC 2+ (equivocal)"
    THREE = "3+", "IHC 3+"


class IshResult(models.TextChoices):
    AMPLIFIED = "amplified", "ISH amplified"
    NOT_AMPLIFIED = "not_amplified", "ISH not amplified"
    PENDING = "pending", "ISH requested, result awaited"


class SiteCategory(models.TextChoices):
    BONE = "bone", "Bone"
    LIVER = "liver", "Liver"
    LUNG = "lung", "Lung"
    PLEURA = "pleura", "Pleura"
    BRAIN = "brain", "Brain"
    DISTANT_NODES = "distant_nodes", "Distant lymph nodes"
    SKIN_SOFT_TISSUE = "skin_soft_tissue", "Skin / soft tissue"
    PERITONEUM = "peritoneum", "Peritoneum"
    OTHER = "other", "Other"


class SiteConfirmation(models.TextChoices):
    IMAGING = "imaging", "Imaging"
    HISTOLOGY = "histology", "Histology"
    CYTOLOGY = "cytology", "Cytology"
    CLINICAL = "clinical", "Clinical examination"
    NOT_RECORDED = NOT_RECORDED, NOT_RECORDED_LABEL


class RegimenCategory(models.TextChoices):
    CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
    ENDOCRINE = "endocrine", "Endocrine therapy alone"
    ENDOCRINE_CDK46 = "endocrine_cdk46", "Endocrine therapy + CDK4/6 inhibitor"
    ENDOCRINE_TARGETED = "endocrine_targeted", "Endocrine therapy + other targeted agent"
    ANTI_HER2_CHEMO = "anti_her2_chemo", "Anti-HER2 + chemotherapy"
    ANTI_HER2_ENDOCRINE = "anti_her2_endocrine", "Anti-HER2 + endocrine therapy"
    ANTI_HER2 = "anti_her2", "Anti-HER2 alone"
    ADC = "adc", "Antibody-drug conjugate"
    IMMUNO_CHEMO = "immuno_chemo", "Immunotherapy + chemotherapy"
    IMMUNOTHERAPY = "immunotherapy", "Immunotherapy alone (e.g. checkpoint-inhibitor maintenance)"
    PARP = "parp", "PARP inhibitor"
    OTHER = "other", "Other"


class LineEndReason(models.TextChoices):
    PROGRESSION = "progression", "Progression"
    TOXICITY = "toxicity", "Toxicity"
    COMPLETED = "completed", "Planned end of treatment"
    PATIENT_CHOICE = "patient_choice", "Patient's choice"
    DEATH = "death", "Death"
    OTHER = "other", "Other"


class Recist(models.TextChoices):
    CR = "CR", "Complete response (CR)"
    PR = "PR", "Partial response (PR)"
    SD = "SD", "Stable disease (SD)"
    PD = "PD", "Progressive disease (PD)"
    NE = "NE", "Not evaluable (NE)"
    NON_CR_NON_PD = "non_CR_non_PD", "Non-CR/non-PD (non-measurable disease)"

    @property
    def abbreviation(self) -> str:
        """What clinicians write in a note: CR, PR, SD, PD, NE or non-CR/non-PD."""
        return "non-CR/non-PD" if self is Recist.NON_CR_NON_PD else self.value


class AssessmentMethod(models.TextChoices):
    CT = "ct", "CT"
    PET_CT = "pet_ct", "PET-CT"
    MRI = "mri", "MRI"
    BONE_SCAN = "bone_scan", "Bone scan"
    CLINICAL = "clinical", "Clinical examination"
    OTHER = "other", "Other"


class ProgressionKind(models.TextChoices):
    SYSTEMIC = "systemic", "Systemic / distant"
    LOCOREGIONAL = "locoregional", "Locoregional (breast and/or regional nodes)"


class LocoregionalSite(models.TextChoices):
    BREAST = "breast", "Breast"
    NODES = "nodes", "Regional lymph nodes"
    BREAST_AND_NODES = "breast_and_nodes", "Breast and regional lymph nodes"


class SurgeryIntent(models.TextChoices):
    EARLY_BREAST_CANCER = (
        "early_breast_cancer",
        "Surgery of early breast cancer (before the MBC diagnosis)",
    )
    LOCOREGIONAL_CONTROL = "locoregional_control", "Locoregional control"
    CURATIVE = "curative", "Curative resection of oligometastatic disease"
    PALLIATIVE = "palliative", "Palliative"
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    NOT_RECORDED = NOT_RECORDED, NOT_RECORDED_LABEL


class RadiotherapySite(models.TextChoices):
    """Locoregional targets, then one per metastatic site category (SiteCategory)."""

    BREAST = "breast", "Breast / chest wall"
    REGIONAL_NODES = "regional_nodes", "Regional lymph nodes"
    BONE = "bone", "Bone"
    BRAIN = "brain", "Brain"
    LUNG = "lung", "Lung"
    LIVER = "liver", "Liver"
    PLEURA = "pleura", "Pleura"
    DISTANT_NODES = "distant_nodes", "Distant lymph nodes"
    SKIN_SOFT_TISSUE = "skin_soft_tissue", "Skin / soft tissue"
    PERITONEUM = "peritoneum", "Peritoneum"
    OTHER = "other", "Other"


class RadiotherapyIntent(models.TextChoices):
    ADJUVANT = "adjuvant", "Adjuvant (early breast cancer, before the MBC diagnosis)"
    CURATIVE = "curative", "Curative"
    ABLATIVE = "ablative", "Ablative (e.g. SBRT)"
    LOCOREGIONAL_CONTROL = "locoregional_control", "Locoregional control"
    PALLIATIVE = "palliative", "Palliative"


class VitalStatus(models.TextChoices):
    ALIVE = "alive", "Alive"
    DEAD = "dead", "Dead"


class DiseaseStatus(models.TextChoices):
    NED = "ned", "No evidence of disease (NED)"
    WITH_DISEASE = "with_disease", "Alive with disease"
    UNKNOWN = "unknown", "Unknown"
    NOT_RECORDED = NOT_RECORDED, NOT_RECORDED_LABEL


class RecommendationCategory(models.TextChoices):
    SYSTEMIC_CHANGE = "systemic_change", "Change of systemic therapy"
    CONTINUE = "continue", "Continue current treatment"
    SURGERY = "surgery", "Surgery"
    RADIOTHERAPY = "radiotherapy", "Radiotherapy"
    WORK_UP = "work_up", "Further imaging or biopsy"
    SUPPORTIVE = "supportive", "Supportive care"


class Specialty(models.TextChoices):
    MEDICAL_ONCOLOGY = "medical_oncology", "Medical oncology"
    BREAST_SURGERY = "breast_surgery", "Breast surgery"
    RADIATION_ONCOLOGY = "radiation_oncology", "Radiation oncology"
    RADIOLOGY = "radiology", "Radiology"
    PATHOLOGY = "pathology", "Pathology"
    NUCLEAR_MEDICINE = "nuclear_medicine", "Nuclear medicine"
    PLASTIC_SURGERY = "plastic_surgery", "Plastic surgery"
    GENETICS = "genetics", "Clinical genetics"
    PALLIATIVE_CARE = "palliative_care", "Palliative care"
    NURSING = "nursing", "Breast care nursing"
    PSYCHO_ONCOLOGY = "psycho_oncology", "Psycho-oncology"
