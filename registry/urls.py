from django.urls import path

from .views import audit, board, exchange, findings, jobs, patients, quality, records

app_name = "registry"

urlpatterns = [
    path("patients/", patients.PatientListView.as_view(), name="patient-list"),
    path("patients/new/", patients.PatientCreateView.as_view(), name="patient-create"),
    path(
        "patients/<registry_id:registry_id>/",
        patients.PatientDetailView.as_view(),
        name="patient-detail",
    ),
    path(
        "patients/<registry_id:registry_id>/edit/",
        patients.PatientUpdateView.as_view(),
        name="patient-update",
    ),
    path(
        "patients/<registry_id:registry_id>/archive/",
        patients.PatientArchiveView.as_view(),
        name="patient-archive",
    ),
    path(
        "patients/<registry_id:registry_id>/restore/",
        patients.PatientArchiveView.as_view(restore=True),
        name="patient-restore",
    ),
    path(
        "patients/<registry_id:registry_id>/fhir/",
        exchange.CaseFhirView.as_view(),
        name="patient-fhir",
    ),
    path(
        "patients/<registry_id:registry_id>/audit/",
        audit.PatientAuditView.as_view(),
        name="patient-audit",
    ),
    path(
        "patients/<registry_id:registry_id>/queries/new/",
        quality.QueryRaiseView.as_view(),
        name="query-raise",
    ),
    path(
        "patients/<registry_id:registry_id>/review/",
        quality.CaseReviewView.as_view(),
        name="case-review",
    ),
    path(
        "patients/<registry_id:registry_id>/lock/",
        quality.CaseLockView.as_view(),
        name="case-lock",
    ),
    path(
        "patients/<registry_id:registry_id>/unlock/",
        quality.CaseLockView.as_view(unlock=True),
        name="case-unlock",
    ),
    path(
        "patients/<registry_id:registry_id>/<slug:kind>/new/",
        records.RecordCreateView.as_view(),
        name="record-create",
    ),
    path(
        "patients/<registry_id:registry_id>/<slug:kind>/<int:pk>/edit/",
        records.RecordUpdateView.as_view(),
        name="record-update",
    ),
    path(
        "patients/<registry_id:registry_id>/<slug:kind>/<int:pk>/delete/",
        records.RecordDeleteView.as_view(),
        name="record-delete",
    ),
    path(
        "patients/<registry_id:registry_id>/<slug:kind>/<int:pk>/history/",
        audit.RecordHistoryView.as_view(),
        name="record-history",
    ),
    path("board/", board.MeetingListView.as_view(), name="meeting-list"),
    path("board/new/", board.MeetingCreateView.as_view(), name="meeting-create"),
    path("board/<int:pk>/", board.MeetingDetailView.as_view(), name="meeting-detail"),
    path("board/<int:pk>/edit/", board.MeetingUpdateView.as_view(), name="meeting-update"),
    path("board/<int:pk>/agenda/add/", board.AgendaItemCreateView.as_view(), name="agenda-add"),
    path(
        "board/discussions/<int:pk>/decision/",
        board.DecisionUpdateView.as_view(),
        name="decision-update",
    ),
    path(
        "board/discussions/<int:pk>/sheet/",
        board.DecisionSheetView.as_view(),
        name="decision-sheet",
    ),
    path("queries/", quality.QueryListView.as_view(), name="query-list"),
    path("queries/<int:pk>/", quality.QueryDetailView.as_view(), name="query-detail"),
    path("findings/", findings.FindingListView.as_view(), name="finding-list"),
    path("findings/<int:pk>/", findings.FindingDetailView.as_view(), name="finding-detail"),
    path("completeness/", findings.CompletenessView.as_view(), name="completeness"),
    path("audit/", audit.AuditLogView.as_view(), name="audit-log"),
    path("import/", exchange.ImportPageView.as_view(), name="import"),
    path("export/", exchange.ExportPageView.as_view(), name="export"),
    path("jobs/", jobs.JobListView.as_view(), name="job-list"),
    path("jobs/<uuid:pk>/", jobs.JobDetailView.as_view(), name="job-detail"),
    path("import/formats/", exchange.ExchangeGuideView.as_view(), name="import-guide"),
    path("import/redcap/", exchange.RedcapImportPageView.as_view(), name="redcap-import"),
    path("import/redcap/guide/", exchange.RedcapGuideView.as_view(), name="redcap-guide"),
    path("import/redcap/example.zip", exchange.RedcapExampleView.as_view(), name="redcap-example"),
    path("import/example-case.json", exchange.ExampleCaseView.as_view(), name="import-example"),
]
