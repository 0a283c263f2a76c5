"""Analysis snapshots: an analysis frozen at a data cut-off, reopened identically ever after.

Freezing (a background job) re-derives every selected patient from the records at the
cut-off (`registry.derived.derive_at_cutoff`, the one derivation) in batches, and stores the
rows of every analysis dataset (`analytics.columns.DATASETS`) in the database as compressed
chunks; the reports are then computed from those stored rows by the reports' own code
(`snapshot_cohort` builds the Cohort they take) and kept as the JSON text they were
written as. Nothing a snapshot shows is read from the live registry again.
docs/decisions/0020-analysis-snapshots.md has the choices.
"""

import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from registry import access, jobs
from registry.derived import derive_at_cutoff
from registry.domain.quality_rules import CR_STEP_INPUTS, OPD_STEP_INPUTS, SUBTYPE_INPUTS
from registry.models import Job, Patient
from registry.selectors import data_version, not_recorded_counts

from .catalogue import REPORTS, ReportSpec
from .cohorts import (
    DERIVED_PATIENT_COLUMNS,
    PATIENT_ROW_LOOKUPS,
    Cohort,
    Frozen,
    patient_row_head,
)
from .columns import DATASETS
from .computed import report_result
from .filters import CohortFilter, CohortFilterSet
from .models import Snapshot, SnapshotChunk, SnapshotResult
from .quality import cohort_quality, patients_in_doubt
from .reports.common import SUBTYPE

BATCH_SIZE = 2000
FUTURE_CUTOFF = "The data cut-off cannot be after today: the registry cannot know it yet."
NO_CENTRE = "You see no centre: there is nothing to freeze."


class DatasetNotFrozen(LookupError):
    """A report needs a dataset this snapshot was frozen without (it did not exist then)."""


# --- who sees which snapshot ----------------------------------------------------------


def visible_snapshots(user) -> QuerySet[Snapshot]:
    """Analysts and auditors see the snapshots whose every centre they see; data managers none."""
    if not access.can_view_reports(user):
        return Snapshot.objects.none()
    return access.within_visible_centres(user, Snapshot.objects.all(), "centres")


# --- starting a freeze ----------------------------------------------------------------


def start_freeze(*, user, name: str, data_cutoff: date, filters: CohortFilter) -> Snapshot:
    """Number a new snapshot and queue its freezing; the caller has checked the filters."""
    if data_cutoff > timezone.localdate():
        raise ValidationError({"data_cutoff": [FUTURE_CUTOFF]})
    centres = access.visible_centres(user)
    if filters.centres:
        centres = centres.filter(code__in=filters.centres)
    centre_ids = list(centres.values_list("pk", flat=True))
    if not centre_ids:
        raise ValidationError({"centre": [NO_CENTRE]})
    with transaction.atomic():
        snapshot = _numbered(
            name=name, analyst=user, data_cutoff=data_cutoff, filters=filters.as_dict()
        )
        snapshot.centres.set(centre_ids)
        snapshot.job = jobs.start(
            Job(owner=user, kind=Job.Kind.SNAPSHOT, parameters={"snapshot": snapshot.code})
        )
        snapshot.save(update_fields=["job"])
    return snapshot


def _numbered(**fields) -> Snapshot:
    """The next number of the year (SNAP-2026-0001, ...); two at once: the second retries."""
    year = timezone.localdate().year
    for _ in range(5):
        latest = Snapshot.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0
        number = latest + 1
        try:
            with transaction.atomic():
                return Snapshot.objects.create(
                    year=year, number=number, code=f"SNAP-{year}-{number:04d}", **fields
                )
        except IntegrityError:
            continue
    raise IntegrityError("No free snapshot number after five tries.")


# --- freezing (the job) ---------------------------------------------------------------


