"""Kill the importing process half-way: the database holds none of the file (all or nothing).

The import runs in a real subprocess against a scratch database of the same kind as the
test run (a SQLite file, or a new PostgreSQL database), and is killed with SIGKILL after it
reports its first progress line.
"""

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def scratch_database(tmp_path) -> tuple[str, callable]:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'scratch.sqlite3'}", lambda: None
    import psycopg

    settings = connection.settings_dict
    name = f"crash_{uuid.uuid4().hex[:10]}"
    admin = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def manage(url: str, *args: str, **kwargs):
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        **kwargs,
    )


def count_patients(url: str) -> int:
    result = manage(
        url, "shell", "-c", "from registry.models import Patient; print(Patient.objects.count())"
    )
    return int(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_a_killed_import_leaves_nothing_behind(tmp_path):
    url, drop = scratch_database(tmp_path)
    try:
        manage(url, "migrate", "--no-input")
        manage(url, "seed_demo", "--patients", "25", "--seed", "3")
        export = tmp_path / "cases.json"
        manage(url, "export_cases", "--output", str(export))
        document = json.loads(export.read_text())
        for case in document["cases"]:  # the same cases under new registry IDs
            case["registry_id"] = case["registry_id"].replace("MBC-", "NEW-")
            case["record_number"] = "N" + case["record_number"]
        export.write_text(json.dumps(document))
        before = count_patients(url)

        env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "manage.py", "import_cases", str(export), "--user", "admin"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        first_progress = process.stderr.readline()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

        assert "checked 10/25" in first_progress  # it was killed in the middle of the file
        assert process.returncode == -signal.SIGKILL
        assert count_patients(url) == before == 25
    finally:
        drop()
