"""The REDCap import as a background job: started from its page or the API (202 and the
job's URL), checked first, then imported from the job's page; errors in REDCap's terms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import Job, Patient, TreatmentLine
from tests.interop.redcap_project import project, records_csv, repeating_rows
from tests.jobs import jobs_run, latest_job

pytestmark = pytest.mark.django_db


def uploads(files) -> dict:
    return {
        part: SimpleUploadedFile(name, content)
        for part, (name, content) in (
            ("dictionary", files.dictionary),
            ("records", files.records),
            ("mapping", files.mapping),
        )
    }


def api_job(client, files, query="") -> dict:
    with jobs_run():
        response = client.post(f"/api/import/redcap/{query}", uploads(files))
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    return client.get(response["Location"]).json()


@pytest.fixture
def api(data_manager):
    client = APIClient()
    client.force_authenticate(data_manager)
    return client


def test_the_api_checks_then_imports_as_jobs(api):
    files = project(records_csv(repeating_rows()))

    checked = api_job(api, files, "?dry_run=true")
    assert (checked["state"], checked["dry_run"]) == ("succeeded", True)
    assert checked["summary"]["created"]["treatment lines"] == 2
    assert checked["input_name"] == "REDCap project records.csv"
    assert checked["page"] == reverse("registry:job-detail", args=[checked["id"]])
    assert not Patient.objects.exists()

    imported = api_job(api, files)
    assert imported["state"] == "succeeded" and imported["summary"]["written"] is True
    assert TreatmentLine.objects.count() == 2


def test_the_api_gives_each_error_its_redcap_coordinates(api):
    rows = repeating_rows()
    rows[1]["line_start"] = "2019-13-01"

    job = api_job(api, project(records_csv(rows)))

    assert job["state"] == "failed" and job["failure_reason"] == "1 error: nothing was changed."
    [error] = job["errors"]
    assert error["where"] == "record 1, instrument treatment_line, instance 1 (records line 3)"
    assert error["redcap"] == {
        "record": "1",
        "event": "",
        "instrument": "treatment_line",
        "instance": "1",
        "field": "line_start",
        "line": 3,
    }
    assert not Patient.objects.exists()


def test_the_api_refuses_a_request_without_the_three_files(api):
    files = uploads(project(records_csv(repeating_rows())))
    del files["mapping"]
    response = api.post("/api/import/redcap/", files)
    assert response.status_code == 400
    assert response.json() == {"mapping": ["Upload this file."]}
    assert api.post("/api/import/redcap/", {}, format="json").status_code == 400
    assert not Job.objects.exists()


def test_unreadable_files_fail_their_job_before_anything_is_read(api):
    files = project(records_csv(repeating_rows()), dictionary=b"\x00\xff")
    job = api_job(api, files)
    assert job["state"] == "failed"
    assert job["failure_reason"] == "The file cannot be read: nothing was changed."
    assert job["errors"][0]["message"] == "dictionary.csv: not UTF-8 text."


@pytest.mark.parametrize("role", ["auditor", "analyst"])
def test_only_data_managers_start_a_redcap_import(request, role):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(role))
    files = uploads(project(records_csv(repeating_rows())))
    assert client.post("/api/import/redcap/", files).status_code == 403
    assert not Job.objects.exists()


def test_the_page_checks_the_files_and_the_job_page_imports_them(dm_client):
    files = project(records_csv(repeating_rows()))
    assert dm_client.get(reverse("registry:redcap-import")).status_code == 200

    with jobs_run():
        response = dm_client.post(reverse("registry:redcap-import"), uploads(files))
    check = latest_job()
    assert response.url == check.get_absolute_url()
    page = dm_client.get(check.get_absolute_url()).content.decode()
    assert "Check passed: nothing written yet" in page
    assert "Import REDCap project records.csv now" in page

    with jobs_run():
        dm_client.post(reverse("registry:import"), {"confirm": check.pk})
    imported = latest_job()
    assert (imported.checked_by, imported.state, imported.dry_run) == (check, "succeeded", False)
    assert imported.parameters == check.parameters
    assert Patient.objects.get().registry_id == "RC-1"


def test_the_job_page_lists_errors_in_redcap_terms(dm_client):
    rows = repeating_rows()
    rows[4]["resp_recist"] = "CR"  # a label, not the raw code
    with jobs_run():
        dm_client.post(reverse("registry:redcap-import"), uploads(project(records_csv(rows))))
    page = dm_client.get(latest_job().get_absolute_url()).content.decode()
    assert "record 1, instrument response, instance 2 (records line 6)" in page
    assert "export raw data, not labels" in page


def test_the_page_asks_for_every_file(dm_client):
    response = dm_client.post(reverse("registry:redcap-import"), {})
    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") == 3
    assert not Job.objects.exists()


def test_the_guide_and_the_example_are_served_to_data_managers(dm_client):
    guide = dm_client.get(reverse("registry:redcap-guide")).content.decode()
    assert "## The mapping file" in guide
    example = dm_client.get(reverse("registry:redcap-example"))
    assert example["Content-Disposition"] == 'attachment; filename="redcap-example.zip"'
    assert example.content.startswith(b"PK")