@contextmanager
def _one_consistent_read():
    """A transaction whose reads all see the registry as it was at its start (PostgreSQL's
    repeatable read; SQLite's one transaction already does), so an edit made while a large
    snapshot freezes is wholly in it or wholly out."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def run_freeze_job(job: Job, reporter: jobs.ProgressReporter) -> None:
    snapshot = Snapshot.objects.get(code=job.parameters["snapshot"])

    def batch_done(done: int, total: int) -> None:
        reporter.report(done, total, f"Derived {done} of {total} patients at the cut-off")

    with _one_consistent_read():
        reporter.report(0, None, "Selecting the patients")
        freeze(snapshot, progress=batch_done)
        reporter.report(reporter.done, reporter.total, "Computing the reports")
        for spec in REPORTS.values():
            for by_centre in (False, True):
                snapshot_result(snapshot, spec, by_centre=by_centre)
        jobs.finish(
            job,
            reporter,
            state=Job.State.SUCCEEDED,
            summary={
                "snapshot": snapshot.code,
                "patients": snapshot.selection["patients_selected"],
            },
        )


# Every selection step whose doubt a report states: its patients in doubt are frozen too,
# so a snapshot's in-doubt counts and the lists behind them stay those of the freeze.
REPORT_STEPS = {**CR_STEP_INPUTS, **OPD_STEP_INPUTS, SUBTYPE: SUBTYPE_INPUTS}


def freeze(snapshot: Snapshot, *, progress: Callable[[int, int], None] | None = None) -> None:
    """Derive, store and stamp the snapshot's datasets, in the caller's transaction.

    Batches of BATCH_SIZE patients in registry-ID order: memory holds one batch's records
    and rows at a time, whatever the number of patients, and the stored rows are in the
    live cohort's order.
    """
    filters = CohortFilter.from_dict(snapshot.filters)
    covered = Patient.objects.filter(centre__in=snapshot.centres.values("pk")).active()
    # The subtype is the patient's at the cut-off (a later assessment may change it).
    selected = CohortFilterSet.apply(covered, replace(filters, subtype=""))
    order = [pk for _, pk in sorted(selected.values_list("registry_id", "pk"))]
    snapshot.frozen_at = timezone.now().replace(microsecond=0)
    writer = _ChunkWriter(snapshot)
    counts = Counter()
    quality = Counter()
    in_doubt: dict[str, set[str]] = {str(step): set() for step in REPORT_STEPS}
    not_recorded: dict[str, dict] = {}
    for start in range(0, len(order), BATCH_SIZE):
        batch = Patient.objects.filter(pk__in=order[start : start + BATCH_SIZE])
        rows, kept, after_cutoff = _batch_rows(batch, snapshot.data_cutoff, filters.subtype)
        writer.write(rows)
        counts.update(selected=len(kept), after_cutoff=after_cutoff)
        quality.update(cohort_quality(kept))
        for step, registry_ids in patients_in_doubt(kept, REPORT_STEPS).items():
            in_doubt[str(step)] |= registry_ids
        for key, figures in not_recorded_counts(Patient.objects.filter(pk__in=kept)).items():
            total = not_recorded.setdefault(
                key, {**figures, "records": 0, "of_records": 0, "patients": 0}
            )
            for part in ("records", "of_records", "patients"):
                total[part] += figures[part]
        if progress:
            progress(min(start + BATCH_SIZE, len(order)), len(order))
    if not order:  # an empty selection still has its quality and not-recorded shapes
        quality.update(cohort_quality([]))
        not_recorded = not_recorded_counts(Patient.objects.none())
    snapshot.data_version = data_version()
    snapshot.selection = {
        "patients_visible": covered.count(),
        "patients_selected": counts["selected"],
        "diagnosed_after_cutoff": counts["after_cutoff"],
    }
    snapshot.quality = dict(quality)
    snapshot.in_doubt = {step: sorted(registry_ids) for step, registry_ids in in_doubt.items()}
    snapshot.not_recorded = not_recorded
    snapshot.datasets = writer.catalogue()
    snapshot.state = Snapshot.State.READY
    snapshot.save()


def _add_not_recorded(total: dict, batch: dict) -> None:
    """Sum a batch's not-recorded counts into the snapshot's (the batches are disjoint)."""
    for key, figures in batch.items():
        summed = total.setdefault(key, {**figures, "records": 0, "of_records": 0, "patients": 0})
        for part in ("records", "of_records", "patients"):
            summed[part] += figures[part]


def _batch_rows(
    batch: QuerySet[Patient], cutoff: date, subtype: str
) -> tuple[dict[str, list[tuple]], list[int], int]:
    """Every dataset's rows of one batch (in registry-ID order), the patients kept, and how
    many were left out as diagnosed after the cut-off."""
    heads = {
        pk: patient_row_head(tuple(row))
        for pk, *row in batch.values_list("pk", *PATIENT_ROW_LOOKUPS)
    }
    rows: dict[str, list[tuple]] = {name: [] for name in DATASETS}
    kept, after_cutoff = [], 0
    for pk, facts in derive_at_cutoff(batch, cutoff).items():
        if facts is None:
            after_cutoff += 1
            continue
        if subtype and facts.patient["subtype"] != subtype:
            continue
        head = heads[pk]
        kept.append(pk)
        rows["patients"].append((*head, *(facts.patient[c] for c in DERIVED_PATIENT_COLUMNS)))
        for name, columns in DATASETS.items():
            if name != "patients":
                own = list(columns)[2:]
                rows[name] += [(*head[:2], *(r[c] for c in own)) for r in getattr(facts, name)]
    for name, dataset_rows in rows.items():
        # As the live cohort orders them: registry ID, then the row's first own column.
        dataset_rows.sort(key=lambda row: row[:1] if name == "patients" else row[:3])
    return rows, kept, after_cutoff


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"Not storable in a snapshot: {value!r}")


class _ChunkWriter:
    """Writes each batch's rows as one compressed chunk per dataset, and notes which columns
    hold dates (JSON has no date type: they are read back as dates)."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.positions = Counter()
        self.rows = Counter()
        self.date_columns: dict[str, set[int]] = {name: set() for name in DATASETS}

    def write(self, rows: dict[str, list[tuple]]) -> None:
        chunks = []
        for name, dataset_rows in rows.items():
            if not dataset_rows:
                continue
            for row in dataset_rows:
                self.date_columns[name].update(
                    i for i, value in enumerate(row) if isinstance(value, date)
                )
            text = json.dumps(dataset_rows, default=_json_value, allow_nan=False)
            chunks.append(
                SnapshotChunk(
                    snapshot=self.snapshot,
                    dataset=name,
                    position=self.positions[name],
                    rows=zlib.compress(text.encode(), 6),
                )
            )
            self.positions[name] += 1
            self.rows[name] += len(dataset_rows)
        SnapshotChunk.objects.bulk_create(chunks)

    def catalogue(self) -> dict:
        return {
            name: {
                "columns": list(columns),
                "date_columns": [list(columns)[i] for i in sorted(self.date_columns[name])],
                "rows": self.rows[name],
            }
            for name, columns in DATASETS.items()
        }


