"""Lists and reports run a fixed number of queries, however many patients there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import build_patient

pytestmark = pytest.mark.django_db

# Pinned: a change here is a change in how the page reads the database; look before raising.
# Reports: session, user, roles, centres, the selected patients, one query per record table,
# one per table with a field the charts may leave "not recorded" (five), one for the cohort's
# open findings, queries and reviews, and 15 for the cache key (the user's centres, the
# newest row of 14 history tables).
PAGES = [
    ("registry:patient-list", {}, 7),
    ("registry:meeting-list", {}, 6),  # with the centres of its filter
    ("analytics:report", {"report": "characteristics"}, 37),
    ("analytics:report", {"report": "cr"}, 37),
    ("analytics:report", {"report": "opd"}, 37),
    ("analytics:dataset", {"dataset": "patients", "fmt": "csv"}, 16),
]


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


def test_case_page_query_count_is_fixed(client, auditor, case_a):
    client.force_login(auditor)
    url = reverse("registry:patient-detail", args=[case_a.patient.registry_id])
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # One query per record table, twice (records and derivations), then the case's review
    # and lock and its open queries (tests/registry/test_quality.py: flat in their number),
    # and the case's stored findings (the rules run on the records already read).
    assert len(captured) == 26
