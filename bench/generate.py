#!/usr/bin/env python3
"""Fill a registry database with N synthetic patients in bulk, left as the services leave it.

    .venv/bin/python bench/generate.py --patients 10000 [--database bench_gen_10000]
    .venv/bin/python bench/generate.py --patients 1000 --sqlite /tmp/bench.sqlite3

Creates (or reuses) the scratch database, migrates it and fills it: PostgreSQL (the server
of DATABASE_URL, or 127.0.0.1:5432 as user postgres) unless --sqlite names a file. The
courses are `registry.demo_cohort`'s plans, so every record passes every clinical rule;
centres, users and roles are `seed_demo`'s. What differs from writing through the services
is only the speed: each table is written with one COPY (PostgreSQL) or executemany (SQLite)
per batch of patients, each record gets its one "created" audit row with the demo
administrator as its author and a reason naming this generator, and the patient summaries
are rebuilt at the end by `services.patient_summaries_refresh_all()`.
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
    writer = _BulkWriter(connection, user=admin)
    weights = [(code, weight) for code, _, weight in demo_cohort.CENTRES]
    by_centre: dict[str, list] = defaultdict(list)
    for batch_start in range(first_number, first_number + patients, PATIENTS_PER_BATCH):
        batch_end = min(batch_start + PATIENTS_PER_BATCH, first_number + patients)
        records: dict[type, list] = defaultdict(list)
        people = []
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
            people.append(patient)
            if len(by_centre[code]) < 200:
                by_centre[code].append(patient)
            for record in demo_cohort.course_records(plan, patient, rng):
                records[type(record)].append(record)
        with transaction.atomic():
            writer.write(type(people[0]), people)
            for model in _in_dependency_order(records):
                writer.write(model, records[model])
        out(f"  {batch_end - first_number}/{patients} patients written")
    writer.reset_sequences()
    timings["bulk_write"] = time.monotonic() - started

    started = time.monotonic()
    for code, sample in by_centre.items() if board_meetings else ():
        with transaction.atomic():
            demo_cohort.create_board_meetings(
                rng, user=admin, centre=centres[code], patients=sample
            )
    timings["board_meetings"] = time.monotonic() - started

    started = time.monotonic()
    services.patient_summaries_refresh_all()
    timings["summaries"] = time.monotonic() - started

    started = time.monotonic()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have by now
    timings["analyze"] = time.monotonic() - started
    return {"seconds": timings, "rows": dict(writer.rows)}


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


def _in_dependency_order(records: dict[type, list]) -> list[type]:
    """Treatment lines before the responses that point at them."""
    from registry.models import ResponseAssessment

    return sorted(records, key=lambda model: model is ResponseAssessment)


class _BulkWriter:
    """Writes model instances and their "created" audit rows, table by table.

    Primary keys are handed out here (from the table's current maximum) so that the
    records of a batch can point at the patients and lines of the same batch before any
    of them is written; the sequences are moved past them at the end.
    """

    def __init__(self, connection, *, user):
        from django.utils import timezone

        self.connection = connection
        self.user = user
        self.now = timezone.now()
        self.next_id: dict[type, int] = {}
        self.rows: dict[str, int] = defaultdict(int)
        self.models: list[type] = []

    def _ids(self, model, count: int) -> range:
        from django.db.models import Max

        if model not in self.next_id:
            self.models.append(model)
            top = model._default_manager.aggregate(top=Max(model._meta.pk.attname))["top"]
            self.next_id[model] = (top or 0) + 1
        first = self.next_id[model]
        self.next_id[model] += count
        return range(first, first + count)

    def write(self, model, objects: list) -> None:
        fields = model._meta.concrete_fields
        stamped = [f.attname for f in fields if getattr(f, "auto_now", False)] + [
            f.attname for f in fields if getattr(f, "auto_now_add", False)
        ]
        for obj, pk in zip(objects, self._ids(model, len(objects)), strict=True):
            obj.pk = pk
            for name in stamped:
                setattr(obj, name, self.now)
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        self._insert(model, fields, ([getattr(o, f.attname) for f in fields] for o in objects))
        for obj in objects:
            obj._state.adding = False
            obj._state.db = self.connection.alias
        self._write_history(model, objects)

    def _write_history(self, model, objects: list) -> None:
        history = model.history.model
        fields = history._meta.concrete_fields
        tracked = {f.attname for f in model._meta.concrete_fields}
        given = {
            "history_date": self.now,
            "history_change_reason": BULK_REASON,
            "history_type": "+",
            "history_user_id": self.user.pk,
            "history_api_token_id": None,
        }
        ids = iter(self._ids(history, len(objects)))
        rows = (
            [
                next(ids)
                if f.attname == "history_id"
                else (getattr(o, f.attname) if f.attname in tracked else given[f.attname])
                for f in fields
            ]
            for o in objects
        )
        self._insert(history, fields, rows)

    def _insert(self, model, fields, rows) -> None:
        table = model._meta.db_table
        prepare = [f.get_db_prep_save for f in fields]
        columns = ", ".join(self.connection.ops.quote_name(f.column) for f in fields)
        count = 0
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                prepared = [
                    [p(v, self.connection) for p, v in zip(prepare, row, strict=True)]
                    for row in rows
                ]
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)
                count = len(prepared)
        self.rows[table] += count

    def reset_sequences(self) -> None:
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(statement)


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
