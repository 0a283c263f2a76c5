from django.urls import path

from . import (
    converters,  # noqa: F401 (registers the path converters)
    endpoint_views,
    views,
)

app_name = "analytics"

urlpatterns = [
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
    path(
        "<slug:report>/counts/<path:cell>/patients/",
        views.PatientsBehindView.as_view(),
        name="patients",
    ),
    path(
        "<slug:report>/counts/<path:cell>/patients.csv",
        views.PatientsBehindDownloadView.as_view(),
        name="patients-csv",
    ),
    path(
        "<slug:report>/plots/<slug:plot>.<plot_format:fmt>",
        views.PlotView.as_view(),
        name="plot",
    ),
]
