"""The registry's reports: pure functions from a Cohort to a JSON-safe dict.

The dict is the report: the page renders it, the CSV/XLSX tables are cut from it, the
`report` command and the API return it. Keys are stable and documented in docs/analytics.md.
"""