# --- reading a snapshot ---------------------------------------------------------------


def _stored(snapshot: Snapshot, names: list[str]) -> dict[str, list]:
    """The datasets' rows as stored (dates as ISO text): one query."""
    missing = [name for name in names if name not in snapshot.datasets]
    if missing:
        raise DatasetNotFrozen(
            f"{snapshot.code} was frozen before the dataset '{missing[0]}' existed."
        )
    rows: dict[str, list] = {name: [] for name in names}
    chunks = snapshot.chunks.filter(dataset__in=names).order_by("dataset", "position")
    for name, content in chunks.values_list("dataset", "rows"):
        rows[name] += json.loads(zlib.decompress(bytes(content)))
    return rows


def stored_rows(snapshot: Snapshot, name: str) -> tuple[list[str], list[list]]:
    """One dataset's columns and rows, exactly as stored (JSON values, dates as ISO text)."""
    rows = _stored(snapshot, [name])[name]
    return snapshot.datasets[name]["columns"], rows


def stored_frames(snapshot: Snapshot, names: Iterable[str] | None = None) -> dict:
    """The snapshot's datasets as DataFrames, as they were frozen (one query)."""
    names = list(snapshot.datasets if names is None else names)
    rows = _stored(snapshot, names)
    frames = {}
    for name in names:
        described = snapshot.datasets[name]
        frame = pd.DataFrame(rows[name], columns=described["columns"])
        for column in described["date_columns"]:
            frame[column] = [None if v is None else date.fromisoformat(v) for v in frame[column]]
        frames[name] = frame
    return frames


def stamp(snapshot: Snapshot) -> dict:
    """The snapshot as every report, figure and download made from it names it."""
    return {
        "id": snapshot.code,
        "name": snapshot.name,
        "frozen_at": snapshot.frozen_at.isoformat(timespec="seconds"),
        "frozen_by": snapshot.analyst.get_username(),
        "data_cutoff": snapshot.data_cutoff.isoformat(),
        "data_version": snapshot.data_version,
        "centres": sorted(snapshot.centres.values_list("code", flat=True)),
    }


def snapshot_cohort(snapshot: Snapshot) -> Cohort:
    """The Cohort of a frozen snapshot, from its stored datasets: what every report, the
    drill-down and the analysis package take, exactly as they take a live cohort."""
    frames = stored_frames(snapshot, DATASETS)
    return Cohort(
        filters=CohortFilter.from_dict(snapshot.filters),
        patients=frames.pop("patients"),
        records=frames,
        selection=snapshot.selection,
        frozen=Frozen(
            snapshot=stamp(snapshot),
            frozen_at=snapshot.frozen_at,
            data_cutoff=snapshot.data_cutoff,
            not_recorded=snapshot.not_recorded,
            quality=snapshot.quality,
            in_doubt=snapshot.in_doubt,
        ),
    )


def snapshot_result(snapshot: Snapshot, spec: ReportSpec, *, by_centre: bool) -> dict:
    """A report of the snapshot: computed once from its datasets, then always read back
    from the JSON text stored (one query)."""
    stored = (
        SnapshotResult.objects.filter(snapshot=snapshot, report=spec.name, by_centre=by_centre)
        .values_list("result", flat=True)
        .first()
    )
    if stored is None:
        result = report_result(spec, snapshot_cohort(snapshot), by_centre=by_centre)
        stored = json.dumps(result, allow_nan=False)
        SnapshotResult.objects.bulk_create(
            [
                SnapshotResult(
                    snapshot=snapshot, report=spec.name, by_centre=by_centre, result=stored
                )
            ],
            ignore_conflicts=True,  # computed at once elsewhere: the same bytes
        )
    return json.loads(stored)
