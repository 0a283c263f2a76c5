#!/usr/bin/env python3
"""The registry at national scale: generate N patients, then time imports, reports and pages.

    python3 dev.py bench [--sizes 1000,10000] [--import-patients 1000] [--seconds 20]

For each size N (default 1,000, 10,000 and 100,000 patients) on a scratch PostgreSQL
database `bench_<N>` (DATABASE_URL's server, or 127.0.0.1:5432 as user postgres; dropped
at the end unless --keep), it prints:

- generation: how long bench/generate.py took to write N patients;
- reports: for `characteristics`, `cr` and `opd`, the wall time and peak memory (RSS) of
  `manage.py report NAME` in a child process (a cold start: Python, Django, pandas and
  lifelines imported first), beside the raw-fetch floor (every clinical row fetched with
  one values_list per table) and the ratio of the two; then each report's page computed
  afresh in its request by a running server, as an analyst meets it (three requests, one
  at a time, stored results forgotten before each: the median and the slowest);
- pages and API under load: p50/p95 at --clients concurrent clients (one logged-in session
  each, a warm-up round first) of the patient list (filtered, and a deep page), the case
  page, the API patient list (filtered, and a deep page), a report page (its second
  request onwards) and the home page with its counts, served by gunicorn with
  config/gunicorn.py, DEBUG off;
- import: patients/s, records/s and CPU seconds of the importer (dry run, then real;
  `bench/import_bench.py`'s measure, each in its own process) of a file of
  --import-patients new cases: exported with `export_cases` from a generated registry
  numbered from MBC-900001, so its registry IDs and record numbers are new here;
- at the end, the ratio of every figure between the two largest sizes.

`--keep --reuse` keeps the databases and, on the next run, takes a `bench_<N>` that still
holds exactly N patients instead of generating it again (the real import adds patients,
so a database it ran on is generated again).

Nothing is asserted: these are figures to compare (note the machine's load beside them).
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import import_bench
import requests
from scratch import (
    ROOT,
    gunicorn,
    load,
    manage,
    measured_manage,
    postgres_server,
    production_env,
    scratch_database,
)

REPORTS = ("characteristics", "cr", "opd")
IMPORT_FIRST_NUMBER = 900_001
USER = "auditor"  # every centre, identifying data and reports: every page measured
# Every clinical column of every row, one values_list per table: the floor of a report that
# derives from the rows (the audit bookkeeping, version and timestamps, no report reads).
RAW_FETCH = """
import time
from registry.models import CLINICAL_RECORD_MODELS, Patient
BOOKKEEPING = {"version", "created_at", "updated_at", "archived_at", "archive_reason"}
started = time.perf_counter()
rows = 0
for model in (Patient, *CLINICAL_RECORD_MODELS):
    fields = [f.attname for f in model._meta.concrete_fields if f.name not in BOOKKEEPING]
    rows += len(model.objects.values_list(*fields))
