from . import accounts  # noqa: F401  (registers the account history)
from .accounts import ApiToken
from .base import ClinicalRecord
from .board import BoardAttendance, BoardMeeting, CaseDiscussion
from .centres import Centre, CentreMembership, RegistryWideGrant
from .clinical import (
    FollowUp,
    MetastaticSite,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from .findings import Finding, FindingStatus
from .jobs import Job
from .kinds import (
    CLINICAL_RECORD_MODELS,
    KIND_BY_MODEL,
    KIND_BY_SLUG,
    PATIENT_RECORD_MODELS,
    RECORD_KINDS,
    RecordKind,
)
from .patients import Patient
from .quality import CaseStatus, DataQuery, QueryState, QueryStep
from .summary import CrEpisodeSummary, LineSummary, PatientSummary, ProgressionSummary

__all__ = [
    "CLINICAL_RECORD_MODELS",
    "KIND_BY_MODEL",
    "KIND_BY_SLUG",
    "PATIENT_RECORD_MODELS",
    "RECORD_KINDS",
    "ApiToken",
    "BoardAttendance",
    "BoardMeeting",
    "CaseDiscussion",
    "CaseStatus",
    "Centre",
    "CentreMembership",
    "ClinicalRecord",
    "CrEpisodeSummary",
    "DataQuery",
    "Finding",
    "FindingStatus",
    "FollowUp",
    "Job",
    "LineSummary",
    "MetastaticSite",
    "Patient",
    "PatientSummary",
    "ProgressionEvent",
    "ProgressionSummary",
    "QueryState",
    "QueryStep",
    "Radiotherapy",
    "ReceptorAssessment",
    "RecordKind",
    "RegistryWideGrant",
    "ResponseAssessment",
    "Surgery",
    "TreatmentLine",
]
