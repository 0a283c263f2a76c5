"""Every main page, as each role, in the browser: it loads, runs without a console error
(a violation of the content security policy is one) and is saved as a screenshot."""

import pytest

from registry.models import BoardMeeting, CaseDiscussion, Patient

from .conftest import log_in

pytestmark = pytest.mark.browser


def main_pages(username: str) -> list[tuple[str, str]]:
    patient = Patient.objects.filter(centre__code="MIL").order_by("registry_id").first()
    meeting = BoardMeeting.objects.filter(centre__code="MIL").order_by("held_on").first()
    discussion = CaseDiscussion.objects.filter(meeting=meeting).first()
    pages = [
        ("home", "/"),
        ("patients", "/patients/"),
        ("case", f"/patients/{patient.registry_id}/"),
        ("meetings", "/board/"),
        ("meeting", f"/board/{meeting.pk}/"),
    ]
    if not username.startswith("analyst"):  # analysts see no decision sheet
        pages.append(("decision-sheet", f"/board/discussions/{discussion.pk}/sheet/"))
    if username.startswith("dm_"):
        pages += [
            ("new-patient", "/patients/new/"),
            ("new-response", f"/patients/{patient.registry_id}/responses/new/"),
            ("import", "/import/"),
        ]
    if username.startswith("analyst") or username == "auditor":
        pages += [("reports", "/reports/"), ("cr-report", "/reports/cr/")]
        pages += [("opd-report", "/reports/opd/"), ("cohort", "/reports/characteristics/")]
    if username == "auditor":
        pages += [
            ("audit-log", "/audit/"),
            ("patient-audit", f"/patients/{patient.registry_id}/audit/"),
        ]
    return pages


ROLES = ["dm_mil", "auditor", "analyst", "analyst_mil"]


def test_every_main_page_loads_without_a_console_error(browser, browser_context_args, demo, shoot):
    """One demo cohort, each role in its own browser context (one seeding for all)."""
    errors = []
    for username in ROLES:
        context = browser.new_context(**browser_context_args)
        page = context.new_page()
        page.on(
            "console",
            lambda m, u=username: errors.append((u, m.text)) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e, u=username: errors.append((u, str(e))))
        log_in(page, demo, username)
        for name, path in main_pages(username):
            response = page.goto(demo.url + path)
            assert response.status == 200, (username, path, response.status)
            page.wait_for_load_state("networkidle")
            shoot(page, f"{username}-{name}")
        context.close()
    assert errors == []
