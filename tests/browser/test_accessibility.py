"""axe-core (from npm, injected into the page) finds no serious or critical accessibility
violation on any main page, for any role."""

import pytest

from .conftest import AXE, log_in
from .test_main_pages import main_pages

pytestmark = pytest.mark.browser
BLOCKING = {"serious", "critical"}


def violations(page) -> list[str]:
    """The serious and critical findings of axe-core on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {node['target']}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"][:3]
    ]


def test_no_main_page_has_a_serious_accessibility_violation(browser, browser_context_args, demo):
    """Every main page of each role, and the login page; the contexts may inject axe (the
    registry's CSP forbids inline script, as it should)."""
    found = {}
    for username in (None, "dm_mil", "auditor", "analyst_mil"):
        context = browser.new_context(**browser_context_args, bypass_csp=True)
        page = context.new_page()
        if username is None:
            pages = [("login", "/login/")]
        else:
            log_in(page, demo, username)
            pages = main_pages(username)
        for name, path in pages:
            page.goto(demo.url + path)
            page.wait_for_load_state("networkidle")
            problems = violations(page)
            if problems:
                found[f"{username}: {name}"] = problems
        context.close()
    assert found == {}


def test_the_check_finds_a_violation_when_there_is_one(page):
    """An image without a text alternative is critical for axe: the check can fail."""
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    assert any(v.startswith("image-alt (critical)") for v in violations(page))
