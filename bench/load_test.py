#!/usr/bin/env python3
"""Loopback load test: concurrent API writers and readers, then an exactly-once audit check.

    .venv/bin/python bench/load_test.py [--seconds 60] [--writers 8] [--readers 4] [--sqlite]

Runs against a scratch PostgreSQL database it creates and drops (DATABASE_URL's server, or
127.0.0.1:5432 as user postgres), or with --sqlite a scratch SQLite file, with the registry
served as in production (gunicorn with config/gunicorn.py, DEBUG off) on a free port of
127.0.0.1. Bounded in time and in count (at most --max-writes patients). It prints the
throughput and latencies, then checks that every acknowledged write is in the database
exactly once, with exactly one "created" audit row and one "changed" row per acknowledged
update. Exit status 1 if any check fails.
"""

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests
from scratch import gunicorn, manage, production_env, scratch_database

SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from registry.services import api_token_issue
from registry.access import Role
from registry.models import Centre, CentreMembership
from registry.roles import sync_roles
sync_roles()
centre = Centre.objects.create(code="LOAD", name="Load test centre")
user = get_user_model().objects.create_user("loader", password="not-used-load-test")
user.groups.add(Group.objects.get(name=Role.DATA_MANAGER.value))
CentreMembership.objects.create(user=user, centre=centre)
issuer = get_user_model().objects.create_superuser("load-admin", password="not-used-load-test")
print(api_token_issue(user=issuer, for_user=user, purpose="Load test")[1])
"""

CHECK = """
import json
from collections import Counter
from registry.models import Patient
ack = json.load(open({path!r}))
numbers = Counter(Patient.objects.values_list("record_number", flat=True))
history = Patient.history.values_list("record_number", "history_type")
created = Counter(n for n, t in history if t == "+")
changed = Counter(n for n, t in history if t == "~")
print(json.dumps({{
    "acknowledged": len(ack["created"]),
    "missing": [n for n in ack["created"] if numbers[n] != 1],
    "unacknowledged_rows": sorted(set(numbers) - set(ack["created"]))[:20],
    "created_rows_wrong": [n for n in ack["created"] if created[n] != 1],
    "changed_rows_wrong": [n for n, k in ack["updated"].items() if changed[n] != k],
}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--max-writes", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--sqlite", action="store_true", help="a scratch SQLite file instead")
    options = parser.parse_args()

    name = f"load_{uuid.uuid4().hex[:8]}"
    with scratch_database(name, sqlite=options.sqlite) as url:
        return run(url, name, options)


def run(url: str, name: str, options) -> int:
    manage(url, "migrate", "--no-input")
    token = manage(url, "shell", "-c", SETUP).stdout.strip().splitlines()[-1]
    env = {
        **production_env("load-test"),
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, no TLS proxy
        **({"WEB_CONCURRENCY": str(options.workers)} if options.workers else {}),
    }
    headers = {"Authorization": f"Token {token}"}
    with gunicorn(url, env=env, ready_path="/api/patients/", headers=headers) as server:
        base = f"{server}/api"
        stop = time.monotonic() + options.seconds
        lock = threading.Lock()
        created: list[str] = []
        updated: Counter = Counter()
        statuses: Counter = Counter()
        latencies: dict[str, list[float]] = {"write": [], "read": []}

        def timed(kind, method, path, **kwargs):
            started = time.monotonic()
            response = requests.request(
                method,
                base + path,
                headers={**headers, **kwargs.pop("extra_headers", {})},
                timeout=30,
                **kwargs,
            )
            with lock:
                latencies[kind].append(time.monotonic() - started)
                statuses[f"{method} {response.status_code}"] += 1
            return response

        def writer(number: int):
            count = 0
            while time.monotonic() < stop and len(created) < options.max_writes:
                count += 1
                record_number = f"W{number}-{count}"
                response = timed(
                    "write",
                    "POST",
                    "/patients/",
                    json={
                        "centre": "LOAD",
                        "record_number": record_number,
                        "family_name": "Load",
                        "given_name": "Test",
                        "sex": "F",
                        "birth_date": "1960-01-01",
                        "primary_diagnosis_date": "2020-01-01",
                        "mbc_diagnosis_date": "2020-01-01",
                        "presentation": "de_novo",
                        "histology": "ductal",
                    },
                )
                if response.status_code != 201:
                    continue
                with lock:
                    created.append(record_number)
                if count % 3 == 0:
                    body = response.json()
                    patch = timed(
                        "write",
                        "PATCH",
                        f"/patients/{body['registry_id']}/",
                        json={"histology": "lobular"},
                        extra_headers={"If-Match": str(body["version"])},
                    )
                    if patch.status_code == 200:
                        with lock:
                            updated[record_number] += 1

        def reader():
            paths = ["/patients/", "/patients/?presentation=de_novo", "/records/lines/"]
            turn = 0
            while time.monotonic() < stop:
                turn += 1
                timed("read", "GET", paths[turn % len(paths)])

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(options.writers)]
        threads += [threading.Thread(target=reader) for _ in range(options.readers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started

        ack_path = Path(tempfile.gettempdir()) / f"{name}-ack.json"
        ack_path.write_text(json.dumps({"created": created, "updated": updated}))
        result = json.loads(
            manage(url, "shell", "-c", CHECK.format(path=str(ack_path)))
            .stdout.strip()
            .splitlines()[-1]
        )
        writes = len(latencies["write"])
        reads = len(latencies["read"])
        print(f"{elapsed:.0f} s, {options.writers} writers, {options.readers} readers")
        print(
            f"writes: {writes} ({writes / elapsed:.1f}/s), reads: {reads} ({reads / elapsed:.1f}/s)"
        )
        for kind in ("write", "read"):
            values = sorted(latencies[kind]) or [0]
            p95 = values[int(len(values) * 0.95) - 1] if len(values) > 1 else values[0]
            print(
                f"{kind} latency: median {statistics.median(values) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms"
            )
        print("statuses:", dict(statuses))
        print(f"acknowledged patients: {result['acknowledged']}, updates: {sum(updated.values())}")
        problems = {k: v for k, v in result.items() if k != "acknowledged" and v}
        print("exactly-once and audit check:", problems or "OK")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
