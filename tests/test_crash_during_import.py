"""Kill the importing process half-way: the database holds none of the file (all or nothing).

Both the command and a background-job worker (database queue and RQ) are killed; the job
then shows as failed with the reason.

The import runs in a real subprocess against a scratch database of the same kind as the
test run (a SQLite file, or a new PostgreSQL database), and is killed with SIGKILL after it
reports its first progress line.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def scratch_database(tmp_path, template: str | None = None) -> tuple[str, callable]:
    """A new database of the test run's kind (and its dropper): empty, or a copy of the
    scratch database at the URL `template`."""
    if connection.vendor == "sqlite":
        path = tmp_path / "scratch.sqlite3"
        if template:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}", lambda: None
    import psycopg

    settings = connection.settings_dict
    name = f"crash_{uuid.uuid4().hex[:10]}"
    admin = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/postgres"
    copied = f" TEMPLATE {template.rsplit('/', 1)[1]}" if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}{copied}")

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


# The bulk importer takes a 25-case file in a blink: the file holds the demo's cases many
# times over, under new registry IDs, so that there is a middle to be killed in.
COPIES = 40
CASES = 25 * COPIES


def new_cases(document: dict) -> dict:
    cases = []
    for copy in range(COPIES):
        for case in copy_of(document["cases"]):
            case["registry_id"] = case["registry_id"].replace("MBC-", f"N{copy}-")
            case["record_number"] = f"N{copy}-{case['record_number']}"
            cases.append(case)
    return {**document, "cases": cases}


def copy_of(cases: list[dict]) -> list[dict]:
    return json.loads(json.dumps(cases))


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    """A migrated scratch database holding the 25-patient demo, and the file to import (the
    demo's cases 40 times over): made once, each test kills an import in its own copy."""
    folder = tmp_path_factory.mktemp("demo")
    url, drop = scratch_database(folder)
    try:
        manage(url, "migrate", "--no-input")
        manage(url, "seed_demo", "--patients", "25", "--seed", "3")
        export = folder / "cases.json"
        manage(url, "export_cases", "--output", str(export))
        export.write_text(json.dumps(new_cases(json.loads(export.read_text()))))
        yield url, export
    finally:
        drop()


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
def test_a_killed_import_leaves_nothing_behind(tmp_path, demo_database):
    demo, export = demo_database
    url, drop = scratch_database(tmp_path, template=demo)
    try:
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

        assert f"checked 10/{CASES}" in first_progress  # it was killed in the middle of the file
        assert process.returncode == -signal.SIGKILL
        assert count_patients(url) == before == 25
    finally:
        drop()


def redis_url_or_skip() -> str:
    """The Redis the RQ tests use; CI has one, so there a missing Redis fails, never skips."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"Redis is unreachable at {url}: CI runs the RQ tests, it cannot skip them."
            )
        pytest.skip(f"no Redis at {url}")
    return url


def worker_environment(url: str, backend: str, tmp_path) -> tuple[dict, object]:
    """A worker's environment on the scratch database, and the progress cache it writes to."""
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.redis import RedisCache

    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "TASKS_BACKEND": backend}
    if backend == "rq":
        env["REDIS_URL"] = redis_url_or_skip()
        env["TASKS_QUEUE"] = f"crash-{uuid.uuid4().hex[:10]}"  # this test's own queue
        return env, RedisCache(env["REDIS_URL"], {})
    env["JOBS_PROGRESS_DIR"] = str(tmp_path / "progress")
    return env, FileBasedCache(env["JOBS_PROGRESS_DIR"], {})


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def shell(env: dict, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["database", "rq"])
def test_a_job_worker_killed_mid_import_leaves_nothing_and_the_job_says_why(
    tmp_path, demo_database, backend
):
    demo, export = demo_database
    url, drop = scratch_database(tmp_path, template=demo)
    try:
        env, progress_cache = worker_environment(url, backend, tmp_path)
        before = count_patients(url)
        job_id = shell(
            env,
            "from django.contrib.auth.models import User; from registry import jobs; "
            f"print(jobs.start_import(user=User.objects.get(username='admin'), name='cases.json',"
            f" content=open({str(export)!r}, 'rb').read(), dry_run=False).pk)",
        )

        worker = subprocess.Popen(
            [sys.executable, "manage.py", "jobs_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: RQ runs the job in a child
        )
        try:
            deadline = time.monotonic() + 120
            live = None
            while time.monotonic() < deadline and worker.poll() is None:
                live = progress_cache.get(f"job-progress:{job_id}")
                if live and live["total"] and 0 < live["done"] < live["total"]:
                    break  # half-way through the file
                time.sleep(0.05)
        finally:
            if live:  # the process running the job: RQ's work horse is not in the group
                os.kill(live["pid"], signal.SIGKILL)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            while live and time.monotonic() < deadline and pid_alive(live["pid"]):
                time.sleep(0.05)

        assert live and 0 < live["done"] < live["total"] == CASES, live
        assert count_patients(url) == before == 25
        seen = shell(
            env,
            "import time; from django.conf import settings; from registry import jobs; "
            "from registry.models import Job; "
            "jobs.fail_stale(now=time.time() + settings.JOBS_STALE_AFTER_SECONDS + 1); "
            f"job = Job.objects.get(pk={job_id!r}); print(job.state, '|', job.failure_reason)",
        )
        state, reason = (seen + " ").split(" | ", 1)
        assert state == "failed", seen
        assert reason.startswith("The worker running this job stopped")
        assert "Nothing was changed" in reason
    finally:
        drop()
