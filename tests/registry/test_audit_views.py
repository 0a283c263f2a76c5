"""What an auditor reads: who changed what, when, from which value to which, and why."""

import pytest
from django.urls import reverse

from registry import services
from registry.access import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited_line(data_manager, case_a):
    """Case A's first line, its agents corrected by the data manager with a reason."""
    line = case_a.records["lines"]
    line.agents = "anastrozole + palbociclib"
    services.record_save(user=data_manager, record=line, reason="typo in the agent")
    return line


def entries(response):
    return response.context["entries"]


def test_record_history_shows_the_old_and_new_value_the_user_and_the_reason(
    client, auditor, case_a, edited_line
):
    client.force_login(auditor)
    url = reverse(
        "registry:record-history", args=[case_a.patient.registry_id, "lines", edited_line.pk]
    )

    newest, created = entries(client.get(url))

    assert (newest.action, newest.user, newest.reason) == ("changed", "dm_a", "typo in the agent")
    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        ("agents", "letrozole + palbociclib", "anastrozole + palbociclib")
    ]
    assert created.action == "created"


def test_patient_trail_keeps_a_deleted_records_values(client, auditor, data_manager, case_a):
    site = case_a.records["sites"]
    site_id = site.pk
    services.record_delete(user=data_manager, record=site, reason="entered twice")
    client.force_login(auditor)

    trail = entries(
        client.get(reverse("registry:patient-audit", args=[case_a.patient.registry_id]))
    )

    site_entries = [e for e in trail if e.record_label == "Metastatic site"]
    deleted, created = site_entries
    assert (deleted.action, deleted.user, deleted.reason) == ("deleted", "dm_a", "entered twice")
    assert deleted.object_id == created.object_id == site_id
    assert {c.field for c in created.changes} >= {"category", "detected on", "how confirmed"}


def test_audit_log_filters_by_user(client, auditor, case_a, edited_line):
    client.force_login(auditor)
    url = reverse("registry:audit-log")

    by_data_manager = entries(client.get(url, {"user": " dm_a "}))
    by_nobody = entries(client.get(url, {"user": "nobody"}))

    assert [(e.user, e.reason) for e in by_data_manager] == [("dm_a", "typo in the agent")]
    assert by_nobody == []


@pytest.mark.parametrize(
    ("value", "message"),
    [("dm\x00a", "Null characters are not allowed."), ("x" * 151, "at most 150 characters")],
)
def test_audit_log_refuses_an_impossible_user_name_at_the_field(client, auditor, value, message):
    client.force_login(auditor)

    response = client.get(reverse("registry:audit-log"), {"user": value})

    assert response.status_code == 400
    assert message in response.context["form"].errors["user"][0]
    assert "entries" not in response.context


def test_centre_auditor_sees_only_its_centres_patients_in_the_log(client, centre_a, case_a, case_b):
    client.force_login(UserFactory(username="aud_a", role=Role.AUDITOR, centres=[centre_a]))

    log = entries(client.get(reverse("registry:audit-log")))

    shown = {e.object_repr for e in log if e.record_label == "Patient"}
    assert case_a.patient.registry_id in shown
    assert case_b.patient.registry_id not in shown


def test_role_changes_are_in_the_trail_with_the_administrator(
    client, auditor, admin_user, data_manager, synced_roles
):
    from django.contrib.auth.models import Group

    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[data_manager.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in ("password", "last_login", "date_joined", "user_permissions")
    }
    data |= {
        "groups": [Group.objects.get(name="Auditors").pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "change_reason": "Moves to the audit team",
        **{
            f"{prefix}-{key}": value
            for prefix in ("centre_memberships", "registry_wide_grant")
            for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()
        },
    }

    saved = client.post(url, data)
    client.force_login(auditor)
    log = entries(client.get(reverse("registry:audit-log"), {"user": admin_user.username}))

    assert saved.status_code == 302, saved.context["adminform"].form.errors
    role_changes = [
        (c.old, c.new)
        for e in reversed(log)
        if e.record_label == "User" and e.object_repr == "dm_a"
        for c in e.changes
        if c.field == "roles"
    ]
    # Django replaces a user's groups by removing, then adding: two steps in the trail.
    assert role_changes == [("Data managers", "–"), ("–", "Auditors")]
    assert {e.reason for e in log if e.object_repr == "dm_a"} == {"Moves to the audit team"}


def test_password_changes_are_in_the_trail_without_the_password(client, data_manager):
    client.force_login(data_manager)
    old, new = "correct horse battery staple", "violet tumour board 2026"

    client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )

    latest = type(data_manager).history.filter(id=data_manager.pk).first()
    assert (latest.history_user, latest.history_change_reason) == (
        data_manager,
        "Password changed by its owner",
    )
    assert not hasattr(latest, "password")


def test_logging_in_is_not_a_change_to_the_account(client, data_manager):
    before = type(data_manager).history.filter(id=data_manager.pk).count()

    client.post(reverse("login"), {"username": "dm_a", "password": "correct horse battery staple"})

    assert "_auth_user_id" in client.session
    assert type(data_manager).history.filter(id=data_manager.pk).count() == before


def test_a_change_made_with_an_api_token_names_the_token_and_its_issuer(
    client, auditor, admin_user, data_manager, case_a
):
    from rest_framework.test import APIClient

    from registry import services
    from registry.models import TreatmentLine

    token, key = services.api_token_issue(
        user=admin_user, for_user=data_manager, purpose="Scripted corrections"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    line = case_a.records["lines"]

    changed = api.patch(f"/api/records/lines/{line.pk}/", {"agents": "letrozole"}, format="json")
    client.force_login(auditor)
    log = entries(client.get(reverse("registry:audit-log")))

    assert changed.status_code == 200
    row = TreatmentLine.history.filter(id=line.pk).first()
    assert (row.history_user, row.history_api_token) == (data_manager, token)
    entry = next(e for e in log if e.record_label == "Treatment line" and e.action == "changed")
    assert entry.via == f"API token {token.key_prefix}… issued by {admin_user.username}"
    issued = next(e for e in log if e.record_label == "API token")
    assert issued.user == admin_user.username and "Scripted corrections" in issued.reason


def test_a_revoked_token_no_longer_opens_the_api(admin_user, data_manager):
    from rest_framework.test import APIClient

    from registry import services

    token, key = services.api_token_issue(user=admin_user, for_user=data_manager, purpose="x")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = api.get("/api/patients/").status_code

    services.api_token_revoke(user=admin_user, token=token, reason="left the team")

    after = api.get("/api/patients/")
    assert (before, after.status_code, after.json()) == (200, 403, {"detail": "Invalid token."})
    assert token.history.first().history_change_reason == "left the team"
