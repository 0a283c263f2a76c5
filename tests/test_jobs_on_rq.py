"""The same job tasks on RQ with a real Redis, chosen by settings alone.

The job is enqueued by the application as configured for TASKS_BACKEND=rq and run by RQ's
own worker (the in-process SimpleWorker, so it sees this test's database). The killed-worker
case on RQ is in tests/test_crash_during_import.py.
"""

import json
import os
import subprocess
import sys
import uuid

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django_tasks import TaskResultStatus
from rest_framework.test import APIClient
from rq import SimpleWorker

from registry import exchange, tasks
from registry.models import Job, Patient
from tests.test_crash_during_import import ROOT, redis_url_or_skip

pytestmark = pytest.mark.django_db


@pytest.fixture
def rq_queue(settings):
    """RQ as TASKS_BACKEND=rq configures it, on a queue of this test's own."""
    url = redis_url_or_skip()
    name = f"test-{uuid.uuid4().hex[:10]}"
    settings.TASKS_QUEUE = name
    settings.RQ_QUEUES = {q: {"URL": url, "DEFAULT_TIMEOUT": 3600} for q in ("default", name)}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    queue = django_rq.get_queue(name)
    yield queue
    queue.empty()
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


def test_an_import_job_runs_on_rq(rq_queue, data_manager, case_a):
    from django_tasks_rq import Job as TaskJob

    client = APIClient()
    client.force_authenticate(data_manager)
    content = exchange.export_document(Patient.objects.filter(pk=case_a.patient.pk))
    content["cases"][0]["metastatic_sites"] = [
        {"category": "liver", "detected_on": "2018-03-01", "confirmation": "imaging"}
    ]
    upload = SimpleUploadedFile("cases.json", json.dumps(content).encode())
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/api/import/", {"file": upload})
    job = Job.objects.get()
    assert response.status_code == 202
    assert job.state == "queued" and rq_queue.job_ids == [job.task_id]

    worker = SimpleWorker([rq_queue], connection=rq_queue.connection, job_class=TaskJob)
    assert worker.work(burst=True)

    status = client.get(response["Location"]).json()
    assert status["state"] == "succeeded"
    assert status["summary"]["created"] == {"metastatic sites": 1}
    assert case_a.patient.metastaticsite_set.filter(category="liver").exists()
    assert tasks.run_job.get_result(job.task_id).status == TaskResultStatus.SUCCESSFUL


def test_the_rq_settings_pass_the_task_backends_checks():
    env = {
        **os.environ,
        "TASKS_BACKEND": "rq",
        "REDIS_URL": redis_url_or_skip(),
        "DATABASE_URL": "sqlite:///:memory:",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
