from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"

    def ready(self):
        from registry import jobs
        from registry.models import Job

        from .snapshots import run_freeze_job

        jobs.register_runner(Job.Kind.SNAPSHOT, run_freeze_job)
