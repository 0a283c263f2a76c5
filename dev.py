#!/usr/bin/env python3
"""Set up and run the registry from a fresh clone with nothing but Python 3.11+.

    python3 dev.py demo   # virtualenv, dependencies, database, demo data, server on :8000
                          # and a background-job worker beside it
    python3 dev.py test   # virtualenv, dependencies, lint, security lint, checks, all tests
    python3 dev.py audit  # known vulnerabilities in every installed dependency (pip-audit)
    python3 dev.py browser  # the browser journeys and accessibility check in headless Chromium
    python3 dev.py bench  # national scale on PostgreSQL: generate 1k/10k/100k patients, time
                          # imports, reports, pages and API (`bench/run.py --help`; e.g.
                          # `bench --sizes 1000,10000`)

Set DATABASE_URL=postgres://... to use PostgreSQL instead of the SQLite default.
`audit --allow-unreachable` reports, rather than fails, when no vulnerability database
answers; `audit --osv-url URL` asks another OSV server.
"""

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
REQUIREMENTS = ROOT / "requirements-dev.txt"
STAMP = VENV / ".requirements.sha256"
# A release with many published advisories. An audit that finds none in it did not reach a
# vulnerability database (pip-audit then says "no known vulnerabilities" all the same).
AUDIT_CANARY = "Django==3.2"
# The browser tests drive Debian's chromium (a browser is never downloaded) and inject
# axe-core, installed from npm into a git-ignored folder.
CHROMIUM = Path("/usr/bin/chromium")
AXE_CORE = "axe-core@4.14.1"
BROWSER_TOOLS = ROOT / ".browser-tools"
PIP_AUDIT_OPTIONS = (
    *("--vulnerability-service", "osv"),
    *("--format", "json"),
    *("--desc", "off"),
    *("--progress-spinner", "off"),
)


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
    manage("seed_demo", "--if-empty")
    print("\nOpen http://127.0.0.1:8000/ and log in with a demo user printed above.\n")
    # Imports and exports run as background jobs: one worker beside the server, both stopped
    # together (TASKS_BACKEND=rq makes it an RQ worker on REDIS_URL).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    worker = start(PYTHON, "manage.py", "jobs_worker")
    server = start(PYTHON, "manage.py", "runserver", "127.0.0.1:8000")
    try:
        server.wait()
    finally:
        for process in (server, worker):
            stop(process)


def start(*args: str | Path) -> subprocess.Popen:
    """A child in its own process group, so that stopping it stops its own children too
    (runserver's autoreloader runs the server in a child)."""
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.Popen([str(a) for a in args], cwd=ROOT, start_new_session=os.name != "nt")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the child's group (its children may outlive it), SIGKILL after 30 s."""

    def send(kill: bool) -> None:
        if os.name == "nt":
            process.kill() if kill else process.terminate()
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group has ended
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)

    send(kill=False)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        send(kill=True)
        process.wait()


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


def browser(pytest_args: list[str]) -> None:
    """The browser tests (marker `browser`, left out of `test`), one process, live server."""
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it).")
    axe = BROWSER_TOOLS / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.exists():
        BROWSER_TOOLS.mkdir(exist_ok=True)
        run("npm", "install", "--silent", "--no-save", "--prefix", BROWSER_TOOLS, AXE_CORE)
    run(
        PYTHON,
        "-m",
        "pytest",
        "-m",
        "browser",
        "-p",
        "no:cacheprovider",
        "tests/browser",
        *pytest_args,
    )


def pip_audit(python: str | Path, *args: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report (None if it gave none) and what it said on stderr."""
    result = subprocess.run(
        [str(python), "-m", "pip_audit", *PIP_AUDIT_OPTIONS, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(result.stdout), result.stderr
    except json.JSONDecodeError:
        return None, result.stderr


def known_vulnerabilities(report: dict) -> list[str]:
    return [
        f"{dependency['name']} {dependency['version']}: "
        f"{', '.join([vuln['id'], *vuln.get('aliases', [])])}"
        f" (fixed in {', '.join(vuln['fix_versions']) or 'no release yet'})"
        for dependency in report["dependencies"]
        for vuln in dependency.get("vulns", [])
    ]


def audit(args: list[str], python: str | Path = PYTHON) -> None:
    """Fail on any known vulnerability of an installed distribution.

    The canary goes first: only a database that knows its advisories makes a clean
    result mean something.
    """
    allow_unreachable = "--allow-unreachable" in args
    service_args = [arg for arg in args if arg != "--allow-unreachable"]
    with tempfile.TemporaryDirectory() as folder:
        canary_file = Path(folder) / "canary.txt"
        canary_file.write_text(AUDIT_CANARY + "\n")
        canary, said = pip_audit(
            python, "--requirement", str(canary_file), "--no-deps", "--disable-pip", *service_args
        )
    if canary is None or not known_vulnerabilities(canary):
        reason = said.strip().splitlines()[-1:] or ["it found none"]
        message = (
            "Dependency audit NOT performed: no vulnerability database answered "
            f"({AUDIT_CANARY}, which has published advisories, came back clean: {reason[0]})."
        )
        if not allow_unreachable:
            sys.exit(message)
        print(f"WARNING: {message}", flush=True)
        return
    report, said = pip_audit(python, "--strict", *service_args)
    if report is None:
        sys.exit(f"Dependency audit failed:\n{said}")
    findings = known_vulnerabilities(report)
    if findings:
        sys.exit("Known vulnerabilities in installed dependencies:\n  " + "\n  ".join(findings))
    print(
        f"Dependency audit: {len(report['dependencies'])} installed distributions,"
        " no known vulnerability.",
        flush=True,
    )


def bench(args: list[str]) -> None:
    """The benchmarks (bench/run.py): scratch PostgreSQL databases, figures printed."""
    run(PYTHON, "bench/run.py", *args)


COMMANDS = {
    "demo": lambda args: demo(),
    "test": test,
    "audit": audit,
    "browser": browser,
    "bench": bench,
}


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command not in COMMANDS:
        sys.exit(__doc__)
    ensure_environment()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    try:
        COMMANDS[command](rest)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
