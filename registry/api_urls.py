from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from analytics.api import ReportView

from . import api, api_findings, api_jobs, api_quality

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("patients", api.PatientViewSet, basename="patient")
router.register("jobs", api_jobs.JobViewSet, basename="job")
router.register("queries", api_quality.QueryViewSet, basename="query")
router.register("findings", api_findings.FindingViewSet, basename="finding")
for slug, viewset in api.RECORD_VIEWSETS.items():
    router.register(f"records/{slug}", viewset, basename=f"record-{slug}")

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("cases/<registry_id:registry_id>/", api.CaseView.as_view(), name="case"),
    path("cases/<registry_id:registry_id>/fhir/", api.CaseFhirView.as_view(), name="case-fhir"),
    path("import/", api.ImportView.as_view(), name="import"),
    path("export/", api.ExportView.as_view(), name="export"),
    path("reports/<slug:report>/", ReportView.as_view(), name="report"),
    path("quality/completeness/", api_findings.CompletenessView.as_view(), name="completeness"),
    *router.urls,
]
