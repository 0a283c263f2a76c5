"""Headless Chromium (Debian's, never a downloaded one) against a live test server.

Run with `python3 dev.py browser`; the normal suite leaves the `browser` marker out.
Screenshots go to test-output/browser/ (git-ignored). Every wait is for a state of the
page (an element, a URL, a download), never for a fixed time.
"""

import os
from pathlib import Path

import pytest

from registry import demo_cohort

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
AXE = ROOT / ".browser-tools" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT = 1400, 900


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test's thread; the tests' own ORM
    set-up stays synchronous. Only while browser tests run: a deployment check (and the
    gunicorn test, which inherits the environment) rightly refuses the variable."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": WIDTH, "height": HEIGHT},
        "locale": "en-GB",
        "timezone_id": "Europe/Rome",
        "accept_downloads": True,
    }


@pytest.fixture
def page(page):
    """Pages time out after 15 s of waiting for a state, not the default 30 s."""
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def demo(live_server):
    """The demo network (three centres, a user per role) with a small synthetic cohort."""
    demo_cohort.seed(seed=2017, patients=30)
    return live_server


@pytest.fixture
def shoot(request):
    """Save a full-page screenshot as test-output/browser/<test>/<NN-name>.png."""
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def log_in(page, server, username: str, password: str = demo_cohort.DEMO_PASSWORD) -> None:
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.get_by_role("button", name="Log out").wait_for()
