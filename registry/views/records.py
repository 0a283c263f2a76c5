"""Create, edit and delete any record of a patient, one set of views for every kind."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.generic import CreateView, FormView, UpdateView

from registry import access, services
from registry.forms import DeleteForm, apply_validation_error
from registry.record_types import record_type

from .mixins import DataManagerRequiredMixin, ServiceFormMixin


class PatientRecordMixin(DataManagerRequiredMixin):
    """The record kind from the URL; the patient from the user's editable patients."""

    @cached_property
    def record_type(self):
        return record_type(self.kwargs["kind"])

    @cached_property
    def patient(self):
        return access.get_or_404(
            access.patients(self.request.user, for_edit=True),
            registry_id=self.kwargs["registry_id"],
        )

    def get_queryset(self):
        return self.record_type.model.objects.filter(patient=self.patient)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            patient=self.patient, record_type=self.record_type, **kwargs
        )

    def get_success_url(self):
        return reverse("registry:patient-detail", args=[self.patient.registry_id]) + (
            f"#{self.record_type.slug}"
        )


class RecordFormMixin(PatientRecordMixin, ServiceFormMixin):
    template_name = "registry/record_form.html"

    def get_form_class(self):
        return self.record_type.form

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "patient": self.patient}

    def save(self, form):
        record = services.record_save(
            user=self.request.user,
            record=form.instance,
            reason=form.change_reason,
            expected_version=form.expected_version,
            fields=form.fields,
        )
        messages.success(self.request, f"{self.record_type.label.capitalize()} saved.")
        return record


class RecordCreateView(RecordFormMixin, CreateView):
    ADD_ANOTHER = "add_another"

    def get_initial(self):
        """The fields a series carries over, as the previous form of the series sent them."""
        carried = self.record_type.carried_over
        return {
            **super().get_initial(),
            **{k: v for k, v in self.request.GET.items() if k in carried},
        }

    def get_success_url(self):
        if not (self.record_type.add_another and self.ADD_ANOTHER in self.request.POST):
            return super().get_success_url()
        carried = {
            name: self.request.POST[name]
            for name in self.record_type.carried_over
            if self.request.POST.get(name)
        }
        url = reverse(
            "registry:record-create", args=[self.patient.registry_id, self.record_type.slug]
        )
        return f"{url}?{urlencode(carried)}" if carried else url


class RecordUpdateView(RecordFormMixin, UpdateView):
    pass


class RecordDeleteView(PatientRecordMixin, FormView):
    form_class = DeleteForm
    template_name = "registry/record_delete.html"

    @cached_property
    def object(self):
        return access.get_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def form_valid(self, form):
        try:
            services.record_delete(
                user=self.request.user, record=self.object, reason=form.cleaned_data["reason"]
            )
        except ProtectedError as error:
            blockers = ", ".join(sorted({str(o) for o in error.protected_objects})[:5])
            form.add_error(
                None, f"Other records depend on this one; delete them first: {blockers}."
            )
            return self.form_invalid(form)
        except ValidationError as error:  # e.g. the case is locked for analysis
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.record_type.label.capitalize()} deleted.")
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)
