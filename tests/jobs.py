"""Run background jobs inside a test: started as if committed, then worked off by the
database backend's own worker loop, in this process and this test's transaction."""

from contextlib import contextmanager
from unittest import mock

from django.conf import settings
from django.core.management import call_command
from django.test import TestCase
from django_tasks_db.management.commands import db_worker

from registry.models import Job


def run_queued_jobs() -> None:
    # The worker closes "old" connections between tasks; here that would end the test's
    # transaction, so it keeps the connection the test holds.
    with mock.patch.object(db_worker, "close_old_connections"):
        call_command(
            "db_worker",
            batch=True,
            reload=False,
            startup_delay=False,
            queue_name=settings.TASKS_QUEUE,
            verbosity=0,
        )


@contextmanager
def jobs_run():
    """Jobs started inside are queued on leaving (as on commit), then run to their end."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
    run_queued_jobs()


def latest_job() -> Job:
    return Job.objects.latest("created_at")
