from . import accounts  # noqa: F401  (registers the account history)
from .accounts import ApiToken
from .base import ClinicalRecord
from .board import BoardAttendance, BoardMeeting, CaseDiscussion
from .centres import Centre, CentreMembership, RegistryWideGrant
from .clinical import (
    CLINICAL_RECORD_MODELS,
    FollowUp,
    MetastaticSite,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from .jobs import Job
from .patients import Patient
from .summary import CrEpisodeSummary, LineSummary, PatientSummary

__all__ = [
    "CLINICAL_RECORD_MODELS",
    "ApiToken",
    "BoardAttendance",
    "BoardMeeting",
    "CaseDiscussion",
    "Centre",
    "CentreMembership",
    "ClinicalRecord",
    "CrEpisodeSummary",
    "FollowUp",
    "Job",
    "LineSummary",
    "MetastaticSite",
    "Patient",
    "PatientSummary",
    "ProgressionEvent",
    "Radiotherapy",
    "ReceptorAssessment",
    "RegistryWideGrant",
    "ResponseAssessment",
    "Surgery",
    "TreatmentLine",
]

# Every model whose rows belong to one patient (scoped, audited and shown per case).
PATIENT_RECORD_MODELS = (*CLINICAL_RECORD_MODELS, CaseDiscussion)
__all__ += ["PATIENT_RECORD_MODELS"]
