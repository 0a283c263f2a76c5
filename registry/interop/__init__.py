"""Exchange with other systems in their standards (FHIR mCODE out)."""
