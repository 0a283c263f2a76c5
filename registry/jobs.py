"""Background jobs: start them, run them in a worker, follow their progress.

A job is started here (its row, with the uploaded file or the export's filters, and its task
enqueued once the row is committed), run by `registry.tasks.run_job` on whichever task
backend the settings name, and read through `registry.access.jobs`. The work itself is the
exchange module's: a job only calls `exchange.import_cases` / `exchange.export_document`
(`interop.fhir.checked_bundle` for FHIR bundles) and passes on their progress.

An import job writes its outcome in the same transaction as the import, so "succeeded"
means "written" and a worker killed half-way leaves the database as it was; the job then
stops sending heartbeats and `fail_stale` marks it failed with the reason.
"""

import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from . import access, exchange, finding_services
from .filters import PatientFilter
from .interop import fhir, redcap
from .models import Job

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_OUTPUTS = {"json": "application/json", "xlsx": XLSX, "fhir": fhir.CONTENT_TYPE}
EXPORT_FILE_NAMES = {
    "json": "mbc-cases.json",
    "xlsx": "mbc-cases.xlsx",
    "fhir": "mbc-cases.fhir.json",
}
STALE_REASON = (
    "The worker running this job stopped (no sign of life since {since:%Y-%m-%d %H:%M:%S} "
    "UTC). Nothing was changed: an import is saved whole or not at all. Start it again."
)
CRASH_REASON = (
    "An unexpected error stopped this job; nothing was changed. The worker's log has the "
    "details for the administrators."
)
# A job's live progress is written at most this often (a first and a last step always).
PROGRESS_INTERVAL_SECONDS = 0.5


class JobAbandoned(Exception):
    """The job was marked failed while it ran (no heartbeat): its work must not commit."""


# --- starting ---------------------------------------------------------------------------


def start_import(*, user, name: str, content: bytes, dry_run: bool) -> Job:
    """Keep the uploaded file as the job's input and queue its check or import."""
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise exchange.ExchangeFileError(
            f"The file is larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB."
        )
    return _start(
        Job(
            owner=user,
            kind=Job.Kind.IMPORT,
            dry_run=dry_run,
            input_name=name[:255],
            input_content=content,
        )
    )


def start_redcap_import(*, user, files: redcap.ProjectFiles, dry_run: bool) -> Job:
    """Keep a REDCap project's three files as the job's input and queue its check or import."""
    if sum(len(content) for _, content in (files.dictionary, files.records, files.mapping)) > (
        settings.IMPORT_MAX_BYTES
    ):
        raise exchange.ExchangeFileError(
            f"The files are larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB together."
        )
    return _start(
        Job(
            owner=user,
            kind=Job.Kind.IMPORT,
            dry_run=dry_run,
            parameters={"source": "redcap", "files": files.names},
            input_name=f"REDCap project {files.names['records']}"[:255],
            input_content=files.bundle(),
        )
    )


def _redcap_files(job: Job) -> redcap.ProjectFiles | None:
    if job.parameters.get("source") != "redcap":
        return None
    return redcap.ProjectFiles.unbundle(bytes(job.input_content), job.parameters["files"])


def start_import_of_checked(*, user, check: Job) -> Job:
    """Import the very file a clean dry run checked (read from that job, never re-uploaded)."""
    if not (check.kind == Job.Kind.IMPORT and check.dry_run and check.owner_id == user.pk):
        raise ValidationError("Only your own check of a file can be imported.")
    if check.state != Job.State.SUCCEEDED:
        raise ValidationError("Only a file whose check passed can be imported.")
    return _start(
        Job(
            owner=user,
            kind=Job.Kind.IMPORT,
            dry_run=False,
            checked_by=check,
            parameters=check.parameters,
            input_name=check.input_name,
            input_content=bytes(check.input_content),
        )
    )


def export_filters(user, query: QueryDict) -> PatientFilter:
    """The patient list's filters, for this user, as the export will apply them."""
    return PatientFilter(query, queryset=access.patients(user), request=SimpleNamespace(user=user))


def start_export(*, user, query: QueryDict, output: str) -> Job:
    """Queue an export of the cases the patient-list filters in `query` select."""
    if output not in EXPORT_OUTPUTS:
        raise ValidationError({"output": ["Use json, xlsx or fhir."]})
    filters = export_filters(user, query)
    if not filters.is_valid():
        raise ValidationError(filters.errors)
    return _start(
        Job(
            owner=user,
            kind=Job.Kind.EXPORT,
            parameters={
                "output": output,
                "filters": {k: query.getlist(k) for k in query if k not in ("output", "page")},
                "deidentified": not access.sees_identifying_data(user),
            },
        )
    )


