"""Interoperability with other systems' formats: each translates to or from the registry's own
exchange cases (`registry.exchange`), so every import goes through the one importer."""
