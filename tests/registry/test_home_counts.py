"""The home page's counts: computed once per data version, never stale after a write."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import services
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return get_user_model().objects.create_superuser("home-admin", password="not-used")


def visit(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.context, len(captured)


def test_the_counts_follow_every_write(client, auditor, administrator, centre_a):
    client.force_login(auditor)
    PatientFactory(centre=centre_a, registry_id="HOME-001")
    before, _ = visit(client)
    patient = PatientFactory.build(centre=centre_a, registry_id="HOME-002", record_number="H2")

    services.patient_save(user=administrator, patient=patient)
    after, _ = visit(client)
    services.patient_archive(user=administrator, patient=patient, reason="Duplicate")
    archived, _ = visit(client)

    assert [before["patient_count"], after["patient_count"], archived["patient_count"]] == [1, 2, 1]
    assert [c.patient_count for c in after["centres"] if c.code == "CA"] == [2]


def test_a_second_visit_reads_only_the_data_version(client, auditor, centre_a):
    client.force_login(auditor)
    for n in range(3):
        PatientFactory(centre=centre_a, registry_id=f"HOME-{n:03d}")
    _, first = visit(client)
    for n in range(3, 8):
        PatientFactory(centre=centre_a, registry_id=f"HOME-{n:03d}")
    _, recomputed = visit(client)
    _, cached = visit(client)

    assert first == recomputed
    # session, user, roles, grant, the centres seen, the data version, the open queries
    # assigned to the user (not cached: a query's steps make no new data version), the
    # upcoming meetings
    assert cached == 8
    assert cached < first
