"""Role checks for views. Centre scoping is done by the querysets of `registry.access`."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect

from registry import access, services
from registry.forms import apply_validation_error


class DataManagerRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not access.is_data_manager(request.user):
            raise PermissionDenied("Only data managers can change clinical data.")
        return super().dispatch(request, *args, **kwargs)


class RoleRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not (access.roles(request.user) or request.user.is_superuser):
            raise PermissionDenied("You have no role in the registry.")
        return super().dispatch(request, *args, **kwargs)


class AuditorRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not access.is_auditor(request.user):
            raise PermissionDenied("Only auditors can read the audit trail.")
        return super().dispatch(request, *args, **kwargs)


def focus_first_field(form) -> None:
    """Autofocus the first field with an error, or else the first field to fill in."""
    visible = [name for name, field in form.fields.items() if not field.widget.is_hidden]
    with_error = [name for name in visible if name in form.errors]
    for name in (with_error or visible)[:1]:
        form.fields[name].widget.attrs["autofocus"] = True


class ServiceFormMixin:
    """Save through a service; a rule broken at save time goes back to the form, not a 500."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        focus_first_field(context["form"])
        return context

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except services.EditConflict as conflict:
            form.show_conflict(conflict.current)
            return self.form_invalid(form)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        except IntegrityError:
            form.add_error(None, "This record conflicts with one saved meanwhile; check and retry.")
            return self.form_invalid(form)
        return HttpResponseRedirect(self.get_success_url())
