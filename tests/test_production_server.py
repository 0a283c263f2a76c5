"""The production configuration really serves: gunicorn, DEBUG off, collected static files.

`check --deploy` (test_security.py) reads the settings; this starts the server the way
docs/operations.md says and asks it over loopback, as the TLS proxy in front of it would.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy adds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-and-random-production-secret-" + "0123456789" * 3,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite3'}",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
    process = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_serving(process, base: str, *, within_seconds: float = 180) -> None:
    """Until a worker has rendered a real page: listening is not enough, a busy machine
    can take many seconds to import Django and render the first template."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode} before serving")
        try:
            if get(f"{base}/login/").status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or workers still starting
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not serve the log-in page within {within_seconds} s")


def get(url: str, **headers) -> requests.Response:
    # Generous: the server is known to be serving; a loaded machine may still be slow.
    return requests.get(url, headers={**HTTPS, **headers}, allow_redirects=False, timeout=60)


def test_plain_http_is_sent_to_https(server):
    response = requests.get(f"{server}/login/", allow_redirects=False, timeout=60)
    assert response.status_code == 301
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/login/", response.headers["Location"])


def test_login_page_is_served_with_the_production_headers_and_cookies(server):
    response = get(f"{server}/login/")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert (
        "Secure" in response.headers["Set-Cookie"] and "csrftoken" in response.headers["Set-Cookie"]
    )


def test_collected_static_files_are_served_under_their_hashed_names(server):
    page = get(f"{server}/login/").text
    stylesheet = re.search(r'href="(/static/registry/registry\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page links the hashed stylesheet"
    response = get(server + stylesheet.group(1), **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip"


def test_errors_show_the_registrys_pages_never_a_debug_trace(server):
    page = get(f"{server}/no-such-page/")
    api = get(f"{server}/api/patients/")
    assert page.status_code == 404 and "Traceback" not in page.text
    assert api.status_code in (401, 403)
    assert api.headers["Content-Type"] == "application/json"
