#!/usr/bin/env python3
"""How long the data-quality rule run takes: N synthetic patients, then `rules_run`.

    .venv/bin/python bench/rules_bench.py [--patients 10000] [--sqlite]

Fills a scratch database (PostgreSQL `rules_bench` on DATABASE_URL's server or
127.0.0.1:5432 as user postgres, created and dropped; or with --sqlite a scratch file)
with N patients of about ten records each, written with bulk inserts (the rules read the
tables, not the history), then runs every rule over the registry twice: the first run
stores every finding with its audit row, the second only compares (the steady state of
a nightly run). Prints wall and CPU seconds, patients per second, SQL statements per
batch of patients and the machine's load average, so figures taken under load can be
compared.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta

from scratch import ROOT, create_database, drop_database

SCRATCH = "rules_bench"


def scratch_url(sqlite: bool) -> str:
    if sqlite:
        return f"sqlite:///{tempfile.mkdtemp()}/{SCRATCH}.sqlite3"
    return create_database(SCRATCH)


def fill(n: int) -> None:
    """N patients with receptors, two lines, responses, a progression, a surgery, a contact;
    a share of them with each gap the rules look for."""
    from registry import models as m

    rng = random.Random(18)
    centres = [m.Centre.objects.create(code=f"C{i}", name=f"Centre {i}") for i in range(4)]
    patients = m.Patient.objects.bulk_create(
        m.Patient(
            registry_id=f"MBC-{i:06d}",
            centre=centres[i % 4],
            record_number=f"R{i:07d}",
            family_name=f"Family{i}",
            given_name="Anna",
            sex="F",
            birth_date=date(1950, 1, 1) + timedelta(days=rng.randrange(10000)),
            primary_diagnosis_date=date(2018, 1, 1) - timedelta(days=rng.choice((0, 30, 150))),
            mbc_diagnosis_date=date(2018, 1, 1),
            presentation="de_novo",
            histology="ductal",
        )
        for i in range(n)
    )
    rows: dict[type, list] = {}
    for patient in patients:
        rows.setdefault(m.ReceptorAssessment, []).append(
            m.ReceptorAssessment(
                patient=patient,
                assessed_on=date(2018, 1, 1),
                specimen="primary",
                er_percent=90,
                pr_percent=20,
                her2_ihc=rng.choice(("0", "1+", "2+", "3+")),
                her2_ish="",
            )
        )
        rows.setdefault(m.TreatmentLine, []).extend(
            m.TreatmentLine(
                patient=patient,
                number=k + 1,
                regimen="endocrine_cdk46",
                agents="letrozole",
                start_date=date(2018, 2, 1) + timedelta(days=400 * k),
                end_date=date(2019, 2, 1) if k == 0 else None,
                end_reason="progression" if k == 0 else "",
            )
            for k in range(2)
        )
        rows.setdefault(m.ProgressionEvent, []).append(
            m.ProgressionEvent(
                patient=patient,
                occurred_on=date(2019, 2, 1),
                kind="locoregional",
                locoregional_site="breast",
                other_sites_kept_best_response=rng.choice((True, None)),
            )
        )
        rows.setdefault(m.Surgery, []).append(
            m.Surgery(
                patient=patient,
                operated_on=date(2019, 3, 1),
                mastectomy=True,
                intent="locoregional_control",
                systemic_line_continued=rng.choice((True, None)),
            )
        )
        rows.setdefault(m.FollowUp, []).append(
            m.FollowUp(
                patient=patient,
                contact_date=date(2024, 1, 1) + timedelta(days=rng.randrange(700)),
                vital_status="alive",
                disease_status="with_disease",
            )
        )
    for model in (m.ReceptorAssessment, m.TreatmentLine, m.ProgressionEvent, m.Surgery, m.FollowUp):
        model.objects.bulk_create(rows[model], batch_size=2000)
    lines = m.TreatmentLine.objects.filter(number=1).values_list("pk", "patient_id")
    m.ResponseAssessment.objects.bulk_create(
        (
            m.ResponseAssessment(
                patient_id=patient_id, line_id=pk, assessed_on=date(2018, 6, 1), category="PR"
            )
            for pk, patient_id in lines
        ),
        batch_size=2000,
    )
    m.PatientSummary.objects.bulk_create(
        (m.PatientSummary(patient_id=p.pk) for p in patients), batch_size=2000
    )


def timed_run(label: str, n: int) -> None:
    from django.db import connection, reset_queries

    from registry import finding_services

    reset_queries()
    wall, cpu = time.perf_counter(), time.process_time()
    totals = finding_services.rules_run(today=date(2026, 1, 1))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batches = -(-n // finding_services.BATCH_SIZE)
    statements = len(connection.queries)
    print(
        f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, {n / wall:,.0f} patients/s; "
        f"{statements / batches:.0f} SQL statements per batch of "
        f"{finding_services.BATCH_SIZE}; {totals['new']} new, {totals['fixed']} fixed"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    url = scratch_url(args.sqlite)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.DEBUG = True  # count the statements
    call_command("migrate", verbosity=0)
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    fill(args.patients)
    print(f"filled {args.patients:,} patients in {time.perf_counter() - started:.1f} s")
    timed_run("first run (stores every finding)", args.patients)
    timed_run("second run (compares only)", args.patients)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.sqlite:
        from django.db import connections

        connections.close_all()
        drop_database(SCRATCH)


if __name__ == "__main__":
    main()
