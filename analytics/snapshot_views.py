"""Snapshot pages: the list, the freeze form, a snapshot with its reports, figures, downloads
and datasets (all from what it froze), and the diff between two snapshots."""

import pandas as pd
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from registry import spreadsheets
from registry.widgets import INVALID_DATE, ClinicalDateInput

from . import downloads, plots, snapshots
from .catalogue import REPORTS
from .columns import DATASETS
from .filters import CohortFilterSet
from .models import Snapshot
from .package import analysis_package
from .snapshot_diff import diff_table, snapshot_diff
from .tables import report_tables
from .views import DrillSource, PatientsBehindView, ReportAccessMixin

SNAPSHOT_ID_COLUMN = {"snapshot_id": "The snapshot these rows were frozen in"}
FALSE_VALUES = ("", "0", "false", "False", "off")
PAGE_ROWS = 500  # per list on the diff page; the CSV and JSON have every patient


class SnapshotForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What the analysis is for, e.g. a paper.")
    data_cutoff = forms.DateField(
        label="Data cut-off",
        widget=ClinicalDateInput(),
        error_messages={"invalid": INVALID_DATE},
        help_text="Events after this date are ignored; follow-up is censored at it.",
    )


def freeze_from(user, data) -> tuple[Snapshot | None, SnapshotForm, CohortFilterSet]:
    """Validate the name, cut-off and filters and start the freeze: the page's and the API's
    one path. Errors are left on the forms (nothing is started)."""
    form = SnapshotForm(data)
    filters = CohortFilterSet(data, user=user)
    if not (form.is_valid() & filters.is_valid()):  # both checked: every error is shown
        return None, form, filters
    try:
        snapshot = snapshots.start_freeze(
            user=user,
            name=form.cleaned_data["name"],
            data_cutoff=form.cleaned_data["data_cutoff"],
            filters=filters.cohort_filter(),
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            target = form if field in form.fields else filters.form
            for message in messages:
                target.add_error(field if field in target.fields else None, message)
        return None, form, filters
    return snapshot, form, filters


class SnapshotMixin(ReportAccessMixin):
    def snapshot(self, *, frozen: bool = True) -> Snapshot:
        """The snapshot of the URL if the user sees it (else 404, like a missing one)."""
        snapshot = snapshots.visible_snapshots(self.request.user).filter(
            code=self.kwargs["snapshot"]
        )
        found = snapshot.select_related("job").first()
        if found is None or (frozen and found.state != Snapshot.State.READY):
            raise Http404("No frozen snapshot with this ID.")
        return found

    def by_centre(self) -> bool:
        return self.request.GET.get("by_centre", "") not in FALSE_VALUES

    def result(self, snapshot: Snapshot) -> dict:
        return snapshots.snapshot_result(snapshot, self.spec(), by_centre=self.by_centre())


def _attachment(content: bytes, fmt: str, snapshot_id: str, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{snapshot_id}-{stem}.{fmt}"'
    return response


class SnapshotListView(ReportAccessMixin, ListView):
    template_name = "analytics/snapshot_list.html"
    context_object_name = "snapshots"
    paginate_by = 50

    def get_queryset(self):
        return (
            snapshots.visible_snapshots(self.request.user)
            .select_related("analyst", "job")
            .prefetch_related("centres")
        )


class SnapshotCreateView(ReportAccessMixin, View):
    template_name = "analytics/snapshot_form.html"

    def get(self, request):
        filters = CohortFilterSet(user=request.user)
        return render(request, self.template_name, {"form": SnapshotForm(), "filters": filters})

    def post(self, request):
        snapshot, form, filters = freeze_from(request.user, request.POST)
        if snapshot is None:
            context = {"form": form, "filters": filters}
            return render(request, self.template_name, context, status=400)
        return redirect(snapshot.job)


class SnapshotDetailView(SnapshotMixin, View):
    def get(self, request, snapshot):
        found = self.snapshot(frozen=False)
        others = (
            snapshots.visible_snapshots(request.user)
            .filter(state=Snapshot.State.READY)
            .exclude(pk=found.pk)
            .values_list("code", "name")
        )
        return render(
            request,
            "analytics/snapshot_detail.html",
            {
                "snapshot": found,
                "centres": found.centres.order_by("code").values_list("code", flat=True),
                "reports": REPORTS.values(),
                "datasets": DATASETS,
                "others": others,
            },
        )


class SnapshotReportView(SnapshotMixin, View):
    def get(self, request, snapshot, report):
        spec = self.spec()
        found = self.snapshot()
        result = self.result(found)
        return render(
            request,
            f"analytics/{spec.name}.html",
            {
                "spec": spec,
                "snapshot": found,
                "form": None,
                "report": result,
                "matches": result["meta"]["selection"]["patients_selected"] > 0,
                "overall": result["overall"],
                "query": "by_centre=on" if self.by_centre() else "",
                "datasets": DATASETS,
                # Counts open the snapshot's own lists, never the live registry's.
                "drill_route": (
                    "analytics:snapshot-patients",
                    {"snapshot": found.code, "report": spec.name},
                ),
            },
        )


class SnapshotDownloadView(SnapshotMixin, View):
    def get(self, request, snapshot, report, fmt):
        spec = self.spec()
        found = self.snapshot()
        result = self.result(found)
        stem = f"{spec.name}-report{'-by-centre' if self.by_centre() else ''}"
        if fmt == "json":
            return _attachment(downloads.json_bytes(result), fmt, found.code, stem)
        tables = report_tables(result)
        if fmt == "csv":
            return _attachment(spreadsheets.csv_bytes(tables["figures"]), fmt, found.code, stem)
        content = spreadsheets.xlsx_bytes(tables, dated=found.frozen_at)
        return _attachment(content, fmt, found.code, stem)


class SnapshotPackageView(SnapshotMixin, View):
    """The reproducible package of a snapshot's report: its frozen datasets and stored result,
    named by its ID and dated at its freeze, so a download months later is the same file."""

    def get(self, request, snapshot, report):
        spec = self.spec()
        found = self.snapshot()
        return analysis_package(
            spec.name,
            snapshots.snapshot_cohort(found),
            self.result(found),
            snapshot_id=found.code,
            frozen_at=found.frozen_at,
        ).response()


class SnapshotPlotView(SnapshotMixin, View):
    def get(self, request, snapshot, report, plot, fmt):
        spec = self.spec()
        if plot not in spec.plots:
            raise Http404("No such plot.")
        found = self.snapshot()
        content = plots.render(
            spec.plots[plot], self.result(found), data_cutoff=found.data_cutoff, fmt=fmt
        )
        response = HttpResponse(content, content_type=plots.CONTENT_TYPES[fmt])
        if request.GET.get("download"):
            response["Content-Disposition"] = (
                f'attachment; filename="{found.code}-{spec.name}-{plot}.{fmt}"'
            )
        return response


class SnapshotDatasetView(SnapshotMixin, View):
    """A frozen analysis dataset, its first column the snapshot ID."""

    def get(self, request, snapshot, dataset, fmt):
        if dataset not in DATASETS:
            raise Http404("No such dataset.")
        found = self.snapshot()
        try:
            frame = snapshots.stored_frames(found, [dataset])[dataset]
        except snapshots.DatasetNotFrozen as error:
            raise Http404(str(error)) from None
        frame.insert(0, "snapshot_id", found.code)
        if fmt == "csv":
            return _attachment(spreadsheets.csv_bytes(frame), fmt, found.code, dataset)
        meanings = {**SNAPSHOT_ID_COLUMN, **DATASETS[dataset]}
        dictionary = [{"column": k, "meaning": v} for k, v in meanings.items()]
        sheets = {
            dataset: frame,
            "data dictionary": pd.DataFrame(dictionary),
            "snapshot": pd.DataFrame(
                [{"item": k, "value": str(v)} for k, v in snapshots.stamp(found).items()]
            ),
        }
        content = spreadsheets.xlsx_bytes(sheets, dated=found.frozen_at)
        return _attachment(content, fmt, found.code, dataset)


class SnapshotDiffView(SnapshotMixin, View):
    """`?to=SNAP-...`: the page (without `to`: the choice of the other snapshot), or the
    JSON or CSV (`fmt`; without a valid `to`: 400)."""

    def get(self, request, snapshot, fmt=None):
        before = self.snapshot()
        visible = snapshots.visible_snapshots(request.user).filter(state=Snapshot.State.READY)
        to = request.GET.get("to", "")
        after = visible.filter(code=to).first() if to else None
        if after is None:
            context = {
                "snapshot": before,
                "others": visible.exclude(pk=before.pk).values_list("code", "name"),
                "error": f"No frozen snapshot {to} that you may see." if to else "",
            }
            if fmt is not None and not to:
                context["error"] = "Say which snapshot to compare with: ?to=SNAP-YYYY-NNNN."
            status = 400 if context["error"] else 200
            return render(request, "analytics/snapshot_diff.html", context, status=status)
        diff = snapshot_diff(before, after)
        stem = f"diff-{after.code}"
        if fmt == "json":
            return _attachment(downloads.json_bytes(diff), fmt, before.code, stem)
        if fmt == "csv":
            return _attachment(spreadsheets.csv_bytes(diff_table(diff)), fmt, before.code, stem)
        return render(
            request,
            "analytics/snapshot_diff.html",
            {
                "snapshot": before,
                "other": after,
                "diff": diff,
                "shown": PAGE_ROWS,
                "changed_group": [c for c in diff["changed"] if c["changed_group"]][:PAGE_ROWS],
            },
        )


class SnapshotPatientsBehindView(SnapshotMixin, PatientsBehindView):
    """The list behind a count of a snapshot's report: from what the snapshot froze, so it
    holds the patients counted then, whatever was edited since."""

    def source(self) -> DrillSource:
        spec, found = self.spec(), self.snapshot()
        return DrillSource(
            spec,
            snapshots.snapshot_cohort(found),
            reverse("analytics:snapshot-report", args=[found.code, spec.name]),
            f"{found.code}-{spec.name}-patients.csv",
        )
