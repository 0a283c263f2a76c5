"""`dev.py audit` against an OSV server on loopback that knows the advisories we give it.

The real database cannot be reached from the project's machines, so these tests prove the
gate around pip-audit: the canary makes a blind database fail (or warn), an advisory for an
installed distribution fails with its id and fix, and a clean audit covers every
installed distribution.
"""

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import distributions, version

import pytest
from packaging.utils import canonicalize_name

import dev

CANARY_ADVISORY = ("django", "3.2", "PYSEC-2021-98")


def advisory(identifier: str, name: str, fixed: str) -> dict:
    return {
        "id": identifier,
        "aliases": ["CVE-2099-0001"],
        "summary": "test advisory",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


class FakeOsv:
    """Answers OSV `/v1/query` calls from a table of (name, version) -> advisory id."""

    def __init__(self, advisories: list[tuple[str, str, str]]):
        self.advisories = {(name, ver): identifier for name, ver, identifier in advisories}
        self.queries: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = (query["package"]["name"], query["version"])
                fake.queries.append(key)
                identifier = fake.advisories.get(key)
                body = {"vulns": [advisory(identifier, key[0], "99.0")]} if identifier else {}
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/query"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def run_audit(fake: FakeOsv, *flags: str) -> tuple[int, str]:
    """The exit code and everything `dev.audit` printed or exited with."""
    try:
        dev.audit([*flags, "--osv-url", fake.url], python=sys.executable)
    except SystemExit as stop:
        return (1 if isinstance(stop.code, str) else stop.code or 0), str(stop.code)
    return 0, ""


def test_clean_audit_asks_about_every_installed_distribution(capsys):
    with FakeOsv([CANARY_ADVISORY]) as fake:
        code, message = run_audit(fake)

    assert code == 0, message
    assert "no known vulnerability" in capsys.readouterr().out
    assert ("django", version("Django")) in fake.queries
    assert ("lifelines", version("lifelines")) in fake.queries
    assert ("pip-audit", version("pip-audit")) in fake.queries


def test_advisory_for_an_installed_distribution_fails_with_its_id_and_fix():
    installed_pandas = ("pandas", version("pandas"), "GHSA-test-pandas")
    with FakeOsv([CANARY_ADVISORY, installed_pandas]) as fake:
        code, message = run_audit(fake)

    assert code == 1
    finding = message.splitlines()[-1].strip()
    assert finding.startswith(f"pandas {version('pandas')}: ")
    assert "GHSA-test-pandas" in finding and "CVE-2099-0001" in finding
    assert finding.endswith("(fixed in 99.0)")


def test_database_without_the_canary_advisory_fails_the_audit():
    with FakeOsv([]) as fake:
        code, message = run_audit(fake)

    assert code == 1
    assert "NOT performed" in message
    assert len(fake.queries) == 1  # the canary only: a blind database audits nothing


def test_allow_unreachable_turns_a_blind_database_into_a_warning(capsys):
    with FakeOsv([]) as fake:
        code, _ = run_audit(fake, "--allow-unreachable")

    assert code == 0
    assert "WARNING: Dependency audit NOT performed" in capsys.readouterr().out


@pytest.mark.parametrize("flags", [(), ("--allow-unreachable",)])
def test_advisories_fail_even_when_unreachable_databases_are_allowed(flags):
    with FakeOsv([CANARY_ADVISORY, ("numpy", version("numpy"), "PYSEC-test-numpy")]) as fake:
        code, message = run_audit(fake, *flags)

    assert code == 1
    assert "numpy" in message


def test_every_installed_distribution_is_pinned_at_its_installed_version():
    """So the audited environment is exactly the one `requirements*.txt` rebuilds."""
    pins = {}
    for requirements in dev.ROOT.glob("requirements*.txt"):
        for line in requirements.read_text().splitlines():
            if match := re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", line.strip()):
                pins[canonicalize_name(match[1])] = match[2]
    installed = {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in distributions()
        if d.metadata["Name"] != "pip"  # dev.py keeps pip itself current
    }

    assert installed == pins
