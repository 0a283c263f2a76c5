"""Report files as JSON; CSV and XLSX are written by registry.spreadsheets, formula-safe."""

import json


def json_bytes(report: dict) -> bytes:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")
