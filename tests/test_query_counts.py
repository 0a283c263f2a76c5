"""Lists and reports run a fixed number of queries, however many patients there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import build_patient

pytestmark = pytest.mark.django_db

# Pinned: a change here is a change in how the page reads the database; look before raising.
# Reports computed afresh: session, user, roles, grants, the centres of the filter set; the
# user's centres and the data version (one query) for the result's key; the stored result
# (none yet); then the cohort from the derived tables (patients, CR episodes, lines, the
# visible count), one query per table with a field the charts may leave "not recorded"
# (five), the cohort's open findings, queries and reviews (one), and storing the result
# (insert, then the older versions' rows deleted): 20, for
# any number of patients (it was 33, with one query per record table for the derivations).
# A dataset download reads the cohort only: session, user, roles, grants, centres, and the
# four cohort queries (9; it was 16).
COMPUTED = 20
PAGES = [
    ("registry:patient-list", {}, 7),
    ("registry:meeting-list", {}, 6),  # with the centres of its filter
    ("analytics:report", {"report": "characteristics"}, COMPUTED),
    ("analytics:report", {"report": "cr"}, COMPUTED),
    ("analytics:report", {"report": "opd"}, COMPUTED),
    ("analytics:download", {"report": "cr", "fmt": "json"}, COMPUTED),
    ("analytics:download", {"report": "opd", "fmt": "xlsx"}, COMPUTED),
    ("analytics:plot", {"report": "cr", "plot": "duration-of-cr", "fmt": "png"}, COMPUTED),
    ("api:report", {"report": "opd"}, COMPUTED),
    ("analytics:dataset", {"dataset": "patients", "fmt": "csv"}, 9),
    ("analytics:dataset", {"dataset": "episodes", "fmt": "xlsx"}, 9),
]
# Taken from the stored result: the key's queries and the result itself, nothing of the cohort.
STORED = 8


def add_patients(centre, count: int) -> None:
    for _ in range(count):
        build_patient(
            centre,
            lines=[(0, 10, None, "chemotherapy"), (10, None, None, "endocrine")],
            responses=[(3, 1, "CR"), (10, 1, "PD"), (13, 2, "PR")],
            progressions=[(8, "locoregional")],
            surgeries=[(9, {"mastectomy"}, True)],
            last_contact=20,
        )


def queries(client, name, kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(("name", "kwargs", "expected"), PAGES)
def test_query_count_does_not_grow_with_patients(client, auditor, centre_a, name, kwargs, expected):
    client.force_login(auditor)
    add_patients(centre_a, 2)
    few = queries(client, name, kwargs)
    add_patients(centre_a, 5)
    many = queries(client, name, kwargs)

    assert few == many == expected


@pytest.mark.parametrize(("name", "kwargs", "expected"), [p for p in PAGES if p[2] == COMPUTED])
def test_a_stored_result_is_read_in_a_fixed_number_of_queries(
    client, auditor, centre_a, name, kwargs, expected
):
    client.force_login(auditor)
    add_patients(centre_a, 3)
    queries(client, name, kwargs)

    assert queries(client, name, kwargs) == STORED


def test_case_page_query_count_is_fixed(client, auditor, case_a):
    client.force_login(auditor)
    url = reverse("registry:patient-detail", args=[case_a.patient.registry_id])
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # One query per record table (the derivations take the records already read: 26
    # queries when they read them again), then the case's review and lock and its open
    # queries (tests/registry/test_quality.py: flat in their number), and the case's stored
    # findings (the rules run on the records already read).
    assert len(captured) == 17
