from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from analytics import api as analytics_api
from analytics import converters  # noqa: F401 (registers the path converters)
from analytics.api import PatientsBehindView, ReportPackageView, ReportView, SnapshotViewSet

from . import api, api_findings, api_jobs, api_quality

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("patients", api.PatientViewSet, basename="patient")
router.register("jobs", api_jobs.JobViewSet, basename="job")
router.register("queries", api_quality.QueryViewSet, basename="query")
router.register("findings", api_findings.FindingViewSet, basename="finding")
router.register("snapshots", SnapshotViewSet, basename="snapshot")
for slug, viewset in api.RECORD_VIEWSETS.items():
    router.register(f"records/{slug}", viewset, basename=f"record-{slug}")

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("cases/<registry_id:registry_id>/", api.CaseView.as_view(), name="case"),
    path(
        "cases/<registry_id:registry_id>/status/",
        api_quality.CaseStatusView.as_view(),
        name="case-status",
    ),
    path(
        "cases/<registry_id:registry_id>/review/",
        api_quality.CaseReviewView.as_view(),
        name="case-review",
    ),
    path(
        "cases/<registry_id:registry_id>/lock/",
        api_quality.CaseLockView.as_view(),
        name="case-lock",
    ),
    path(
        "cases/<registry_id:registry_id>/unlock/",
        api_quality.CaseUnlockView.as_view(),
        name="case-unlock",
    ),
    path("cases/<registry_id:registry_id>/fhir/", api.CaseFhirView.as_view(), name="case-fhir"),
    path("import/", api.ImportView.as_view(), name="import"),
    path("import/redcap/", api.RedcapImportView.as_view(), name="import-redcap"),
    path("export/", api.ExportView.as_view(), name="export"),
    path("reports/<slug:report>/", ReportView.as_view(), name="report"),
    path("reports/<slug:report>/package/", ReportPackageView.as_view(), name="report-package"),
    path(
        "reports/<slug:report>/counts/<path:cell>/patients/",
        PatientsBehindView.as_view(),
        name="report-patients",
    ),
    path("endpoints/", analytics_api.EndpointListView.as_view(), name="endpoint-list"),
    path("endpoints/analysis/", analytics_api.EndpointAdHocView.as_view(), name="endpoint-adhoc"),
    path(
        "endpoints/analysis/counts/<path:cell>/patients/",
        analytics_api.EndpointAdHocPatientsView.as_view(),
        name="endpoint-adhoc-patients",
    ),
    path(
        "endpoints/<slug:slug>/counts/<path:cell>/patients/",
        analytics_api.EndpointPatientsView.as_view(),
        name="endpoint-patients",
    ),
    path(
        "endpoints/<slug:slug>/analysis/",
        analytics_api.EndpointAnalysisView.as_view(),
        name="endpoint-analysis",
    ),
    path(
        "endpoints/<slug:slug>/<endpoint_file:filename>",
        analytics_api.EndpointFileView.as_view(),
        name="endpoint-file",
    ),
    path("quality/completeness/", api_findings.CompletenessView.as_view(), name="completeness"),
    *router.urls,
]
