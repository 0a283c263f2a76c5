"""The audit trail for auditors: per patient, per record, and registry-wide."""

import pandas as pd
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import TemplateView

from registry import access, audit, spreadsheets
from registry.forms import AuditLogFilterForm
from registry.record_types import record_type

from .mixins import AuditorRequiredMixin

PAGE_SIZE = 50


class AuditedPatientMixin(AuditorRequiredMixin):
    @cached_property
    def patient(self):
        return access.get_or_404(
            access.patients(self.request.user), registry_id=self.kwargs["registry_id"]
        )


class PatientAuditView(AuditedPatientMixin, TemplateView):
    template_name = "audit/patient_trail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            patient=self.patient, entries=audit.patient_trail(self.patient), **kwargs
        )


class RecordHistoryView(AuditedPatientMixin, TemplateView):
    template_name = "audit/record_trail.html"

    def get_context_data(self, **kwargs):
        kind = record_type(self.kwargs["kind"])
        entries = audit.record_trail(kind.model, self.kwargs["pk"], self.patient)
        if not entries:
            raise Http404("No such record.")
        return super().get_context_data(
            patient=self.patient,
            entries=entries,
            record_type=kind,
            record_id=self.kwargs["pk"],
            **kwargs,
        )


def entry_rows(entries: list[audit.AuditEntry]) -> pd.DataFrame:
    """The log as a table: one row per changed field (a creation lists every value)."""
    rows = [
        {
            "when": timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
            "user": entry.user,
            "action": entry.action,
            "record type": entry.record_label,
            "record": entry.object_repr,
            "patient": entry.registry_id,
            "field": change.field,
            "old value": change.old if entry.action == "changed" else "",
            "new value": change.new,
            "reason": entry.reason,
        }
        for entry in entries
        for change in entry.changes or [audit.FieldChange("", "", "")]
    ]
    columns = ["when", "user", "action", "record type", "record", "patient", "field"]
    return pd.DataFrame(rows, columns=[*columns, "old value", "new value", "reason"])


class AuditLogView(AuditorRequiredMixin, TemplateView):
    template_name = "audit/audit_log.html"
    EXPORTS = ("csv", "xlsx")

    def get(self, request, *args, **kwargs):
        form = AuditLogFilterForm(request.GET, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        entries = audit.audit_log(
            access.patients(request.user), access.board_meetings(request.user), form.audit_filter()
        )
        export = request.GET.get("export")
        if export in self.EXPORTS:
            return self.export(entries, export)
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                entries=page.object_list,
                page_obj=page,
                query_without_page=query.urlencode(),
            )
        )

    def export(self, entries, fmt: str) -> HttpResponse:
        frame = entry_rows(entries)
        if fmt == "csv":
            content = spreadsheets.csv_bytes(frame)
        else:
            content = spreadsheets.xlsx_bytes({"audit trail": frame})
        response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPES[fmt])
        stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.{fmt}"'
        return response
