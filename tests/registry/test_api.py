"""The API end to end: a script's journey, roles, centres, and errors as JSON."""

import pytest
from rest_framework.test import APIClient

from registry.models import Patient, TreatmentLine
from tests.factories import api_key_for

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "centre": "CA",
    "record_number": "H-77",
    "family_name": "Verdi",
    "given_name": "Ada",
    "sex": "F",
    "birth_date": "1965-02-01",
    "primary_diagnosis_date": "2019-05-02",
    "mbc_diagnosis_date": "2019-05-02",
    "presentation": "de_novo",
    "histology": "lobular",
}


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


def test_a_script_creates_reads_updates_and_filters_a_case(data_manager):
    client = api(data_manager)

    created = client.post("/api/patients/", NEW_PATIENT, format="json")
    registry_id = created.json()["registry_id"]
    line = client.post(
        "/api/records/lines/",
        {
            "patient": registry_id,
            "number": 1,
            "regimen": "endocrine_cdk46",
            "agents": "letrozole + ribociclib",
            "start_date": "2019-05-20",
        },
        format="json",
    )
    client.post(
        "/api/records/responses/",
        {
            "patient": registry_id,
            "line": line.json()["id"],
            "assessed_on": "2019-08-20",
            "category": "CR",
        },
        format="json",
    )
    updated = client.patch(
        f"/api/patients/{registry_id}/",
        {"histology": "ductal"},
        format="json",
        HTTP_X_CHANGE_REASON="pathology review",
    )
    case = client.get(f"/api/cases/{registry_id}/").json()
    reached_cr = client.get("/api/patients/", {"reached_cr": "true"}).json()

    assert created.status_code == 201 and registry_id == "MBC-000001"
    assert line.status_code == 201
    assert updated.status_code == 200 and updated.json()["histology"] == "ductal"
    assert case["treatment_lines"][0]["responses"][0]["category"] == "CR"
    assert [p["registry_id"] for p in reached_cr["results"]] == [registry_id]
    history = Patient.objects.get().history.first()
    assert (history.history_user, history.history_change_reason) == (
        data_manager,
        "pathology review",
    )