def start_rules_run(*, user) -> Job:
    """Queue a run of every data-quality rule over the whole registry."""
    if not access.may_raise_queries(user):
        raise ValidationError("Only auditors and administrators run the rules.")
    return _start(Job(owner=user, kind=Job.Kind.RULES))


def _start(job: Job) -> Job:
    with transaction.atomic():
        job.save()
        transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: Job) -> None:
    from .tasks import run_job

    try:
        result = run_job.using(queue_name=settings.TASKS_QUEUE).enqueue(str(job.pk))
    except Exception:  # a queue that cannot be reached must not leave the job "queued"
        logger.exception("Job %s could not be queued", job.pk)
        Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
            state=Job.State.FAILED,
            finished_at=timezone.now(),
            failure_reason="The job queue could not be reached; nothing was changed. "
            "Start the job again, or tell the administrators if this persists.",
        )
        return
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))


# --- progress ---------------------------------------------------------------------------


def _progress_key(job_id) -> str:
    return f"job-progress:{job_id}"


class ProgressReporter:
    """A running job's progress and heartbeat, in the cache every worker and web server share.

    A thread beats every JOBS_HEARTBEAT_SECONDS whatever the work is doing; it dies with the
    worker, so a silent job is a dead one.
    """

    def __init__(self, job: Job):
        self.key = _progress_key(job.pk)
        self.done, self.total, self.message = 0, None, ""
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._written_at = 0.0
        self._beater = threading.Thread(target=self._beat, name=f"job-{job.pk}", daemon=True)

    def __enter__(self):
        self._write()
        self._beater.start()
        return self

    def __exit__(self, *exc_info):
        self._stopped.set()
        self._beater.join()
        caches["jobs"].delete(self.key)

    def report(self, done: int, total: int | None, message: str) -> None:
        with self._lock:
            self.done, self.total, self.message = done, total, message[:200]
        if done in (0, total) or time.monotonic() - self._written_at >= PROGRESS_INTERVAL_SECONDS:
            self._write()

    def _write(self) -> None:
        with self._lock:
            value = {"done": self.done, "total": self.total, "message": self.message}
        value.update(beat=time.time(), pid=os.getpid())  # which process runs it, for operators
        caches["jobs"].set(self.key, value, timeout=24 * 60 * 60)
        self._written_at = time.monotonic()

    def _beat(self) -> None:
        while not self._stopped.wait(settings.JOBS_HEARTBEAT_SECONDS):
            self._write()


def progress(job: Job) -> dict:
    """done/total/message: live from the worker while the job runs, else as it ended."""
    if job.state == Job.State.RUNNING:
        live = caches["jobs"].get(_progress_key(job.pk))
        if live:
            return {k: live[k] for k in ("done", "total", "message")}
    return {"done": job.progress_done, "total": job.progress_total, "message": job.progress_message}


def fail_stale(*, now: float | None = None) -> int:
    """Mark failed every running job whose worker has been silent too long; how many."""
    now = time.time() if now is None else now
    failed = 0
    for job in Job.objects.filter(state=Job.State.RUNNING).only("pk", "started_at"):
        live = caches["jobs"].get(_progress_key(job.pk)) or {}
        last_sign = live.get("beat") or job.started_at.timestamp()
        if now - last_sign <= settings.JOBS_STALE_AFTER_SECONDS:
            continue
        failed += Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
            state=Job.State.FAILED,
            finished_at=timezone.now(),
            failure_reason=STALE_REASON.format(since=datetime.fromtimestamp(last_sign, UTC)),
            progress_done=live.get("done", 0),
            progress_total=live.get("total"),
            progress_message=live.get("message", ""),
        )
    return failed


# --- running ----------------------------------------------------------------------------


def run(job_id: str) -> None:
    """Run one queued job to its end (called by the task, in a worker)."""
    fail_stale()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("Job %s is not queued any more; not run again", job_id)
        return
    job = Job.objects.select_related("owner").get(pk=job_id)
    with ProgressReporter(job) as reporter:
        try:
            RUNNERS[job.kind](job, reporter)
        except JobAbandoned:
            logger.warning(
                "Job %s was marked failed while it ran; its work was rolled back", job_id
            )
        except Exception:
            _finish(job, reporter, state=Job.State.FAILED, failure_reason=CRASH_REASON)
            raise


def _finish(job: Job, reporter: ProgressReporter, *, state: str, **outcome) -> None:
    """Write the job's end, in the caller's transaction; refuse if it is no longer running."""
    updated = Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=state,
        finished_at=timezone.now(),
        progress_done=reporter.done,
        progress_total=reporter.total,
        progress_message=reporter.message,
        **outcome,
    )
    if not updated:
        raise JobAbandoned(job.pk)


