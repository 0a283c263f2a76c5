from django.urls import path, register_converter

from . import snapshot_views, views


def closed_list(*choices: str) -> type:
    """A path converter for a closed list of segments: anything else is a 404, not an error."""

    class Converter:
        regex = "|".join(choices)

        def to_python(self, value: str) -> str:
            return value

        def to_url(self, value: str) -> str:
            return value

    return Converter


register_converter(closed_list("csv", "xlsx", "json"), "report_format")
register_converter(closed_list("csv", "xlsx"), "dataset_format")
register_converter(closed_list("png", "svg"), "plot_format")
register_converter(closed_list("csv", "json"), "diff_format")


class SnapshotIdConverter:
    """SNAP-2026-0001: a snapshot's ID, as printed on everything made from it."""

    regex = r"SNAP-[0-9]{4}-[0-9]{4,}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SnapshotIdConverter, "snapshot_id")

app_name = "analytics"

snapshot_urls = [
    path("snapshots/", snapshot_views.SnapshotListView.as_view(), name="snapshot-list"),
    path("snapshots/new/", snapshot_views.SnapshotCreateView.as_view(), name="snapshot-create"),
    path(
        "snapshots/<snapshot_id:snapshot>/",
        snapshot_views.SnapshotDetailView.as_view(),
        name="snapshot-detail",
    ),
    path(
        "snapshots/<snapshot_id:snapshot>/diff/",
        snapshot_views.SnapshotDiffView.as_view(),
        name="snapshot-diff",
    ),
    path(
        "snapshots/<snapshot_id:snapshot>/diff.<diff_format:fmt>",
        snapshot_views.SnapshotDiffView.as_view(),
        name="snapshot-diff-download",
    ),
    path(
        "snapshots/<snapshot_id:snapshot>/datasets/<slug:dataset>.<dataset_format:fmt>",
        snapshot_views.SnapshotDatasetView.as_view(),
        name="snapshot-dataset",
    ),
    path(
        "snapshots/<snapshot_id:snapshot>/<slug:report>/",
        snapshot_views.SnapshotReportView.as_view(),
        name="snapshot-report",
    ),
    path(
        "snapshots/<snapshot_id:snapshot>/<slug:report>/report.<report_format:fmt>",
        snapshot_views.SnapshotDownloadView.as_view(),
        name="snapshot-download",
    ),
    path(
        "snapshots/<snapshot_id:snapshot>/<slug:report>/plots/<slug:plot>.<plot_format:fmt>",
        snapshot_views.SnapshotPlotView.as_view(),
        name="snapshot-plot",
    ),
]

urlpatterns = [
    *snapshot_urls,
    path("", views.ReportIndexView.as_view(), name="index"),
    path(
        "datasets/<slug:dataset>.<dataset_format:fmt>",
        views.DatasetDownloadView.as_view(),
        name="dataset",
    ),
    path("<slug:report>/", views.ReportView.as_view(), name="report"),
    path(
        "<slug:report>/report.<report_format:fmt>",
        views.ReportDownloadView.as_view(),
        name="download",
    ),
    path(
        "<slug:report>/plots/<slug:plot>.<plot_format:fmt>",
        views.PlotView.as_view(),
        name="plot",
    ),
]
