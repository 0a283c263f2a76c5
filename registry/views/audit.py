"""The audit trail for auditors: per patient, per record, and registry-wide."""

from django.http import Http404
from django.utils.functional import cached_property
from django.views.generic import TemplateView

from registry import access, audit
from registry.forms import AuditLogFilterForm
from registry.record_types import record_type

from .mixins import AuditorRequiredMixin


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


class AuditLogView(AuditorRequiredMixin, TemplateView):
    template_name = "audit/audit_log.html"

    def get(self, request, *args, **kwargs):
        form = AuditLogFilterForm(request.GET)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        entries = audit.recent_changes(
            access.patients(request.user),
            access.board_meetings(request.user),
            limit=200,
            username=form.cleaned_data["user"],
        )
        return self.render_to_response(self.get_context_data(form=form, entries=entries))
