"""python manage.py jobs_worker [--batch]: run the registry's background jobs."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from registry import jobs


class Command(BaseCommand):
    help = (
        "Run background jobs (imports, exports) from the queue the settings name: the "
        "database's (default) or RQ's (TASKS_BACKEND=rq). Start as many as there are cores to "
        "spare; each runs one job at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Run the jobs already queued, then exit."
        )

    def handle(self, *args, batch=False, verbosity=1, **options):
        # A job left "running" by a killed worker is failed now, not at its next reading.
        if failed := jobs.fail_stale():
            self.stderr.write(f"{failed} job(s) of a stopped worker marked failed.")
        if settings.TASKS_BACKEND == "rq":
            call_command(
                "rqworker",
                settings.TASKS_QUEUE,
                job_class="django_tasks_rq.Job",
                burst=batch,
                verbosity=verbosity,
            )
        else:
            call_command(
                "db_worker",
                queue_name=settings.TASKS_QUEUE,
                batch=batch,
                reload=False,
                startup_delay=False,
                verbosity=verbosity,
            )
