"""Log-in throttling, security headers, and a clean `check --deploy` in production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def test_fifth_wrong_password_locks_the_account(client, data_manager):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": "dm_a", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    locked = client.post(url, {"username": "dm_a", "password": "wrong"})
    still_locked = client.post(
        url, {"username": "dm_a", "password": "correct horse battery staple"}
    )
    assert locked.status_code == 429
    assert still_locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_right_password_logs_in(client, data_manager):
    response = client.post(
        reverse("login"), {"username": "dm_a", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(data_manager.pk)


def test_pages_and_api_carry_security_headers(client, data_manager):
    client.force_login(data_manager)
    for url in (reverse("registry:patient-list"), "/api/patients/", reverse("login")):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_hold_no_inline_script_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "onclick=" not in text and "style=" not in text, template
        assert "<script>" not in text, template


def test_deploy_check_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 20 + "a-long-and-random-production-secret-0123456789",
        "DJANGO_ALLOWED_HOSTS": "registry.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


MARKUP = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.mark.parametrize("kind", ["data_manager", "auditor"])
def test_markup_typed_into_free_text_is_shown_as_text_on_every_page(
    client, data_manager, auditor, case_a, kind
):
    from registry import services
    from tests.registry.test_url_access import EXPECTED, examples

    patient, records = case_a.patient, case_a.records
    patient.given_name = MARKUP
    services.patient_save(user=data_manager, patient=patient, reason=MARKUP)
    for record, field in (
        (records["progressions"], "notes"),
        (records["discussions"], "question"),
        (records["discussions"], "recommendation"),
    ):
        setattr(record, field, MARKUP)
        services.record_save(user=data_manager, record=record, reason=MARKUP)
    type(case_a.meeting).objects.filter(pk=case_a.meeting.pk).update(notes=MARKUP)
    client.force_login({"data_manager": data_manager, "auditor": auditor}[kind])

    escaped_on = []
    for name in EXPECTED:
        for kwargs in examples(name, case_a):
            response = client.get(reverse(name, kwargs=kwargs))
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            page = response.content.decode()
            assert "<script>alert" not in page and "<img src=x" not in page, (name, kwargs)
            if "&lt;script&gt;alert(1)" in page:
                escaped_on.append(name)

    expected = {"registry:patient-detail", "registry:meeting-detail", "registry:decision-sheet"}
    expected |= (
        {"registry:record-update", "registry:decision-update"}
        if kind == "data_manager"
        else {"registry:patient-audit", "registry:record-history", "registry:audit-log"}
    )
    assert expected <= set(escaped_on)


def test_users_change_their_own_password_under_the_same_rules(client, data_manager):
    url = reverse("password_change")
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    client.force_login(data_manager)
    old = "correct horse battery staple"

    too_short = client.post(
        url, {"old_password": old, "new_password1": "Short1!x", "new_password2": "Short1!x"}
    )
    new = "violet tumour board 2026"
    changed = client.post(url, {"old_password": old, "new_password1": new, "new_password2": new})

    assert too_short.status_code == 200
    assert "at least 12 characters" in too_short.context["form"].errors["new_password2"][0]
    assert changed.url == reverse("password_change_done")
    data_manager.refresh_from_db()
    assert data_manager.check_password(new)
    assert client.get(reverse("registry:patient-list")).status_code == 200  # still logged in


def test_log_in_never_redirects_to_another_site(client, data_manager):
    response = client.post(
        reverse("login") + "?next=https://registry.example.evil/phish",
        {
            "username": "dm_a",
            "password": "correct horse battery staple",
            "next": "https://registry.example.evil/phish",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
