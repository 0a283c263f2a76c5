"""Every write path runs a fixed number of queries, however many records the patient has.

The rules read the patient's bounds once per write (`selectors.patient_bounds`), so a
patient with many records costs the same as one with a few.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from registry import access, exchange
from registry.models import Patient, TreatmentLine
from tests.builders import build_patient

pytestmark = pytest.mark.django_db

# Both have a row in every derived table (a CR episode, a line, a progression): a table
# with no row for the patient skips its insert, which is one query fewer, not a count that
# grows.
FEW = {
    "lines": [(0, 10, None, "chemotherapy")],
    "responses": [(3, 1, "CR")],
    "progressions": [(8, "systemic")],
}
MANY = {
    "lines": [
        (0, 10, None, "chemotherapy"),
        (10, 20, None, "endocrine"),
        (20, None, None, "chemotherapy"),
    ],
    "responses": [(3, 1, "PR"), (6, 1, "CR"), (13, 2, "PR"), (16, 2, "PD"), (23, 3, "SD")],
    "progressions": [(8, "locoregional"), (19, "systemic")],
    "surgeries": [(9, {"mastectomy"}, True)],
    "last_contact": 25,
}


def count(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def patients(centre):
    return build_patient(centre, **FEW), build_patient(centre, **MANY)


def line_data(line: TreatmentLine, **changes) -> dict:
    data = {
        name: getattr(line, name) or ""
        for name in ("number", "regimen", "agents", "start_date", "end_date", "end_reason")
    }
    return {**data, **changes}


def patient_data(patient: Patient, **changes) -> dict:
    names = (
        "record_number", "family_name", "given_name", "sex", "birth_date",
        "primary_diagnosis_date", "mbc_diagnosis_date", "presentation", "histology",
    )  # fmt: skip
    return {**{n: getattr(patient, n) for n in names}, **changes}


def test_form_saves_of_a_record(dm_client, centre_a):
    def create(patient):
        url = reverse("registry:record-create", args=[patient.registry_id, "lines"])
        data = line_data(patient.treatmentline_set.last(), number=9, end_date="", end_reason="")
        return count(lambda: assert_redirect(dm_client.post(url, data)))

    def edit(patient):
        line = patient.treatmentline_set.first()
        url = reverse("registry:record-update", args=[patient.registry_id, "lines", line.pk])
        data = line_data(line, agents="paclitaxel", version=line.version)
        return count(lambda: assert_redirect(dm_client.post(url, data)))

    few, many = patients(centre_a)

    assert (create(few), create(many)) == (CREATE_RECORD_FORM, CREATE_RECORD_FORM)
    assert (edit(few), edit(many)) == (EDIT_RECORD_FORM, EDIT_RECORD_FORM)


def test_form_saves_of_a_patient(dm_client, centre_a):
    def edit(patient):
        url = reverse("registry:patient-update", args=[patient.registry_id])
        data = patient_data(patient, given_name="Ada", version=patient.version)
        return count(lambda: assert_redirect(dm_client.post(url, data)))

    few, many = patients(centre_a)
    create = count(
        lambda: assert_redirect(
            dm_client.post(
                reverse("registry:patient-create"),
                patient_data(few, record_number="NEW-1", centre=centre_a.pk),
            )
        )
    )

    assert create == CREATE_PATIENT_FORM
    assert (edit(few), edit(many)) == (EDIT_PATIENT_FORM, EDIT_PATIENT_FORM)


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    access.roles(user)  # kept on the user object, as after the first check of a request
    return client


def test_api_writes(data_manager, centre_a):
    client = api_client(data_manager)

    def post(patient):
        data = line_data(patient.treatmentline_set.last(), number=9, end_date=None, end_reason="")
        data["patient"] = patient.registry_id
        return count(
            lambda: assert_status(client.post("/api/records/lines/", data, format="json"), 201)
        )

    def patch(patient):
        line = patient.treatmentline_set.first()
        return count(
            lambda: assert_status(
                client.patch(f"/api/records/lines/{line.pk}/", {"agents": "x"}, format="json"),
                200,
            )
        )

    def patch_patient(patient):
        return count(
            lambda: assert_status(
                client.patch(
                    f"/api/patients/{patient.registry_id}/", {"given_name": "Ada"}, format="json"
                ),
                200,
            )
        )

    few, many = patients(centre_a)

    assert (post(few), post(many)) == (API_POST, API_POST)
    assert (patch(few), patch(many)) == (API_PATCH, API_PATCH)
    assert (patch_patient(few), patch_patient(many)) == (API_PATCH_PATIENT, API_PATCH_PATIENT)


def test_case_put_and_import_of_one_case(data_manager, centre_a):
    client = api_client(data_manager)

    def put(patient):
        case = exchange.export_cases(Patient.objects.filter(pk=patient.pk))[0]
        case["treatment_lines"][0]["agents"] = "changed"
        url = f"/api/cases/{patient.registry_id}/"
        return count(lambda: assert_status(client.put(url, case, format="json"), 200))

    def reimport(patient):
        case = exchange.export_cases(Patient.objects.filter(pk=patient.pk))[0]
        case["treatment_lines"][0]["agents"] = "changed again"
        located = [exchange.Located(case, "case 1")]
        return count(
            lambda: exchange.import_cases(located, user=data_manager, dry_run=False, reason="")
        )

    few, many = patients(centre_a)

    assert (put(few), put(many)) == (CASE_PUT, CASE_PUT)
    assert (reimport(few), reimport(many)) == (IMPORT_ONE_CASE, IMPORT_ONE_CASE)


def assert_redirect(response):
    assert response.status_code == 302, response.context["form"].errors


def assert_status(response, expected):
    assert response.status_code == expected, response.content


# Pinned: a change here is a change in how a write reads and writes; look before raising.
# A form save: session, user, roles, the patient, the form's choices; then the access
# check, the patient's bounds (3), the unique constraints (the check constraints are
# evaluated in memory: registry/models/checks.py, 3 queries fewer per check constraint
# than Django's savepoint and SELECT each), the row and its audit row, and the derived
# rows' refresh (its own count: the derived tables, then the patient's data-quality
# findings; the warning count is written only when it changes, which it does not here),
# and the case's lock (the patient's row lock, taken first so that a lock of the case and
# the write run one after the other, then its status: two queries; the derived refresh
# takes no lock of its own). The progressions' derived rows (issue 19's endpoints) add a
# delete and an insert to every refresh (measured: none to a new patient's form save).
# On PostgreSQL a write that finds a new finding takes its key from the sequence first,
# then COPYs it and its audit row (registry/bulk.py): one query more.
NEW_FINDING = int(connection.vendor == "postgresql")
CREATE_RECORD_FORM = 46 + NEW_FINDING  # a line: 54 with its 3 check constraints in the database
EDIT_RECORD_FORM = 45  # the row lock of the version check; no new finding to insert
# The next registry ID (and on PostgreSQL the advisory lock that serialises it).
ADVISORY_LOCK = int(connection.vendor == "postgresql")
CREATE_PATIENT_FORM = 41 + ADVISORY_LOCK + NEW_FINDING  # 51 with its 3 check constraints in the db
EDIT_PATIENT_FORM = 45
API_POST = 43 + NEW_FINDING
API_PATCH = 41
API_PATCH_PATIENT = 42
# Both run the importer: it finds the file's patients, locks their rows in key order (as
# every write of a case: registry/case_locks.py), then reads them: 2 queries more than
# locking them in the order of a scan by registry ID (which could deadlock with a rule run:
# tests/registry/test_lock_races.py). A dry run locks nothing and reads them at once.
# The case's stored rows read per table, the changed line written with its audit row.
# The derived rows and the findings come from the case as the import holds it, not from
# reading back what it wrote (services.patient_summary_refresh(records=...)): 16 fewer.
CASE_PUT = 33
IMPORT_ONE_CASE = 32
