"""The registry's tasks (Django's tasks framework): one per job, run by any backend's worker."""

from django.conf import settings
from django_tasks import task

from . import jobs


@task(queue_name=settings.TASKS_QUEUE)
def run_job(job_id: str) -> None:
    jobs.run(job_id)
