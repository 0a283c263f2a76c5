"""Scratch databases and manage.py runs for the benchmarks (names start with bench_)."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg

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


def manage(url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """manage.py in a child process on the database `url`; fails loudly with its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
