"""Structural validation of an exported bundle with the fhir.resources models.

mCODE STU3 is a FHIR R4 (4.0.1) guide; fhir.resources 8.3 ships R5 and R4B (4.3) models, not
R4. The resources the export writes (Patient, Organization, Condition, Observation,
MedicationRequest, Procedure, BodyStructure, Bundle) have the same elements in R4B as in R4,
so the R4B models check their structure: unknown elements, wrong types, wrong cardinality and
missing required elements. They do not check profiles, value-set bindings or invariants;
the tests check the mCODE elements the registry holds (decision 0025 says what is left out).
"""

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError


class InvalidBundle(Exception):
    """The export built a bundle the FHIR models refuse: a defect, never the user's input."""


def parse_bundle(document: dict) -> Bundle:
    """The bundle as fhir.resources models (R4B), or InvalidBundle with every problem."""
    try:
        return Bundle.model_validate(document)
    except ValidationError as error:
        raise InvalidBundle(str(error)) from error
