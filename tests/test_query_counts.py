"""Lists and reports run a fixed number of queries, however many patients there are."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.analytics.test_endpoint_pages import endpoint_of
from tests.analytics.test_snapshots import snapshot_of
from tests.builders import build_patient

pytestmark = pytest.mark.django_db

# Pinned: a change here is a change in how the page reads the database; look before raising.
# Reports computed afresh: session, user, roles, grants, the centres of the filter set; the
# user's centres and the data version (one query) for the result's key; the stored result
# (none yet); then the cohort's patients from the derived tables and the visible count, one
# query per table with a field the charts may leave "not recorded" (five), the cohort's
# open findings, open queries and reviewed count (three), and storing the result (insert,
# then the older versions' rows deleted): 20 for the characteristics, for any number of
# patients (it was 33, with one query per record table for the derivations). A record
# dataset is read only by a report that asks for it (one query each): the CR report reads
# the CR episodes and the lines, the OPD report none. The CR and OPD reports also read the
# patients in doubt at each selection step (the cohort's open findings and open queries).
# A dataset download reads the cohort's patients, the visible count and the dataset asked
# for: session, user, roles, grants, centres and two or three (7 or 8; it was 16). The
# patients behind a count are read the same way, with the report's record datasets and the
# patients in doubt: the list is cut from the cohort's frames, whatever the count and page.
COMPUTED = 20
IN_DOUBT = 2
CR_COMPUTED = COMPUTED + 2 + IN_DOUBT  # CR episodes and lines
OPD_COMPUTED = COMPUTED + IN_DOUBT
DRILL = {"report": "cr", "cell": "overall.cr_rate.N"}
PAGES = [
    # Counted afresh here (a new data version each time): the version, then the count; a
    # second visit at the same version reads the version instead of counting (7).
    ("registry:patient-list", {}, 8),
    ("registry:meeting-list", {}, 6),  # with the centres of its filter
    ("analytics:report", {"report": "characteristics"}, COMPUTED),
    ("analytics:report", {"report": "cr"}, CR_COMPUTED),
    ("analytics:report", {"report": "opd"}, OPD_COMPUTED),
    ("analytics:download", {"report": "cr", "fmt": "json"}, CR_COMPUTED),
    ("analytics:download", {"report": "opd", "fmt": "xlsx"}, OPD_COMPUTED),
    ("analytics:plot", {"report": "cr", "plot": "duration-of-cr", "fmt": "png"}, CR_COMPUTED),
    ("api:report", {"report": "opd"}, OPD_COMPUTED),
    ("analytics:dataset", {"dataset": "patients", "fmt": "csv"}, 7),
    ("analytics:dataset", {"dataset": "episodes", "fmt": "xlsx"}, 8),
    ("analytics:patients", DRILL, 11),
    ("analytics:patients-csv", DRILL, 11),
    (
        "analytics:patients",
        {"report": "opd", "cell": "by_centre.CA.selection[de novo].remaining"},
        9,
    ),
    ("api:report-patients", DRILL, 11),
]
# Taken from the stored result: the key's queries and the result itself, nothing of the cohort.
STORED = 8
# A report page whose content is cached for that result and query: the key's queries only
# (registry.templatetags.fragments).
STORED_PAGE = STORED - 1
# A reproducible package reads its whole cohort (five queries) between two readings of the
# data version, then takes the result stored for that version (the key's centres, the
# result): 14 when the report was computed already; when it was not, the report's own 12
# more (the "not recorded" counts, the open findings, queries and reviewed count, the
# patients in doubt at each selection step, storing the result: insert, delete).
PACKAGE = "analytics:package", {"report": "opd"}
PACKAGE_STORED = 14
PACKAGE_COMPUTED = 26


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


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [p for p in PAGES if p[2] in (COMPUTED, CR_COMPUTED, OPD_COMPUTED)],
)
def test_a_stored_result_is_read_in_a_fixed_number_of_queries(
    client, auditor, centre_a, name, kwargs, expected
):
    client.force_login(auditor)
    add_patients(centre_a, 3)
    queries(client, name, kwargs)

    assert queries(client, name, kwargs) == (STORED_PAGE if name == "analytics:report" else STORED)


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


def test_a_package_reads_a_fixed_number_of_queries(client, auditor, centre_a):
    client.force_login(auditor)
    add_patients(centre_a, 2)
    computed = queries(client, *PACKAGE)
    add_patients(centre_a, 5)
    computed_for_more = queries(client, *PACKAGE)
    stored = queries(client, *PACKAGE)

    assert computed == computed_for_more == PACKAGE_COMPUTED
    assert stored == PACKAGE_STORED


def test_the_lists_behind_a_snapshots_and_an_endpoints_counts_read_fixed_queries(
    client, auditor, centre_a
):
    client.force_login(auditor)
    add_patients(centre_a, 2)
    snapshot = snapshot_of(SimpleNamespace(patient=SimpleNamespace(centre=centre_a)))
    frozen = {"snapshot": snapshot.code, "report": "cr", "cell": "overall.cr_rate.N"}
    saved = {"slug": endpoint_of().slug, "cell": "overall.km.n"}
    # A snapshot's: session, user, roles, grants, the snapshot with its job, its stored
    # datasets (one query), its analyst and its centres for its stamp; its patients in
    # doubt were frozen with it (8). An endpoint's: the saved definition, then the cohort
    # as for a report's list, without the selection steps' doubt: an overall survival from
    # the MBC diagnosis reads no record dataset (8).
    lists = [
        ("analytics:snapshot-patients", frozen, 8),
        ("api:snapshot-report-patients", frozen, 8),
        ("analytics:endpoint-saved-patients", saved, 8),
        ("api:endpoint-patients", saved, 8),
    ]
    few = [queries(client, name, kwargs) for name, kwargs, _ in lists]
    add_patients(centre_a, 5)
    many = [queries(client, name, kwargs) for name, kwargs, _ in lists]

    assert few == many == [expected for _, _, expected in lists]
