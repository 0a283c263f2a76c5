"""Clinical rules and derivations, pure Python: no database, no HTTP.

Each concept of DEFINITIONS.md lives in exactly one function here. Models, the case
page, the API and the analytics all call these, so a rule is never written twice.
"""
