#!/usr/bin/env python3
"""Report timings on an already-filled database: wall time, CPU, peak memory, raw-fetch floor.

    DATABASE_URL=postgres://... .venv/bin/python bench/report_bench.py [--clone-to N]

`run(n_patients)` is the entry point the benchmark runner calls on a database the generator
(`bench/generate.py`) filled. For each report it prints:
- `manage.py report NAME` end to end in a fresh process, computed afresh and then taken
  from the stored result (wall time, CPU seconds, the process's peak RSS);
- in-process: building the cohort from the derived tables, the whole report, and the
  raw-fetch floor (the cohort's three queries fetched with a cursor, nothing built);
- the machine's load average, since the figures depend on what else runs.

`--clone-to N` is a minimal filler for trying the script without the generator: it copies
the patients already in the database (e.g. `manage.py seed_demo`) until there are N, with
the rows the reports read (patients, sites, surgeries, radiotherapy, follow-up and the
derived rows, valid for the copies since a copy has its original's records). It leaves out
lines, responses, progressions and receptor assessments, so `check_derived` fails on such
a database: it is for timing reports only, never a registry.
"""

import argparse
import os
import sys
import time

from scratch import ROOT, load, measured_manage

REPORTS = ("characteristics", "cr", "opd")


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _command(report: str) -> tuple[float, float, float]:
    """Wall and CPU seconds and peak MiB of `manage.py report` in a new process."""
    return measured_manage(os.environ["DATABASE_URL"], "report", report, "--output", os.devnull)


def _floor(patients) -> float:
    """Seconds to fetch the rows a report reads, with a cursor: no objects, no frames."""
    from django.db import connection

    from analytics.cohorts import LIVE_COLUMNS
    from registry.derived import EPISODE_FIELDS, LINE_FIELDS, PATIENT_FIELDS, PROGRESSION_FIELDS
    from registry.models import CrEpisodeSummary, LineSummary, ProgressionSummary

    selected = patients.values("pk")
    querysets = [
        patients.values_list(
            *LIVE_COLUMNS.values(),
            "birth_date",
            *(f"summary__{f}" for f in PATIENT_FIELDS.values()),
        ),
        CrEpisodeSummary.objects.filter(patient__in=selected).values_list(
            "patient__registry_id", "patient__centre__code", *EPISODE_FIELDS
        ),
        LineSummary.objects.filter(patient__in=selected).values_list(
            "patient__registry_id", "patient__centre__code", *LINE_FIELDS
        ),
        ProgressionSummary.objects.filter(patient__in=selected).values_list(
            "patient__registry_id", "patient__centre__code", *PROGRESSION_FIELDS
        ),
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for queryset in querysets:
            sql, params = queryset.query.sql_with_params()
            cursor.execute(sql, params)
            cursor.fetchall()
    return time.perf_counter() - started


def run(n_patients: int) -> dict:
    """Time every report on the filled database; returns the figures it prints."""
    _setup()
    from analytics.catalogue import REPORTS as SPECS
    from analytics.cohorts import build_cohort
    from analytics.computed import report_result
    from analytics.filters import CohortFilter
    from analytics.models import ReportResult
    from registry.models import Patient

    present = Patient.objects.count()
    print(f"{present} patients in the database (asked for {n_patients}); {load()}")
    figures: dict = {"patients": present}
    for report in REPORTS:
        ReportResult.objects.all().delete()
        figures[report] = {"fresh": _command(report), "stored": _command(report)}
    largest = max(max(f["fresh"][2], f["stored"][2]) for f in (figures[r] for r in REPORTS))
    everyone = Patient.objects.all()
    floor = _floor(everyone.active())
    started, cpu = time.perf_counter(), time.process_time()
    cohort = build_cohort(everyone, CohortFilter())
    cohort_seconds, cohort_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"raw-fetch floor {floor:.2f} s; cohort from the derived tables {cohort_seconds:.2f} s "
        f"({cohort_cpu:.2f} CPU-s)"
    )
    figures.update(floor=floor, cohort=cohort_seconds, peak_rss_mib=largest)
    for report in REPORTS:
        started, cpu = time.perf_counter(), time.process_time()
        report_result(SPECS[report], cohort, by_centre=False)
        in_process = time.perf_counter() - started + cohort_seconds
        in_process_cpu = time.process_time() - cpu + cohort_cpu
        fresh, stored = figures[report]["fresh"], figures[report]["stored"]
        figures[report]["in_process"] = in_process
        print(
            f"{report:>15}: in-process {in_process:.2f} s, {in_process_cpu:.2f} CPU-s "
            f"({in_process / floor:.1f}x floor); command computed {fresh[0]:.2f} s wall, "
            f"{fresh[1]:.2f} CPU-s; from the stored result {stored[0]:.2f} s wall, "
            f"{stored[1]:.2f} CPU-s"
        )
    print(f"largest report command's peak RSS {largest:.0f} MiB")
    return figures


def clone_to(n_patients: int, batch_copies: int = 10) -> None:
    """Copy the database's patients, with the rows reports read, until there are n."""
    _setup()
    from django.db import transaction

    from registry.models import (
        CrEpisodeSummary,
        FollowUp,
        LineSummary,
        MetastaticSite,
        Patient,
        PatientSummary,
        ProgressionSummary,
        Radiotherapy,
        Surgery,
    )

    def fields(model) -> list[str]:
        return [f.attname for f in model._meta.concrete_fields if f.attname != "id"]

    def grouped(model) -> dict[int, list[dict]]:
        rows: dict[int, list[dict]] = {}
        for row in model.objects.filter(patient__in=originals).values(*fields(model)):
            rows.setdefault(row["patient_id"], []).append(row)
        return rows

    # The originals are copied, never the copies (registry IDs "B<copy>-<original's>").
    originals = Patient.objects.exclude(registry_id__startswith="B")
    templates = list(originals.order_by("pk").values("id", *fields(Patient)))
    tables = [
        (model, grouped(model))
        for model in (
            PatientSummary,
            MetastaticSite,
            Surgery,
            Radiotherapy,
            FollowUp,
            CrEpisodeSummary,
            LineSummary,
            ProgressionSummary,
        )
    ]
    last = Patient.objects.filter(registry_id__startswith="B").order_by("-registry_id").first()
    copy = int(last.registry_id[1:6]) if last else 0
    while (remaining := n_patients - Patient.objects.count()) > 0:
        made = []  # (the original's pk, its copy)
        for _ in range(batch_copies):
            copy += 1
            for template in templates:
                values = {k: v for k, v in template.items() if k != "id"}
                values["registry_id"] = f"B{copy:05d}-{template['registry_id'][-6:]}"
                values["record_number"] = f"{template['record_number'][:20]}-{copy}"
                made.append((template["id"], Patient(**values)))
        made = made[:remaining]
        with transaction.atomic():
            Patient.objects.bulk_create([p for _, p in made], batch_size=2000)
            for model, rows in tables:
                model.objects.bulk_create(
                    [
                        model(**{**row, "patient_id": copied.pk})
                        for original, copied in made
                        for row in rows.get(original, [])
                    ],
                    batch_size=2000,
                )
        print(f"{Patient.objects.count()} patients", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clone-to", type=int, help="First copy patients until there are N.")
    arguments = parser.parse_args()
    if arguments.clone_to:
        clone_to(arguments.clone_to)
    _setup()
    from registry.models import Patient

    run(arguments.clone_to or Patient.objects.count())