print(time.perf_counter() - started, rows)
"""
READ_DEMO_SECRET = "from registry import demo_cohort; print(demo_cohort.DEMO_PASSWORD)"  # noqa: S105
COUNT_PATIENTS = "from registry.models import Patient; print(Patient.objects.count())"
# Every report is computed afresh after this (the stored results are a cache of them).
FORGET_RESULTS = "from analytics.models import ReportResult; ReportResult.objects.all().delete()"
FRESH_REQUESTS = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--import-patients", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="per page, under load")
    parser.add_argument("--skip", default="", help="comma-separated: import,reports,pages")
    parser.add_argument("--keep", action="store_true", help="keep the bench_<N> databases")
    parser.add_argument(
        "--reuse", action="store_true", help="take a kept bench_<N> of N patients as it is"
    )
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    skip = set(filter(None, options.skip.split(",")))
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, {load()}")
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        import_file = None
        if "import" not in skip:
            import_file = prepare_import_file(folder, options.import_patients, options.keep)
        env = {**production_env("bench"), "DJANGO_STATIC_ROOT": str(folder / "static")}
        manage("sqlite:///unused", "collectstatic", "--no-input", env=env)
        for size in sizes:
            print(f"\n== {size:,} patients ==", flush=True)
            name = f"bench_{size}"
            # A kept database is taken as it is only if it still holds N patients.
            reuse = options.reuse and patients_in(f"{postgres_server()}/{name}") == size
            with scratch_database(name, keep=options.keep, reuse=reuse) as url:
                results[size] = run_size(url, size, options, skip, import_file, env, reuse)
    print_ratios(results)
    return 0


def generate(url: str, size: int, *, first_number: int = 1) -> float:
    database = url.rpartition("/")[2]
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            *("--patients", str(size)),
            *("--first-number", str(first_number)),
            *("--database", database),
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def prepare_import_file(folder: Path, patients: int, keep: bool) -> Path:
    """A file of new cases, as a centre would send it: exported from a generated registry."""
    with scratch_database("bench_import_source", keep=keep) as url:
        generate(url, patients, first_number=IMPORT_FIRST_NUMBER)
        path = folder / "new_cases.json"
        manage(url, "export_cases", "--format", "json", "--output", str(path))
    return path


def run_size(url, size, options, skip, import_file, env, reuse: bool) -> dict:
    figures: dict[str, float] = {}
    if reuse:
        manage(url, "migrate", "--no-input")  # the code measured may have migrations more
        print(f"reused {url.rpartition('/')[2]}; {load()}", flush=True)
    else:
        seconds = generate(url, size)
        figures["generate s"] = seconds
        print(
            f"generated in {seconds:.1f} s ({size / seconds:,.0f} patients/s); {load()}",
            flush=True,
        )
    if "reports" not in skip:
        figures |= bench_reports(url)
    if "pages" not in skip:
        figures |= bench_pages(url, size, options, env)
    if import_file is not None:
        figures |= bench_import(url, import_file)
    return figures


def patients_in(url: str) -> int:
    try:
        return int(
            manage(url, "shell", "-v", "0", "-c", COUNT_PATIENTS, exit_on_error=False).stdout
        )
    except ValueError:  # not migrated yet: an empty database
        return 0


def bench_reports(url: str) -> dict:
    figures = {}
    output = manage(url, "shell", "-c", RAW_FETCH).stdout.split()
    floor, rows = float(output[-2]), int(output[-1])
    figures["raw fetch s"] = floor
    print(f"raw-fetch floor: {floor:.2f} s for {rows:,} rows ({load()})")
    for name in REPORTS:
        manage(url, "shell", "-c", FORGET_RESULTS)
        wall, cpu, rss = measured_manage(url, "report", name)
        figures[f"report {name} s"] = wall
        figures[f"report {name} MiB"] = rss
        print(
            f"report {name:<15} {wall:6.2f} s wall, {cpu:6.2f} CPU-s, peak {rss:6.0f} MiB, "
            f"{wall / floor:5.1f}x the raw fetch"
        )
    return figures


def bench_import(url: str, path: Path) -> dict:
    figures = import_bench.measure_file(url, path)
    print("\n".join(import_bench.report(figures)) + f" ({figures['load']})", flush=True)
    return {
        "dry run patients/s": figures["dry_run"]["patients_per_s"],
        "dry run CPU-s per 1,000 patients": 1000 / figures["dry_run"]["patients_per_cpu_s"],
        "import patients/s": figures["import"]["patients_per_s"],
        "import CPU-s per 1,000 patients": 1000 / figures["import"]["patients_per_cpu_s"],
    }


def logged_in(base: str, username: str, password: str) -> requests.Session:
    """A browser-like session. The server sits behind a TLS proxy in production, so each
    request says it came over HTTPS (the proxy's header) and the Secure cookies are sent
    back over the loopback's plain HTTP."""
    session = requests.Session()
    session.headers["X-Forwarded-Proto"] = "https"
    login = session.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    unsecure(session)
    answer = session.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"https://{base.removeprefix('http://')}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        sys.exit(f"Could not log in as {username}: {answer.status_code}")
    unsecure(session)
    return session


def unsecure(session: requests.Session) -> None:
    for cookie in session.cookies:
        cookie.secure = False


def page_paths(url: str, size: int) -> dict[str, list[str]]:
    """The paths measured, each a small set drawn at random (the same across runs)."""
    shell = (
        "from registry.models import Centre; "
        "print(' '.join(str(c.pk) for c in Centre.objects.order_by('code')))"
    )
    centres = manage(url, "shell", "-c", shell).stdout.splitlines()[-1].split()
    rng = random.Random(16)
    deep_list = max(1, size // 25 // 2)
    deep_api = max(1, size // 50 // 2)
    subtypes = ["HR%2B%2FHER2-", "triple-negative", "HR-%2FHER2%2B"]
    return {
        "patient list, filtered": [
            f"/patients/?centre={centre}&subtype={subtype}"
            for centre in centres
            for subtype in subtypes
        ],
        "patient list, deep page": [f"/patients/?page={deep_list + k}" for k in range(5)],
        "case page": [f"/patients/MBC-{rng.randrange(1, size + 1):06d}/" for _ in range(50)],
        "API patient list, filtered": [
            f"/api/patients/?centre={centre}&subtype={subtype}"
            for centre in centres
            for subtype in subtypes
        ],
        "API patient list, deep page": [f"/api/patients/?page={deep_api + k}" for k in range(5)],
        "report page (computed)": ["/reports/cr/"],
        "home page (counts)": ["/"],
    }


def bench_pages(url: str, size: int, options, env: dict) -> dict:
    figures = {}
    password = manage(url, "shell", "-c", READ_DEMO_SECRET).stdout.split()[-1]
    paths = page_paths(url, size)
    with gunicorn(url, env=env) as base:
        sessions = [logged_in(base, USER, password) for _ in range(options.clients)]
        figures |= fresh_report_pages(url, base, sessions[0])
        for label, choices in paths.items():
            for session, path in zip(sessions, choices * options.clients, strict=False):
                check(session.get(base + path, timeout=300), path)  # warm-up
            latencies, statuses = hammer(base, sessions, choices, options.seconds)
            values = sorted(latencies)
            p50 = statistics.median(values)
            p95 = values[max(0, round(len(values) * 0.95) - 1)]
            figures[f"{label} p50 ms"] = p50 * 1000
            figures[f"{label} p95 ms"] = p95 * 1000
            print(
                f"{label:<28} p50 {p50 * 1000:7.0f} ms, p95 {p95 * 1000:7.0f} ms "
                f"({len(values)} requests, {options.clients} clients, {dict(statuses)}; {load()})",
                flush=True,
            )
    return figures


def fresh_report_pages(url: str, base: str, session: requests.Session) -> dict:
    """Each report page computed in its request, one request at a time: end to end."""
    figures = {}
    for name in REPORTS:
        path = f"/reports/{name}/"
        check(session.get(base + "/", timeout=300), "/")  # a worker up and connected
        seconds = []
        for _ in range(FRESH_REQUESTS):
            manage(url, "shell", "-c", FORGET_RESULTS)
            started = time.perf_counter()
            check(session.get(base + path, timeout=300), path)
            seconds.append(time.perf_counter() - started)
        median = statistics.median(seconds)
        figures[f"report page fresh {name} s"] = median
        print(
            f"report page {name:<15} computed in the request: median {median:5.2f} s, "
            f"slowest {max(seconds):5.2f} s ({FRESH_REQUESTS} requests; {load()})",
            flush=True,
        )
    return figures


def check(response: requests.Response, path: str) -> None:
    """A 200 with no form error: a filter the page refused would measure another page."""
    if response.status_code != 200 or 'class="errorlist' in response.text:
        sys.exit(f"GET {path}: {response.status_code}\n{response.text[:500]}")


def hammer(base: str, sessions, choices: list[str], seconds: float):
    """Every session requests the paths in turn until the time is up."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def client(index: int, session: requests.Session):
        turn = index
        while time.monotonic() < stop:
            path = choices[turn % len(choices)]
            turn += 1
            started = time.perf_counter()
            response = session.get(base + path, timeout=300)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=client, args=item) for item in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def print_ratios(results: dict[int, dict]) -> None:
    if len(results) < 2:
        return
    small, large = sorted(results)[-2:]
    print(f"\n== {large:,} / {small:,} ==")
    for key, value in results[large].items():
        before = results[small].get(key)
        if before:
            print(f"{key:<40} {value / before:6.1f}x")


if __name__ == "__main__":
    sys.exit(main())
