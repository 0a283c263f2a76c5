"""Queries (my queries, a query's thread and its next step, raising one) and a case's
review, lock and unlock. The pages collect; `registry.quality_services` decides."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, ListView

from registry import access, quality_selectors, quality_services
from registry.forms import apply_validation_error
from registry.models import KIND_BY_SLUG, QueryState
from registry.quality_forms import CaseReviewForm, QueryRaiseForm, QueryStepForm, ReasonForm

from .mixins import AuditorRequiredMixin, RoleRequiredMixin


def _patient_url(patient, anchor: str = "") -> str:
    url = reverse("registry:patient-detail", args=[patient.registry_id])
    return f"{url}#{anchor}" if anchor else url


class QueryListView(RoleRequiredMixin, ListView):
    """My queries: assigned to me, raised by me, or all I see; by state and centre."""

    template_name = "registry/quality/query_list.html"
    paginate_by = 25
    context_object_name = "queries"

    @cached_property
    def who(self) -> str:
        wanted = self.request.GET.get("who", "")
        choices = (quality_selectors.ASSIGNED_TO_ME, quality_selectors.RAISED_BY_ME)
        if wanted in (*choices, quality_selectors.ALL_I_SEE):
            return wanted
        if access.may_raise_queries(self.request.user):
            return quality_selectors.RAISED_BY_ME
        return quality_selectors.ASSIGNED_TO_ME

    @cached_property
    def centres(self):
        return list(access.visible_centres(self.request.user).order_by("code"))

    def get_queryset(self):
        state = self.request.GET.get("state", "")
        centre = self.request.GET.get("centre", "")
        centre_ids = {str(c.pk) for c in self.centres}
        return quality_selectors.queries_for(
            self.request.user,
            who=self.who,
            state=state if state in QueryState.values else "",
            centre_id=int(centre) if centre in centre_ids else None,
        )

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            who=self.who,
            state=self.request.GET.get("state", ""),
            centre=self.request.GET.get("centre", ""),
            states=QueryState.choices,
            centres=self.centres,
            query_without_page=query.urlencode(),
            kinds=KIND_BY_SLUG,
            **kwargs,
        )


class QueryDetailView(FormView):
    """A query's thread, and the form of each step the user may take next."""

    template_name = "registry/quality/query_detail.html"
    form_class = QueryStepForm

    @cached_property
    def query(self):
        return access.get_or_404(
            access.data_queries(self.request.user).select_related(
                "patient__centre", "assignee", "raised_by"
            ),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        query = self.query
        return super().get_context_data(
            query=query,
            patient=query.patient,
            steps=query.steps.select_related("author"),
            place=quality_selectors.query_place(query),
            allowed=quality_selectors.allowed_steps(self.request.user, query),
            **kwargs,
        )

    def form_valid(self, form):
        step, user, text = form.cleaned_data["step"], self.request.user, form.cleaned_data["text"]
        try:
            if step == QueryStepForm.ANSWER:
                quality_services.query_answer(
                    user=user,
                    query=self.query,
                    text=text,
                    change_value=form.cleaned_data["change_value"],
                    new_value=form.cleaned_data["new_value"],
                )
            elif step == QueryStepForm.CLOSE:
                quality_services.query_close(user=user, query=self.query, text=text)
            else:
                quality_services.query_reopen(user=user, query=self.query, text=text)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                error = ValidationError(str(error))
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.query}: {step} saved.")
        return redirect("registry:query-detail", pk=self.query.pk)


class PatientQualityMixin:
    """The patient from the user's visible patients (missing and foreign: the same 404)."""

    @cached_property
    def patient(self):
        return access.get_or_404(
            access.patients(self.request.user).select_related("centre"),
            registry_id=self.kwargs["registry_id"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(patient=self.patient, **kwargs)

    def refused(self, form, error):
        if isinstance(error, PermissionDenied):
            error = ValidationError(str(error))
        apply_validation_error(form, error)
        return self.form_invalid(form)


class QueryRaiseView(AuditorRequiredMixin, PatientQualityMixin, FormView):
    template_name = "registry/quality/query_raise.html"
    form_class = QueryRaiseForm

    def get_initial(self):
        wanted = self.request.GET
        return {
            "record_kind": wanted.get("kind", ""),
            "record_id": wanted.get("record", ""),
            "field_name": wanted.get("field", ""),
        }

    def get_form_kwargs(self):
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        return {
            **super().get_form_kwargs(),
            "patient": self.patient,
            "record_kind": data.get("record_kind") or data.get("kind", ""),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            query = quality_services.query_raise(
                user=self.request.user,
                patient=self.patient,
                question=data["question"],
                assignee=data["assignee"],
                record_kind=data["record_kind"],
                record_id=data["record_id"],
                field_name=data["field_name"],
                proposed_value=data["proposed_value"],
            )
        except (ValidationError, PermissionDenied) as error:
            return self.refused(form, error)
        messages.success(self.request, f"{query} raised and assigned to {query.assignee}.")
        return redirect("registry:query-detail", pk=query.pk)


class CaseReviewView(AuditorRequiredMixin, PatientQualityMixin, FormView):
    """Mark the case reviewed against the source documents."""

    template_name = "registry/quality/case_step.html"
    form_class = CaseReviewForm

    def page_title(self) -> str:
        return "Mark reviewed"

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.page_title(), **kwargs)

    def form_valid(self, form):
        try:
            quality_services.case_review(
                user=self.request.user, patient=self.patient, note=form.cleaned_data["note"]
            )
        except (ValidationError, PermissionDenied) as error:
            return self.refused(form, error)
        messages.success(self.request, f"{self.patient.registry_id} marked reviewed.")
        return redirect(_patient_url(self.patient, "quality"))


class CaseLockView(CaseReviewView):
    """Lock the case for analysis (auditors and administrators), or unlock it (administrators)."""

    form_class = ReasonForm
    unlock = False

    def dispatch(self, request, *args, **kwargs):
        if self.unlock and request.user.is_authenticated and not request.user.is_superuser:
            raise PermissionDenied("Only an administrator unlocks a case.")
        return super().dispatch(request, *args, **kwargs)

    def page_title(self) -> str:
        return "Unlock" if self.unlock else "Lock for analysis"

    def form_valid(self, form):
        action = quality_services.case_unlock if self.unlock else quality_services.case_lock
        try:
            action(user=self.request.user, patient=self.patient, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as error:
            return self.refused(form, error)
        verb = "unlocked" if self.unlock else "locked for analysis"
        messages.success(self.request, f"{self.patient.registry_id} {verb}.")
        return redirect(_patient_url(self.patient, "quality"))