def test_invalid_request_is_a_400_naming_each_field(data_manager, case_a):
    response = api(data_manager).post(
        "/api/records/lines/",
        {
            "patient": case_a.patient.registry_id,
            "number": 2,
            "regimen": "nonsense",
            "agents": "x",
            "start_date": "2019-05-20",
            "end_date": "2019-01-01",
            "end_reason": "progression",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "regimen" in response.json()
    fixed = api(data_manager).post(
        "/api/records/lines/",
        {
            "patient": case_a.patient.registry_id,
            "number": 2,
            "regimen": "chemotherapy",
            "agents": "x",
            "start_date": "2019-05-20",
            "end_date": "2019-01-01",
            "end_reason": "progression",
        },
        format="json",
    )
    assert fixed.status_code == 400
    assert fixed.json() == {"end_date": ["A line cannot end before it starts."]}
    assert TreatmentLine.objects.filter(number=2).count() == 0


def test_another_centres_records_are_not_found(data_manager, case_b):
    client = api(data_manager)
    line = case_b.records["lines"]
    assert client.get(f"/api/patients/{case_b.patient.registry_id}/").status_code == 404
    assert client.get(f"/api/cases/{case_b.patient.registry_id}/").status_code == 404
    assert client.get(f"/api/records/lines/{line.pk}/").status_code == 404
    assert client.delete(f"/api/records/lines/{line.pk}/").status_code == 404
    assert (
        client.patch(f"/api/records/lines/{line.pk}/", {"agents": "x"}, format="json").status_code
        == 404
    )
    listing = client.get("/api/records/lines/").json()
    assert line.pk not in [r["id"] for r in listing["results"]]
    posted = client.post(
        "/api/records/sites/",
        {
            "patient": case_b.patient.registry_id,
            "category": "lung",
            "detected_on": "2019-01-01",
            "confirmation": "imaging",
        },
        format="json",
    )
    assert posted.status_code == 400 and "patient" in posted.json()


def test_analysts_read_deidentified_and_cannot_write(analyst, case_a):
    client = api(analyst)
    patient = client.get(f"/api/patients/{case_a.patient.registry_id}/").json()
    case = client.get(f"/api/cases/{case_a.patient.registry_id}/").json()

    assert "family_name" not in patient and "birth_date" not in patient
    assert patient["age_at_mbc_diagnosis"] == case_a.patient.age_at_mbc_diagnosis
    assert "record_number" not in case and "age_at_mbc_diagnosis" in case
    assert client.post("/api/patients/", NEW_PATIENT, format="json").status_code == 403
    assert client.delete(f"/api/records/lines/{case_a.records['lines'].pk}/").status_code == 403


def test_auditors_read_everything_and_write_nothing(auditor, case_a, case_b):
    client = api(auditor)
    assert client.get(f"/api/patients/{case_b.patient.registry_id}/").json()["family_name"]
    assert (
        client.patch(
            f"/api/patients/{case_a.patient.registry_id}/", {"sex": "M"}, format="json"
        ).status_code
        == 403
    )


def test_anonymous_requests_are_refused_with_json():
    response = APIClient().get("/api/patients/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_reports_endpoint_returns_the_command_keys(analyst, case_a):
    response = api(analyst).get("/api/reports/cr/", {"by_centre": "true"})
    bad = api(analyst).get("/api/reports/cr/", {"mbc_from": "yesterday"})
    assert response.status_code == 200
    assert set(response.json()) == {"meta", "overall", "by_centre", "centre_comparison"}
    assert bad.status_code == 400 and "mbc_from" in bad.json()
    assert api(analyst).get("/api/reports/nope/").status_code == 404


def test_deleting_a_record_through_the_api_is_audited(data_manager, case_a):
    site = case_a.records["sites"]
    response = api(data_manager).delete(
        f"/api/records/sites/{site.pk}/", HTTP_X_CHANGE_REASON="wrong patient"
    )
    assert response.status_code == 204
    row = type(site).history.get(id=site.pk, history_type="-")
    assert row.history_change_reason == "wrong patient"


def test_schema_is_served_and_lists_the_case_endpoint(data_manager):
    response = api(data_manager).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert b"/api/cases/{registry_id}/" in response.content


def test_patients_filter_by_dates_regimen_and_number_of_lines(data_manager, centre_a):
    from tests.builders import build_patient

    two_lines = build_patient(
        centre_a, lines=[(0, 5, None, "chemotherapy"), (5, None, None, "endocrine_cdk46")]
    )
    one_line = build_patient(centre_a, lines=[(0, None, None, "endocrine")])
    client = api(data_manager)

    def ids(**query):
        return {p["registry_id"] for p in client.get("/api/patients/", query).json()["results"]}

    assert ids(regimen="endocrine_cdk46") == {two_lines.registry_id}
    assert ids(lines_at_least=2) == {two_lines.registry_id}
    assert ids(mbc_from="2015-01-01", mbc_to="2015-01-01") == {
        two_lines.registry_id,
        one_line.registry_id,
    }
    assert ids(mbc_from="2015-01-02") == set()
    bad = client.get("/api/patients/", {"mbc_from": "soon"})
    assert bad.status_code == 400 and "mbc_from" in bad.json()


def test_text_the_database_cannot_hold_is_a_400_not_a_crash(data_manager, case_a):
    client = api(data_manager)
    posted = client.post(
        "/api/records/sites/",
        {
            "patient": "MBC-A\u00000001",
            "category": "lung",
            "detected_on": "2019-01-01",
            "confirmation": "imaging",
        },
        format="json",
    )
    in_path = client.get("/api/patients/MBC%00A0001/")
    assert posted.status_code == 400 and "patient" in posted.json()
    assert in_path.status_code == 404 and in_path.json() == {"detail": "Not found."}


def test_the_api_takes_and_shows_the_new_vocabulary_and_not_recorded(data_manager, case_a):
    client = api(data_manager)
    registry_id = case_a.patient.registry_id

    radiotherapy = client.post(
        "/api/records/radiotherapy/",
        {
            "patient": registry_id,
            "started_on": "2019-02-01",
            "site": "pleura",
            "intent": "curative",
            "total_dose_gy": None,
            "fractions": None,
        },
        format="json",
    )
    site = client.post(
        "/api/records/sites/",
        {
            "patient": registry_id,
            "category": "distant_nodes",
            "detected_on": "2019-01-10",
            "confirmation": "not_recorded",
        },
        format="json",
    )
    case = client.get(f"/api/cases/{registry_id}/").json()

    assert radiotherapy.status_code == 201, radiotherapy.json()
    assert site.status_code == 201, site.json()
    course = next(r for r in case["radiotherapy"] if r["site"] == "pleura")
    assert (course["intent"], course["total_dose_gy"], course["fractions"]) == (
        "curative",
        None,
        None,
    )
    confirmations = {s["category"]: s["confirmation"] for s in case["metastatic_sites"]}
    assert confirmations["distant_nodes"] == "not_recorded"
