#!/usr/bin/env python3
"""Fill a registry database with N synthetic patients in bulk, left as the services leave it.

    .venv/bin/python bench/generate.py --patients 10000 [--database bench_gen_10000]
    .venv/bin/python bench/generate.py --patients 1000 --sqlite /tmp/bench.sqlite3

Creates (or reuses) the scratch database, migrates it and fills it: PostgreSQL (the server
of DATABASE_URL, or 127.0.0.1:5432 as user postgres) unless --sqlite names a file. The
courses are `registry.demo_cohort`'s plans, so every record passes every clinical rule;
centres, users and roles are `seed_demo`'s, and so is the writer
(`demo_cohort.write_courses`): per batch of patients, each table in one COPY (PostgreSQL)
or bulk insert (SQLite) with one "created" audit row per record (the demo administrator
its author, the reason naming this generator), then the batch's derived rows and findings
refreshed by the services, as after any write.
"""

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BULK_REASON = "Synthetic benchmark cohort (bench/generate.py)"
PATIENTS_PER_BATCH = 2000


def generate(
    *, patients: int, seed: int = 2017, first_number: int = 1, board_meetings=True, out=print
) -> dict:
    """Add `patients` synthetic cases numbered from `first_number` (registry ID MBC-nnnnnn,
    record number <centre>-nnnnnnn, so two runs with disjoint numbers never collide).

    `board_meetings` adds the demo's meetings per centre (a fixed few seconds, whatever N).
    Returns the seconds spent per phase and the rows written per table.
    """
    from django.db import connection, transaction

    from registry import demo_cohort, services

    # Synthetic data, reproducible by design: not a security use of randomness.
    rng = random.Random(seed)  # nosec B311
    timings: dict[str, float] = {}
    started = time.monotonic()
    admin, centres = _centres_and_users()
    weights = [(code, weight) for code, _, weight in demo_cohort.CENTRES]
    by_centre: dict[str, list] = defaultdict(list)
    rows: dict[str, int] = defaultdict(int)
    for batch_start in range(first_number, first_number + patients, PATIENTS_PER_BATCH):
        batch_end = min(batch_start + PATIENTS_PER_BATCH, first_number + patients)
        courses = []
        for number in range(batch_start, batch_end):
            code = demo_cohort._pick(rng, weights)
            role = rng.random()
            plan = demo_cohort.plan_course(
                rng, reaches_cr=role < 0.18, oligoprogression=0.18 <= role < 0.33
            )
            patient = demo_cohort.course_patient(
                plan,
                centre=centres[code],
                registry_id=f"{services.REGISTRY_ID_PREFIX}{number:0{services.REGISTRY_ID_DIGITS}d}",
                rng=rng,
                record_number=f"{code}-{number:07d}",
            )
            if len(by_centre[code]) < 200:
                by_centre[code].append(patient)
            courses.append((patient, list(demo_cohort.course_records(plan, patient, rng))))
        with transaction.atomic():
            written = demo_cohort.write_courses(courses, user=admin, reason=BULK_REASON)
        for table, count in written.items():
            rows[table] += count
        out(f"  {batch_end - first_number}/{patients} patients written")
    timings["bulk_write"] = time.monotonic() - started

    started = time.monotonic()
    for code, sample in by_centre.items() if board_meetings else ():
        with transaction.atomic():
            demo_cohort.create_board_meetings(
                rng, user=admin, centre=centres[code], patients=sample
            )
    timings["board_meetings"] = time.monotonic() - started

    started = time.monotonic()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have by now
    timings["analyze"] = time.monotonic() - started
    return {"seconds": timings, "rows": dict(rows)}


def _centres_and_users():
    """The demo network's centres and users, created once, as seed_demo creates them."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from registry import demo_cohort
    from registry.models import Centre
    from registry.roles import sync_roles

    sync_roles()
    with transaction.atomic():
        centres = {
            code: Centre.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name, _ in demo_cohort.CENTRES
        }
        admin = get_user_model().objects.filter(username="admin").first()
        if admin is None:
            admin = demo_cohort.create_users(centres)
    return admin, centres


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--first-number", type=int, default=1)
    parser.add_argument("--database", help="PostgreSQL database (created if missing)")
    parser.add_argument("--sqlite", help="a SQLite file instead of PostgreSQL")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from scratch import create_database, postgres_server

    if options.sqlite:
        url = f"sqlite:///{Path(options.sqlite).resolve()}"
    else:
        name = options.database or f"bench_gen_{options.patients}"
        url = f"{postgres_server()}/{name}"
        create_database(name, exist_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--no-input", verbosity=0)
    started = time.monotonic()
    result = generate(
        patients=options.patients, seed=options.seed, first_number=options.first_number
    )
    total = time.monotonic() - started
    rows = sum(
        n for table, n in result["rows"].items() if not table.startswith("registry_historical")
    )
    print(
        f"{url}: {options.patients} patients, {rows} rows (+ as many audit rows) in {total:.1f} s"
    )
    print("  " + ", ".join(f"{phase} {s:.1f} s" for phase, s in result["seconds"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
