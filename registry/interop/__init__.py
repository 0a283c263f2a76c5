"""Interoperability with other systems' formats: REDCap projects in, translated to the
registry's own exchange cases (`registry.exchange`) so every import goes through the one
importer; FHIR mCODE bundles out, built from the same cases the case export reads."""