def _run_import(job: Job, reporter: ProgressReporter) -> None:
    reporter.report(0, None, "Reading the file")
    files = _redcap_files(job)
    try:
        if files is not None:  # a REDCap project, converted to cases (docs/redcap.md)
            prepared = redcap.read_project(files)
            total = prepared.cases
        else:
            located = exchange.read_named(job.input_name, bytes(job.input_content))
            total = len(located)
    except exchange.ExchangeFileError as error:
        _finish(
            job,
            reporter,
            state=Job.State.FAILED,
            errors=[{"where": "file", "field": "file", "message": str(error)}],
            failure_reason="The file cannot be read: nothing was changed.",
        )
        return
    verb = "Checking" if job.dry_run else "Importing"
    reporter.report(0, total, f"{verb} {total} cases")

    def case_done(done: int, total: int) -> None:
        reporter.report(done, total, f"{verb} case {done} of {total}")

    with transaction.atomic():  # the import and the job's outcome commit together
        if files is not None:
            result = redcap.import_project(
                prepared,
                user=job.owner,
                dry_run=job.dry_run,
                reason=redcap.import_reason(files),
                progress=case_done,
            )
        else:
            result = exchange.import_cases(
                located,
                user=job.owner,
                dry_run=job.dry_run,
                reason=f"Imported from {job.input_name}",
                progress=case_done,
            )
        summary = result.as_dict()
        errors = summary.pop("errors")
        count = len(errors)
        _finish(
            job,
            reporter,
            state=Job.State.SUCCEEDED if result.ok else Job.State.FAILED,
            summary=summary,
            errors=errors,
            failure_reason=""
            if result.ok
            else f"{count} error{'s' if count != 1 else ''}: nothing was changed.",
        )


def _run_export(job: Job, reporter: ProgressReporter) -> None:
    query = QueryDict(mutable=True)
    for name, values in job.parameters["filters"].items():
        query.setlist(name, values)
    filters = export_filters(job.owner, query)
    if not filters.is_valid():  # valid when started; a centre may have gone out of reach
        _finish(
            job,
            reporter,
            state=Job.State.FAILED,
            errors=[
                {"where": "filters", "field": name, "message": message}
                for name, messages in filters.errors.items()
                for message in messages
            ],
            failure_reason="The filters do not apply any more: nothing was exported.",
        )
        return
    patients = filters.qs
    deidentified = job.parameters["deidentified"] or not access.sees_identifying_data(job.owner)
    total = patients.count()
    reporter.report(0, total, f"Reading {total} cases")
    output = job.parameters["output"]
    if output == "fhir":
        document = fhir.checked_bundle(patients, deidentified=deidentified)
        count = total
        reporter.report(total, total, "Writing the FHIR bundle")
        content = fhir.bundle_bytes(document)
    else:
        document = exchange.export_document(patients, deidentified=deidentified)
        count = len(document["cases"])
        reporter.report(total, total, f"Writing the {output.upper()} file")
        if output == "json":
            content = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
        else:
            tables = exchange.cases_to_tables(document["cases"])
            content = exchange.tables_to_xlsx(tables, deidentified=deidentified)
    _finish(
        job,
        reporter,
        state=Job.State.SUCCEEDED,
        summary={"cases": count, "deidentified": deidentified},
        result_name=EXPORT_FILE_NAMES[output],
        result_content_type=EXPORT_OUTPUTS[output],
        result_content=content,
    )


def _run_rules(job: Job, reporter: ProgressReporter) -> None:
    """Each batch commits on its own (findings are derived: a rerun completes a broken run)."""
    reporter.report(0, None, "Reading the patients")

    def batch_done(done: int, total: int) -> None:
        reporter.report(done, total, f"Rules checked for {done} of {total} patients")

    totals = finding_services.rules_run(progress=batch_done)
    with transaction.atomic():
        _finish(
            job,
            reporter,
            state=Job.State.SUCCEEDED,
            summary={
                "new": totals["new"],
                "fixed": totals["fixed"],
                "rules": finding_services.counts_by_rule_all(),
            },
        )


RUNNERS = {Job.Kind.IMPORT: _run_import, Job.Kind.EXPORT: _run_export, Job.Kind.RULES: _run_rules}


# --- jobs of other apps -----------------------------------------------------------------
# `registry` never imports `analytics`: an app with a job of its own registers its runner
# (from its AppConfig.ready) and starts and ends its jobs through these.


def register_runner(kind: str, runner) -> None:
    RUNNERS[kind] = runner


def start(job: Job) -> Job:
    """Save a new job and queue it once committed."""
    return _start(job)


def finish(job: Job, reporter: ProgressReporter, *, state: str, **outcome) -> None:
    """A runner's end of its job, in its own transaction (see `_finish`)."""
    _finish(job, reporter, state=state, **outcome)
