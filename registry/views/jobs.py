"""A user's background jobs: the list, and each job's page (progress, errors, result)."""

from django.views.generic import DetailView, ListView

from registry import access, jobs
from registry.domain.quality_rules import RULE_BY_CODE

# An import's warnings shown on its page (the API's job summary has them all).
WARNINGS_SHOWN = 500


class JobListView(ListView):
    template_name = "registry/job_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        jobs.fail_stale()
        return (
            access.jobs(self.request.user)
            .select_related("owner")
            .defer("input_content", "result_content")
        )


class JobDetailView(DetailView):
    template_name = "registry/job_detail.html"
    context_object_name = "job"

    def get_object(self):
        jobs.fail_stale()
        queryset = access.jobs(self.request.user).defer("input_content", "result_content")
        return access.get_or_404(queryset.select_related("owner"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        job = self.object
        import_warnings = (
            (job.summary or {}).get("warnings", []) if job.kind == job.Kind.IMPORT else []
        )
        return super().get_context_data(
            progress=jobs.progress(job),
            imports=list(job.imports.order_by("-created_at")) if job.dry_run else [],
            warnings=[
                {**warning, "title": RULE_BY_CODE[warning["rule"]].title}
                for warning in import_warnings[:WARNINGS_SHOWN]
            ],
            warnings_total=len(import_warnings),
            can_import=(
                job.dry_run
                and job.state == job.State.SUCCEEDED
                and job.owner_id == self.request.user.pk
                and access.is_data_manager(self.request.user)
            ),
            **kwargs,
        )
