"""Key-first pages (registry/pagination.py): the same pages, in the same order, as before."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from registry import services
from registry.models import CentreMembership, Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PATIENTS = 60


@pytest.fixture
def patients(centre_a):
    # MBC dates repeat every 7 patients, so sorting by them needs the registry-ID tie-break.
    return [
        PatientFactory(
            centre=centre_a,
            registry_id=f"PAG-{n:03d}",
            mbc_diagnosis_date=date(2020, 1, 1) + timedelta(days=n % 7),
            primary_diagnosis_date=date(2019, 1, 1),
        )
        for n in range(PATIENTS)
    ]


def list_pages(client, **query) -> list[list[str]]:
    pages = []
    for number in (1, 2, 3):
        response = client.get(reverse("registry:patient-list"), {**query, "page": number})
        pages.append([p.registry_id for p in response.context["page_obj"]])
    return pages


def test_the_patient_list_pages_follow_the_sort_without_overlap(dm_client, patients):
    expected = [
        p.registry_id
        for p in sorted(patients, key=lambda p: (-p.mbc_diagnosis_date.toordinal(), p.registry_id))
    ]

    pages = list_pages(dm_client, sort="-mbc")

    assert [len(page) for page in pages] == [25, 25, 10]
    assert [key for page in pages for key in page] == expected


def test_a_deep_page_reads_only_its_own_rows(dm_client, patients):
    with CaptureQueriesContext(connection) as captured:
        response = dm_client.get(reverse("registry:patient-list"), {"page": 3})

    page_query = next(q["sql"] for q in captured if "LIMIT" in q["sql"] and "OFFSET" in q["sql"])
    assert [p.registry_id for p in response.context["page_obj"]] == [
        f"PAG-{n:03d}" for n in range(50, 60)
    ]
    # OFFSET only in the subquery of keys; the outer query reads the page's rows by key.
    assert page_query.count("OFFSET") == 1
    assert "OFFSET 50)" in page_query


def test_the_api_pages_the_patients_in_registry_id_order(data_manager, patients):
    client = APIClient()
    client.force_authenticate(data_manager)

    first = client.get("/api/patients/").json()
    second = client.get("/api/patients/", {"page": 2}).json()

    assert first["count"] == PATIENTS
    assert [p["registry_id"] for p in first["results"] + second["results"]] == sorted(
        Patient.objects.values_list("registry_id", flat=True)
    )
    assert second["previous"] is not None
    assert second["next"] is None


def listed_count(client, path: str = "/api/patients/") -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return response.json()["count"], [q["sql"] for q in captured]


def test_a_list_counts_its_rows_once_per_data_version(data_manager, centre_a):
    client = APIClient()
    client.force_authenticate(data_manager)
    PatientFactory(centre=centre_a, registry_id="CNT-001")
    first, first_queries = listed_count(client)
    second, second_queries = listed_count(client)

    assert first == second == 1
    assert sum("COUNT(" in sql for sql in first_queries) == 1
    assert sum("COUNT(" in sql for sql in second_queries) == 0


def test_a_cached_count_follows_writes_archives_and_centre_members(
    data_manager, centre_a, centre_b
):
    administrator = get_user_model().objects.create_superuser("count-admin", password="unused")
    client = APIClient()
    client.force_authenticate(data_manager)
    PatientFactory(centre=centre_a, registry_id="CNT-001")
    PatientFactory(centre=centre_b, registry_id="CNT-002")
    counts = [listed_count(client)[0]]
    added = PatientFactory.build(centre=centre_a, registry_id="CNT-003", record_number="C3")
    services.patient_save(user=administrator, patient=added)
    counts.append(listed_count(client)[0])
    services.patient_archive(user=administrator, patient=added, reason="Duplicate")
    counts.append(listed_count(client)[0])
    membership = CentreMembership.objects.create(user=data_manager, centre=centre_b)
    counts.append(listed_count(client)[0])
    membership.delete()
    counts.append(listed_count(client)[0])
    # A filtered list's count is its own: the filter is part of the query counted.
    filtered = listed_count(client, "/api/patients/?q=CNT-00")[0]
    searched = listed_count(client, "/api/patients/?q=CNT-001")[0]

    assert counts == [1, 2, 1, 2, 1]
    assert (filtered, searched) == (1, 1)
