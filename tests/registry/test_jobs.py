"""Background jobs: states, progress, located errors, all or nothing, owners, the 202 flow."""

import io
import json
import time
import uuid

import openpyxl
import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from registry import exchange, jobs
from registry.access import Role
from registry.models import Job, MetastaticSite, Patient
from tests.factories import UserFactory
from tests.jobs import jobs_run, latest_job, run_queued_jobs

pytestmark = pytest.mark.django_db


def case_file(patient, **changes) -> bytes:
    document = exchange.export_document(Patient.objects.filter(pk=patient.pk))
    document["cases"][0].update(changes)
    return json.dumps(document).encode()


LIVER = [{"category": "liver", "detected_on": "2018-03-01", "confirmation": "imaging"}]


def file_of(case) -> SimpleUploadedFile:
    return SimpleUploadedFile("cases.json", case_file(case.patient))


def queued_only():
    """Run the on-commit callbacks (the enqueue) of what happens inside, but no worker."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def dm_client(client, data_manager):
    client.force_login(data_manager)
    return client


@pytest.fixture
def api(data_manager):
    client = APIClient()
    client.force_authenticate(data_manager)
    return client


def upload(client, content: bytes, name="cases.json"):
    return client.post(reverse("registry:import"), {"file": SimpleUploadedFile(name, content)})


# --- the upload page -------------------------------------------------------------------


def test_upload_page_checks_then_imports_the_same_stored_file(dm_client, case_a):
    patient = case_a.patient
    with jobs_run():
        checked = upload(dm_client, case_file(patient, metastatic_sites=LIVER))
    check = latest_job()
    assert checked.url == reverse("registry:job-detail", args=[check.pk])
    assert (check.state, check.dry_run, check.input_name) == ("succeeded", True, "cases.json")
    assert not patient.metastaticsite_set.filter(category="liver").exists()  # checked only
    assert not any("content" in str(v) for v in dm_client.session.values())  # not in the session
    page = dm_client.get(checked.url)
    assert page.context["can_import"] and "Import cases.json now" in page.content.decode()

    with jobs_run():
        imported = dm_client.post(reverse("registry:import"), {"confirm": str(check.pk)})

    job = latest_job()
    assert imported.url == job.get_absolute_url()
    assert (job.state, job.dry_run, job.checked_by) == ("succeeded", False, check)
    assert job.summary["written"] and job.summary["created"] == {"metastatic sites": 1}
    assert bytes(job.input_content) == bytes(check.input_content)
    liver = patient.metastaticsite_set.get(category="liver")
    assert liver.history.get().history_change_reason == "Imported from cases.json"
    assert "Imported" in dm_client.get(imported.url).content.decode()


def test_a_check_with_errors_lists_them_where_they_are_and_offers_no_import(dm_client, case_a):
    patient = case_a.patient
    sites = [
        {"category": "moon", "detected_on": "2018-03-01", "confirmation": "imaging"},
        {"category": "liver", "detected_on": "1900-01-01", "confirmation": "imaging"},
    ]
    with jobs_run():
        response = upload(dm_client, case_file(patient, metastatic_sites=sites))

    job = latest_job()
    page = dm_client.get(response.url)
    assert job.state == "failed" and job.failure_reason == "2 errors: nothing was changed."
    fields = [(e["where"].split(" › ")[-1], e["field"]) for e in job.errors]
    assert fields == [("metastatic_sites[1]", "category"), ("metastatic_sites[2]", "detected_on")]
    assert not page.context["can_import"]
    assert "Import cases.json now" not in page.content.decode()
    assert dm_client.post(reverse("registry:import"), {"confirm": str(job.pk)}).status_code == 400
    assert Job.objects.count() == 1
    assert not patient.metastaticsite_set.filter(category__in=["moon", "liver"]).exists()


def test_only_ones_own_passed_check_can_be_imported(client, data_manager, case_a, centre_a):
    colleague = UserFactory(role=Role.DATA_MANAGER, centres=[centre_a])
    client.force_login(colleague)
    with jobs_run():
        upload(client, case_file(case_a.patient, metastatic_sites=LIVER))
    check = latest_job()
    client.force_login(data_manager)

    for confirm, status in ((str(check.pk), 404), ("not-a-job", 400), (str(uuid.uuid4()), 404)):
        response = client.post(reverse("registry:import"), {"confirm": confirm})
        assert response.status_code == status
    assert Job.objects.count() == 1


def test_a_file_over_the_limit_is_refused_at_the_field(dm_client, settings):
    settings.IMPORT_MAX_BYTES = 10
    response = upload(dm_client, b"[" + b" " * 20 + b"]")
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is larger than 0 MB."]
    assert not Job.objects.exists()


# --- states, progress, all or nothing --------------------------------------------------


def test_a_job_goes_from_queued_to_running_to_succeeded(api, data_manager, case_a, monkeypatch):
    seen = []
    import_cases = exchange.import_cases

    def spying_import(located, **kwargs):
        job = latest_job()
        seen.append((job.state, jobs.progress(job)["message"]))
        return import_cases(located, **kwargs)

    monkeypatch.setattr(exchange, "import_cases", spying_import)
    with queued_only():
        response = api.post("/api/import/?dry_run=true", {"file": file_of(case_a)})
    queued = api.get(response["Location"]).json()
    run_queued_jobs()
    done = api.get(response["Location"]).json()

    assert queued["state"] == "queued" and queued["started_at"] is None
    assert seen == [("running", "Checking 1 cases")]
    assert done["state"] == "succeeded" and done["finished_at"] is not None
    assert done["progress"] == {"done": 1, "total": 1, "message": "Checking case 1 of 1"}


def test_a_running_job_shows_the_workers_live_progress(data_manager):
    job = Job.objects.create(owner=data_manager, kind=Job.Kind.IMPORT, state=Job.State.RUNNING)
    with jobs.ProgressReporter(job) as reporter:
        reporter.report(0, 5, "Importing 5 cases")
        assert jobs.progress(job) == {"done": 0, "total": 5, "message": "Importing 5 cases"}
        reporter.report(3, 5, "Importing case 3 of 5")  # within the interval: not yet written
        assert jobs.progress(job)["done"] == 0
        reporter.report(5, 5, "Importing case 5 of 5")  # the last step always is
        assert jobs.progress(job) == {"done": 5, "total": 5, "message": "Importing case 5 of 5"}
    assert caches["jobs"].get(f"job-progress:{job.pk}") is None  # cleaned up at the end


def test_a_real_import_with_one_bad_case_writes_nothing(api, case_a, case_b, dm_b):
    document = exchange.export_document(Patient.objects.filter(pk=case_a.patient.pk))
    good = dict(document["cases"][0], registry_id="MBC-NEW01", record_number="N1")
    good.update(board_discussions=[], metastatic_sites=LIVER)
    bad = dict(document["cases"][0], centre="CB")  # another centre's code
    before = Patient.objects.count()
    with jobs_run():
        response = api.post("/api/import/", {"cases": [good, bad]}, format="json")

    job = api.get(response["Location"]).json()
    assert job["state"] == "failed" and job["summary"]["written"] is False
    assert [(e["where"], e["field"]) for e in job["errors"]] == [("case 2 (MBC-A0001)", "centre")]
    assert Patient.objects.count() == before
    assert not MetastaticSite.objects.filter(category="liver").exists()


def test_a_crash_mid_import_rolls_everything_back_and_says_so(api, case_a, monkeypatch):
    def crash(done, total):
        raise RuntimeError("disk on fire")

    import_cases = exchange.import_cases
    monkeypatch.setattr(
        exchange,
        "import_cases",
        lambda located, **kw: import_cases(located, **kw | {"progress": crash}),
    )
    document = json.loads(case_file(case_a.patient, registry_id="MBC-NEW02", record_number="N2"))
    document["cases"][0]["board_discussions"] = []
    with jobs_run():
        response = api.post("/api/import/", document, format="json")

    job = api.get(response["Location"]).json()
    assert job["state"] == "failed" and job["failure_reason"] == jobs.CRASH_REASON
    assert not Patient.objects.filter(registry_id="MBC-NEW02").exists()


def test_an_import_marked_failed_while_it_ran_is_rolled_back(api, case_a, monkeypatch, caplog):
    """A worker too slow to beat is failed by a reader; its import must then not commit."""

    def declared_dead(done, total):  # what a reader's fail_stale does from its connection
        Job.objects.filter(state=Job.State.RUNNING).update(state=Job.State.FAILED)

    import_cases = exchange.import_cases
    monkeypatch.setattr(
        exchange,
        "import_cases",
        lambda located, **kw: import_cases(located, **kw | {"progress": declared_dead}),
    )
    document = json.loads(case_file(case_a.patient, registry_id="MBC-NEW03", record_number="N3"))
    document["cases"][0]["board_discussions"] = []
    with jobs_run():
        api.post("/api/import/", document, format="json")

    assert "was marked failed while it ran; its work was rolled back" in caplog.text
    assert not Patient.objects.filter(registry_id="MBC-NEW03").exists()


def test_a_running_job_whose_worker_went_silent_is_failed_with_the_reason(
    client, data_manager, settings
):
    settings.JOBS_STALE_AFTER_SECONDS = 60
    job = Job.objects.create(owner=data_manager, kind=Job.Kind.IMPORT, input_name="a.json")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=job.created_at)
    beat = time.time()
    caches["jobs"].set(
        f"job-progress:{job.pk}", {"done": 7, "total": 9, "message": "Importing", "beat": beat}
    )
    try:
        assert jobs.fail_stale(now=beat + 59) == 0  # still beating
        assert jobs.fail_stale(now=beat + 61) == 1
    finally:
        caches["jobs"].delete(f"job-progress:{job.pk}")
    job.refresh_from_db()
    assert job.state == "failed" and (job.progress_done, job.progress_total) == (7, 9)
    assert job.failure_reason.startswith("The worker running this job stopped")
    assert "Nothing was changed" in job.failure_reason
    client.force_login(data_manager)
    assert "The worker running this job stopped" in client.get(job.get_absolute_url()).text


def test_reading_jobs_fails_those_without_a_heartbeat(client, data_manager, settings):
    settings.JOBS_STALE_AFTER_SECONDS = 0
    job = Job.objects.create(owner=data_manager, kind=Job.Kind.IMPORT, input_name="a.json")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=job.created_at)
    client.force_login(data_manager)
    assert "Failed" in client.get(reverse("registry:job-list")).text
    assert Job.objects.get(pk=job.pk).state == "failed"


def test_a_queue_that_cannot_be_reached_fails_the_job_at_once(api, case_a, monkeypatch):
    from registry import tasks

    class Unreachable:
        def using(self, **options):
            return self

        def enqueue(self, *args):
            raise ConnectionError("no queue")

    monkeypatch.setattr(tasks, "run_job", Unreachable())
    with queued_only():
        response = api.post("/api/import/", {"file": file_of(case_a)})
    job = api.get(response["Location"]).json()
    assert job["state"] == "failed" and "queue could not be reached" in job["failure_reason"]


# --- the API: 202 and the job's URL ----------------------------------------------------


def test_api_import_answers_202_with_the_jobs_url_and_the_job_tells_the_outcome(
    api, case_a, django_assert_max_num_queries
):
    with jobs_run():
        response = api.post(
            "/api/import/",
            case_file(case_a.patient, metastatic_sites=LIVER),
            content_type="application/json",
        )
    body = response.json()
    job = Job.objects.get()

    assert response.status_code == 202
    assert response["Location"] == body["url"] == f"/api/jobs/{job.pk}/"
    assert body["page"] == f"/jobs/{job.pk}/" and body["state"] == "queued"
    status = api.get(body["url"]).json()
    assert status["state"] == "succeeded" and status["errors"] == []
    assert status["summary"]["created"] == {"metastatic sites": 1}
    assert status["result_url"] is None
    assert case_a.patient.metastaticsite_set.filter(category="liver").exists()
    assert [j["id"] for j in api.get("/api/jobs/").json()["results"]] == [str(job.pk)]


def test_api_export_job_makes_the_file_to_download(api, case_a, case_b):
    with jobs_run():
        response = api.post("/api/export/?output=xlsx")
    assert response.status_code == 202
    status = api.get(response["Location"]).json()
    assert status["state"] == "succeeded" and status["summary"]["cases"] == 1

    download = api.get(status["result_url"])

    assert download["Content-Disposition"] == 'attachment; filename="mbc-cases.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(download.content))["patients"]
    registry_ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert registry_ids == ["MBC-A0001"]  # the own centre's case only


def test_api_export_filters_and_refuses_bad_ones(api, case_a):
    assert api.post("/api/export/?output=pdf").status_code == 400
    assert api.post("/api/export/?mbc_from=yesterday").status_code == 400
    assert not Job.objects.exists()


def test_an_analysts_export_is_deidentified(analyst, case_a):
    client = APIClient()
    client.force_authenticate(analyst)
    with jobs_run():
        response = client.post("/api/export/?output=json")
    document = json.loads(client.get(client.get(response["Location"]).json()["result_url"]).content)
    assert document["deidentified"] is True
    assert "record_number" not in document["cases"][0]
    assert case_a.patient.record_number not in json.dumps(document)


def test_an_identified_export_is_not_given_to_its_owner_once_they_lose_the_right(api, data_manager):
    with jobs_run():
        response = api.post("/api/export/?output=json")
    result_url = api.get(response["Location"]).json()["result_url"]
    data_manager.groups.clear()
    data_manager.groups.add(*UserFactory(role=Role.ANALYST).groups.all())
    del data_manager._registry_roles
    assert api.get(result_url).status_code == 404


# --- the export page and the lists -----------------------------------------------------


def test_export_page_starts_a_job_for_the_filtered_cases(dm_client, case_a):
    query = "presentation=recurrent"
    page = dm_client.get(f"{reverse('registry:export')}?{query}")
    assert page.status_code == 200 and page.context["count"] == 0
    with jobs_run():
        response = dm_client.post(f"{reverse('registry:export')}?{query}", {"output": "json"})
    job = latest_job()
    assert response.url == job.get_absolute_url()
    assert job.parameters["filters"] == {"presentation": ["recurrent"]}
    assert job.summary["cases"] == 0
    assert "Download mbc-cases.json" in dm_client.get(response.url).text


def test_job_list_shows_own_jobs_in_a_fixed_number_of_queries(
    client, data_manager, centre_a, django_assert_num_queries
):
    colleague = UserFactory(role=Role.DATA_MANAGER, centres=[centre_a])
    for owner, name in ((data_manager, "mine.json"), (colleague, "theirs.json")) * 3:
        Job.objects.create(owner=owner, kind=Job.Kind.IMPORT, dry_run=True, input_name=name)
    client.force_login(data_manager)
    client.get(reverse("registry:job-list"))  # the session and roles, once
    with django_assert_num_queries(6):
        page = client.get(reverse("registry:job-list")).text
    assert page.count("Check of mine.json") == 3 and "theirs.json" not in page


def test_the_job_page_polls_a_static_script_not_inline_code(dm_client, data_manager):
    job = Job.objects.create(owner=data_manager, kind=Job.Kind.IMPORT, input_name="a.json")
    page = dm_client.get(job.get_absolute_url()).text
    assert 'src="/static/registry/job.js"' in page
    assert f'data-status-url="/api/jobs/{job.pk}/"' in page
    assert "<progress" in page


def test_an_export_whose_filter_went_out_of_reach_fails_and_says_where(
    api, data_manager, centre_a, case_a
):
    with queued_only():
        response = api.post(f"/api/export/?centre={centre_a.pk}")
    data_manager.centre_memberships.all().delete()  # no longer a member of that centre
    run_queued_jobs()

    job = api.get(response["Location"]).json()
    assert job["state"] == "failed" and job["result_url"] is None
    assert [(e["where"], e["field"]) for e in job["errors"]] == [("filters", "centre")]


def test_a_jobs_status_is_read_in_a_fixed_number_of_queries(
    api, data_manager, django_assert_num_queries
):
    job = Job.objects.create(owner=data_manager, kind=Job.Kind.IMPORT, input_name="a.json")
    api.get(f"/api/jobs/{job.pk}/")
    with django_assert_num_queries(2):  # the running jobs' heartbeats, then the job
        assert api.get(f"/api/jobs/{job.pk}/").json()["state"] == "queued"
