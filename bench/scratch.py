"""What every benchmark shares: scratch databases, manage.py runs, a served registry.

Scratch PostgreSQL databases live on DATABASE_URL's server if it is PostgreSQL, else on
127.0.0.1:5432 as user postgres; with `sqlite=True` a scratch file instead. The server is
gunicorn with config/gunicorn.py and production settings (DEBUG off), on a free port of
127.0.0.1, ready when the context is entered.
"""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def postgres_server() -> str:
    """DATABASE_URL's server if it is PostgreSQL, else the local one."""
    server = os.environ.get("DATABASE_URL", "").rpartition("/")[0]
    return server if server.startswith("postgres") else DEFAULT_SERVER


def create_database(name: str, *, exist_ok: bool = False) -> str:
    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not exist_ok:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if not exists or not exist_ok:
            conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server()}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def scratch_database(name: str, *, sqlite: bool = False, keep: bool = False, reuse=False):
    """The URL of an empty database `name` (or of the one there, if `reuse`), dropped on
    leaving (unless `keep`)."""
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{name}.sqlite3"
        return
    url = create_database(name, exist_ok=reuse)
    try:
        yield url
    finally:
        if not keep:
            drop_database(name)


def manage(
    url: str, *args: str, env: dict | None = None, exit_on_error: bool = True
) -> subprocess.CompletedProcess:
    """manage.py in a child process on the database `url`; fails loudly with its output
    (unless told not to: the caller reads the failure)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode and exit_on_error:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def measured_manage(url: str, *args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak memory (MiB) of manage.py in a new process: a
    grandchild, so the peak is its own and not this process's (RUSAGE_CHILDREN)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURED_CHILD, sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    code, wall, cpu, rss_kb = result.stdout.split()
    if code != "0":
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr.strip()[-2000:]}")
    return float(wall), float(cpu), int(rss_kb) / 1024


MEASURED_CHILD = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(done.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
sys.stderr.write(done.stderr.decode()[-2000:])
"""


def cpu_seconds() -> float:
    """This process's CPU seconds (user and system): what a figure costs on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(secret_label: str) -> dict:
    """Production settings (DEBUG off) for a server on loopback."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": f"{secret_label}-only-{os.urandom(32).hex()}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }


@contextmanager
def gunicorn(url: str, *, env: dict, ready_path: str = "/login/", headers=None):
    """The registry served on a free port of 127.0.0.1: yields its base URL once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env={**os.environ, **env, "DATABASE_URL": url, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + ready_path, headers=headers, timeout=5)
                break
            except requests.RequestException:  # not listening, or workers still starting
                if server.poll() is not None:
                    sys.exit(f"gunicorn exited with status {server.returncode}")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
