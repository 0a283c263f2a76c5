#!/usr/bin/env python3
"""Import benchmark: patients/s and records/s of the case importer, dry run and real.

    .venv/bin/python bench/import_bench.py [--cases 1000] [--seed-patients 300] [--sqlite]

Fills a scratch database (PostgreSQL on DATABASE_URL's server, or 127.0.0.1:5432 as user
postgres; a SQLite file with --sqlite) with the demo cohort, exports it, and builds a
file of N new cases from it (the demo's cases again and again, registry IDs and record
numbers shifted). It then checks the file (dry run) and imports it, each in its own
process, and prints the wall and CPU seconds of the import itself (the file already
read), patients/s, records/s and SQL statements per case. The scratch database is
dropped afterwards. `run(...)` returns the same figures as a dict; `measure_file(url,
path)` measures a given file on a given database (bench/run.py's import figures).
"""

import argparse
import json
import tempfile
import uuid
from pathlib import Path

from scratch import load, manage, scratch_database

SECTIONS = (
    "receptor_assessments",
    "metastatic_sites",
    "treatment_lines",
    "progression_events",
    "surgeries",
    "radiotherapy",
    "follow_up",
    "board_discussions",
)

# Runs inside `manage.py shell`: the import alone, timed and its statements counted.
MEASURE = """
import json, resource, sys, time
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from registry import exchange
located = exchange.read_json(open({path!r}, "rb").read())
user = get_user_model().objects.get(username="admin")
cpu = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
with CaptureQueriesContext(connection) as queries:
    result = exchange.import_cases(located, user=user, dry_run={dry_run}, reason="benchmark")
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
assert result.ok, result.errors[:5]
print("RESULT " + json.dumps({{
    "wall": wall,
    "cpu": (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime),
    "statements": len(queries.captured_queries),
    "created": sum(result.created.values()),
}}))
"""


def new_cases(document: dict, count: int) -> dict:
    """`count` new cases: the exported ones over and over, under new IDs and numbers."""
    base = document["cases"]
    cases = []
    for index in range(count):
        case = json.loads(json.dumps(base[index % len(base)]))
        copy = index // len(base)
        case["registry_id"] = f"B{copy}-{case['registry_id']}"[:20]
        case["record_number"] = f"B{copy}-{case['record_number']}"
        cases.append(case)
    return {**document, "cases": cases}


def records_in(cases: list[dict]) -> int:
    """Every record a case file holds: patients, their records and the lines' responses."""
    count = len(cases)
    for case in cases:
        for key in SECTIONS:
            count += len(case.get(key, []))
        count += sum(len(line.get("responses", [])) for line in case.get("treatment_lines", []))
    return count


def measure(url: str, path: Path, *, dry_run: bool) -> dict:
    code = MEASURE.format(path=str(path), dry_run=dry_run)
    output = manage(url, "shell", "-v", "0", "-c", code).stdout
    return json.loads(output.split("RESULT ", 1)[1])


def measure_file(url: str, path: Path) -> dict:
    """Check (dry run), then import, the case file `path` into the database `url`, each in
    its own process: the figures of each, the file already read."""
    cases = json.loads(path.read_text())["cases"]
    records = records_in(cases)
    figures = {"cases": len(cases), "records": records, "load": load()}
    for label, dry_run in (("dry_run", True), ("import", False)):
        result = measure(url, path, dry_run=dry_run)
        figures[label] = {
            **result,
            "patients_per_s": len(cases) / result["wall"],
            "records_per_s": records / result["wall"],
            "patients_per_cpu_s": len(cases) / result["cpu"],
            "statements_per_case": result["statements"] / len(cases),
        }
    return figures


def run(cases: int = 1000, seed_patients: int = 300, sqlite: bool = False) -> dict:
    """Fill a scratch database, import `cases` new cases (dry run, then real): figures."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(f"bench_import_{uuid.uuid4().hex[:8]}", sqlite=sqlite) as url,
    ):
        directory = Path(tmp)
        manage(url, "migrate", "--no-input")
        manage(url, "seed_demo", "--patients", str(seed_patients))
        export = directory / "export.json"
        manage(url, "export_cases", "--output", str(export))
        path = directory / "new.json"
        path.write_text(json.dumps(new_cases(json.loads(export.read_text()), cases)))
        return {"database": "sqlite" if sqlite else "postgresql", **measure_file(url, path)}


def report(figures: dict) -> list[str]:
    """The figures as printed lines."""
    lines = []
    for label in ("dry_run", "import"):
        f = figures[label]
        lines.append(
            f"{label:8} {figures['cases']:,} cases, {figures['records']:,} records: "
            f"{f['wall']:7.2f} s wall {f['cpu']:7.2f} s CPU  "
            f"{f['patients_per_s']:8.0f} patients/s {f['records_per_s']:9.0f} records/s  "
            f"{f['patients_per_cpu_s']:8.0f} patients/CPU-s  "
            f"{1000 / f['patients_per_cpu_s']:6.2f} CPU-s per 1,000 patients  "
            f"{f['statements_per_case']:.3f} statements/case"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed-patients", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true")
    options = parser.parse_args()
    figures = run(options.cases, options.seed_patients, options.sqlite)
    print(f"{figures['database']}, {figures['load']}")
    print("\n".join(report(figures)))


if __name__ == "__main__":
    main()
