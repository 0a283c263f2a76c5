"""FHIR R4 export following mCODE STU3 (docs/fhir-mcode.md, decision 0025).

`codes` maps the registry's vocabularies to SNOMED CT, LOINC, ICD-10-CM and ICD-O-3 once;
`bundle` builds the resources from the case exchange's selector; `validation` checks a
bundle against the fhir.resources models before it leaves the registry.
"""

import json

from django.db.models import QuerySet

from registry import access

from .bundle import export_bundle
from .validation import InvalidBundle, parse_bundle

CONTENT_TYPE = "application/fhir+json"


def checked_bundle(patients: QuerySet, *, deidentified: bool) -> dict:
    """The patients' mCODE bundle, refused (InvalidBundle) if the FHIR models reject it."""
    document = export_bundle(patients, deidentified=deidentified)
    parse_bundle(document)
    return document


def case_bundle(user, registry_id: str) -> dict | None:
    """One patient's bundle as this user may see it (de-identified for analysts); None for a
    patient the user may not see, exactly as for one that does not exist."""
    patients = access.patients(user).filter(registry_id=registry_id)
    document = checked_bundle(patients, deidentified=not access.sees_identifying_data(user))
    return document if document["entry"] else None


def bundle_bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


__all__ = [
    "CONTENT_TYPE",
    "InvalidBundle",
    "bundle_bytes",
    "case_bundle",
    "checked_bundle",
    "export_bundle",
    "parse_bundle",
]
