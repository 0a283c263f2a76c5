#!/usr/bin/env python3
"""Set up and run the registry from a fresh clone with nothing but Python 3.11+.

    python3 dev.py demo   # virtualenv, dependencies, database, demo data, server on :8000
    python3 dev.py test   # virtualenv, dependencies, lint, security lint, checks, all tests

Set DATABASE_URL=postgres://... to use PostgreSQL instead of the SQLite default.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
REQUIREMENTS = ROOT / "requirements-dev.txt"
STAMP = VENV / ".requirements.sha256"


def run(*args: str | Path, **kwargs) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def ensure_environment() -> None:
    """Create .venv and install the pinned dependencies when they changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(ROOT.glob("requirements*.txt")))
    ).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS)
        STAMP.write_text(wanted)


def manage(*args: str) -> None:
    run(PYTHON, "manage.py", *args)


def demo() -> None:
    manage("migrate", "--no-input")
    manage("sync_roles")
    has_patients = (
        subprocess.run(
            [
                str(PYTHON),
                "manage.py",
                "shell",
                "-c",
                "from registry.models import Patient; print(Patient.objects.exists())",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        == "True"
    )
    if has_patients:
        print("The database already holds patients: keeping them (seed_demo --reset to renew).")
    else:
        manage("seed_demo")
    print("\nOpen http://127.0.0.1:8000/ and log in with a demo user printed above.\n")
    manage("runserver", "127.0.0.1:8000")


def test(pytest_args: list[str]) -> None:
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")
    run(
        PYTHON,
        "-m",
        "bandit",
        "--quiet",
        "--recursive",
        "registry",
        "analytics",
        "config",
        "--exclude",
        "registry/migrations",
    )
    manage("check")
    manage("makemigrations", "--check", "--dry-run")
    run(PYTHON, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", *pytest_args)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command not in ("demo", "test"):
        sys.exit(__doc__)
    ensure_environment()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    try:
        demo() if command == "demo" else test(rest)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
