from django.urls import path

from . import (
    converters,  # noqa: F401 (registers the path converters)
    endpoint_views,
    snapshot_views,
    views,
)

app_name = "analytics"


def drill_paths(prefix: str, name: str, view) -> list:
    """The list behind a count of an analysis at `prefix`: its page and its CSV."""
    return [
        path(f"{prefix}counts/<path:cell>/patients/", view.as_view(), name=name),
        path(
            f"{prefix}counts/<path:cell>/patients.csv",
            view.as_view(as_csv=True),
            name=f"{name}-csv",
        ),
    ]


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
        "snapshots/<snapshot_id:snapshot>/<slug:report>/package.zip",
        snapshot_views.SnapshotPackageView.as_view(),
        name="snapshot-package",
    ),
    *drill_paths(
        "snapshots/<snapshot_id:snapshot>/<slug:report>/",
        "snapshot-patients",
        snapshot_views.SnapshotPatientsBehindView,
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
    path("endpoints/", endpoint_views.EndpointListView.as_view(), name="endpoint-list"),
    path(
        "endpoints/analysis/",
        endpoint_views.EndpointAnalysisView.as_view(),
        name="endpoint-analysis",
    ),
    path(
        "endpoints/analysis/<endpoint_file:filename>",
        endpoint_views.EndpointFileView.as_view(),
        name="endpoint-analysis-file",
    ),
    *drill_paths(
        "endpoints/analysis/",
        "endpoint-analysis-patients",
        endpoint_views.EndpointPatientsBehindView,
    ),
    path(
        "endpoints/saved/<slug:slug>/",
        endpoint_views.EndpointAnalysisView.as_view(),
        name="endpoint-saved",
    ),
    path(
        "endpoints/saved/<slug:slug>/<endpoint_file:filename>",
        endpoint_views.EndpointFileView.as_view(),
        name="endpoint-saved-file",
    ),
    *drill_paths(
        "endpoints/saved/<slug:slug>/",
        "endpoint-saved-patients",
        endpoint_views.EndpointPatientsBehindView,
    ),
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
    path("<slug:report>/package.zip", views.ReportPackageView.as_view(), name="package"),
    *drill_paths("<slug:report>/", "patients", views.PatientsBehindView),
    path(
        "<slug:report>/plots/<slug:plot>.<plot_format:fmt>",
        views.PlotView.as_view(),
        name="plot",
    ),
]
