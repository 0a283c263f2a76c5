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
