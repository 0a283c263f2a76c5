from django.urls import path, register_converter

from . import views


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

app_name = "analytics"

urlpatterns = [
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
