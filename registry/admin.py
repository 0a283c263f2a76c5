"""Django admin: administrators manage centres, accounts, API tokens and moves; auditors read.

Clinical data is shown here but never changed: it is entered on the registry's pages,
where every write has its access check, version check and reason (admin_site.py keeps
data managers and analysts out altogether). Every object is scoped like the pages: one
the user may not see is a 404, on its change, delete and history pages alike. History
is read only; nobody reverts through the admin.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import access, services
from .forms import AdministratorPasswordChangeForm
from .models import (
    ApiToken,
    BoardAttendance,
    BoardMeeting,
    CaseDiscussion,
    Centre,
    CentreMembership,
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    RegistryWideGrant,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)


class ScopedAdminMixin:
    """An object outside `get_queryset` does not exist, on every admin page that names one.

    Django checks object permissions before it looks for the object, and redirects to the
    index for a missing one; here a model the user may not view is a 403 for every id, and
    then an object outside the user's scope is a 404 exactly like one that never existed.
    """

    def _require_visible(self, request, object_id) -> None:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(f"No {self.model._meta.verbose_name} found.")

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"No {opts.verbose_name} found.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_visible(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)


class RegistryHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """History pages show only objects the user may see, and offer no write."""

    history_list_display = ["history_change_reason", "history_api_token"]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's revert form saves whatever it is posted, around every rule.
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not str(version_id).isdigit():
            raise Http404("No such version.")
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_change_history_permission(self, request, obj=None):
        return False


class ReadOnlyMixin:
    """Shown to administrators and auditors; changed on the registry's pages only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyClinicalAdmin(ReadOnlyMixin, RegistryHistoryAdmin):
    pass


class ChangeReasonForm(forms.Form):
    """The reason an administrator gives for a change; the audit trail keeps it."""

    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=300,
        help_text="Kept in the audit trail with your name.",
    )


class ChangeReasonAdminMixin:
    """Every save and inline change carries the reason asked for (ChangeReasonForm)."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if any("change_reason" in options["fields"] for _, options in fieldsets):
            return fieldsets
        return [*fieldsets, ("Audit trail", {"fields": ["change_reason"]})]

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data["change_reason"]
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            for inline_form in formset.forms:
                inline_form.instance._change_reason = form.cleaned_data["change_reason"]
                inline_form.instance._history_user = request.user
        super().save_related(request, form, formsets, change)


class AuditedAdmin(ChangeReasonAdminMixin, RegistryHistoryAdmin):
    """Administration objects (centres, memberships, grants), changed with a reason."""

    form = type("AuditedModelForm", (ChangeReasonForm, forms.ModelForm), {})


class PatientRecordAdmin(ReadOnlyClinicalAdmin):
    """Records of patients the user may see."""

    list_select_related = ("patient", "patient__centre")
    search_fields = ("patient__registry_id",)

    def get_queryset(self, request):
        return access.patient_records(request.user, self.model).select_related(
            *self.list_select_related
        )


class MoveCentreForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.all(), label="New centre")
    record_number = forms.CharField(
        max_length=40, required=False, help_text="The record number at the new centre, if known."
    )
    reason = forms.CharField(max_length=300, help_text="Kept in the audit trail.")
    version = forms.IntegerField(widget=forms.HiddenInput)


@admin.register(Patient)
class PatientAdmin(ReadOnlyClinicalAdmin):
    list_display = ("registry_id", "centre", "presentation", "mbc_diagnosis_date", "archived_at")
    list_filter = (
        "centre",
        "presentation",
        "histology",
        "sex",
        ("archived_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("registry_id", "record_number", "family_name")
    list_select_related = ("centre",)
    readonly_fields = ("move_link",)

    def get_queryset(self, request):
        return access.patients(request.user).select_related("centre")

    @admin.display(description="Move to another centre")
    def move_link(self, obj):
        return format_html(
            '<a href="{}">Move this patient…</a>',
            reverse("admin:registry_patient_move", args=[obj.pk]),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/move/",
                self.admin_site.admin_view(self.move_view),
                name="registry_patient_move",
            ),
            *super().get_urls(),
        ]

    def move_view(self, request, pk):
        """An administrator moves a patient who changed hospital; the trail keeps the reason."""
        if not request.user.is_superuser:
            raise PermissionDenied
        patient = access.get_or_404(self.get_queryset(request), pk=pk)
        form = MoveCentreForm(request.POST or None, initial={"version": patient.version})
        if request.method == "POST" and form.is_valid():
            try:
                services.patient_move_centre(
                    user=request.user,
                    patient=patient,
                    centre=form.cleaned_data["centre"],
                    record_number=form.cleaned_data["record_number"],
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except services.EditConflict:
                form.add_error(
                    None,
                    "The patient was changed after you opened this page; check the record "
                    "and move again.",
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{patient} now belongs to {patient.centre}.")
                return redirect("admin:registry_patient_change", patient.pk)
        return TemplateResponse(
            request,
            "admin/registry/patient_move.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "patient": patient,
                "opts": self.model._meta,
                "title": f"Move {patient} to another centre",
            },
        )


@admin.register(ReceptorAssessment)
class ReceptorAssessmentAdmin(PatientRecordAdmin):
    list_display = (
        "patient",
        "assessed_on",
        "specimen",
        "er_percent",
        "pr_percent",
        "her2_ihc",
        "her2_ish",
    )
    list_filter = ("specimen", "her2_ihc", "her2_ish")
    date_hierarchy = "assessed_on"


@admin.register(MetastaticSite)
class MetastaticSiteAdmin(PatientRecordAdmin):
    list_display = ("patient", "category", "detected_on", "confirmation")
    list_filter = ("category", "confirmation")


@admin.register(TreatmentLine)
class TreatmentLineAdmin(PatientRecordAdmin):
    list_display = (
        "patient",
        "number",
        "regimen",
        "agents",
        "start_date",
        "end_date",
        "end_reason",
    )
    list_filter = ("regimen", "number", "end_reason")
    search_fields = ("patient__registry_id", "agents")


@admin.register(ResponseAssessment)
class ResponseAssessmentAdmin(PatientRecordAdmin):
    list_display = ("patient", "assessed_on", "line", "category", "method")
    list_filter = ("category", "method")
    list_select_related = ("patient", "patient__centre", "line")


@admin.register(ProgressionEvent)
class ProgressionEventAdmin(PatientRecordAdmin):
    list_display = (
        "patient",
        "occurred_on",
        "kind",
        "locoregional_site",
        "other_sites_kept_best_response",
    )
    list_filter = ("kind", "locoregional_site", "other_sites_kept_best_response")


@admin.register(Surgery)
class SurgeryAdmin(PatientRecordAdmin):
    list_display = (
        "patient",
        "operated_on",
        "lumpectomy",
        "mastectomy",
        "sentinel_node_biopsy",
        "axillary_dissection",
        "metastasectomy",
        "intent",
        "systemic_line_continued",
    )
    list_filter = (
        "intent",
        "lumpectomy",
        "mastectomy",
        "axillary_dissection",
        "systemic_line_continued",
    )


@admin.register(Radiotherapy)
class RadiotherapyAdmin(PatientRecordAdmin):
    list_display = ("patient", "started_on", "site", "intent", "total_dose_gy", "fractions")
    list_filter = ("site", "intent")


@admin.register(FollowUp)
class FollowUpAdmin(PatientRecordAdmin):
    list_display = ("patient", "contact_date", "vital_status", "death_date", "disease_status")
    list_filter = ("vital_status", "disease_status")


@admin.register(CaseDiscussion)
class CaseDiscussionAdmin(PatientRecordAdmin):
    list_display = ("patient", "meeting", "recommendation_category", "followed")
    list_filter = ("recommendation_category", "followed", "meeting__centre")
    list_select_related = ("patient", "patient__centre", "meeting", "meeting__centre")


class BoardAttendanceInline(ReadOnlyMixin, admin.TabularInline):
    model = BoardAttendance
    extra = 0


@admin.register(BoardMeeting)
class BoardMeetingAdmin(ReadOnlyClinicalAdmin):
    list_display = ("held_on", "centre", "notes")
    list_filter = ("centre",)
    date_hierarchy = "held_on"
    inlines = [BoardAttendanceInline]

    def get_queryset(self, request):
        return access.board_meetings(request.user).select_related("centre")


@admin.register(Centre)
class CentreAdmin(AuditedAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return access.visible_centres(request.user)


class CentreMembershipInline(admin.TabularInline):
    model = CentreMembership
    extra = 0


class RegistryWideGrantInline(admin.StackedInline):
    model = RegistryWideGrant
    extra = 0
    max_num = 1


@admin.register(CentreMembership)
class CentreMembershipAdmin(AuditedAdmin):
    list_display = ("user", "centre")
    list_filter = ("centre",)
    search_fields = ("user__username",)


@admin.register(RegistryWideGrant)
class RegistryWideGrantAdmin(AuditedAdmin):
    list_display = ("user", "reason")


class IssueTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "purpose")


@admin.register(ApiToken)
class ApiTokenAdmin(RegistryHistoryAdmin):
    """Tokens are issued and revoked here, by an administrator, and never deleted.

    The key is shown once, when it is issued; only its digest is stored. Every write made
    with a token names the token in the audit trail, and the token names who issued it.
    """

    list_display = ("key_prefix", "user", "purpose", "issued_by", "issued_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "key_prefix")
    list_select_related = ("user", "issued_by", "revoked_by")
    actions = ["revoke"]

    def get_queryset(self, request):
        """Tokens of accounts working in the user's centres (all, for registry-wide users)."""
        tokens = super().get_queryset(request).select_related(*self.list_select_related)
        if access.sees_every_centre(request.user):
            return tokens
        centres = access.visible_centres(request.user).values("pk")
        return tokens.filter(user__centre_memberships__centre__in=centres).distinct()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in ApiToken._meta.fields if f.name != "key_digest"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "purpose"]
        return self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, key = services.api_token_issue(
            user=request.user, for_user=obj.user, purpose=obj.purpose
        )
        obj.pk = token.pk
        messages.warning(
            request,
            f"API token for {token.user}: {key} — copy it now, it is not shown again.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(user=request.user, token=token)
        messages.success(request, "The tokens no longer open the API.")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RegistryUserAdmin(ScopedAdminMixin, ChangeReasonAdminMixin, UserAdmin):
    """Users with their centres and registry-wide grant, edited in one place, with a reason."""

    inlines = [CentreMembershipInline, RegistryWideGrantInline]
    change_password_form = AdministratorPasswordChangeForm
    form = type("AuditedUserChangeForm", (ChangeReasonForm, UserChangeForm), {})
    add_form = type("AuditedUserCreationForm", (ChangeReasonForm, UserCreationForm), {})

    def has_delete_permission(self, request, obj=None):
        """Accounts are deactivated ("Active" unticked), never deleted: deleting one would
        erase its name from every audit row it wrote (PostgreSQL refuses that outright)."""
        return False


# Admins registered by Django and other apps (groups, log-in lock-outs) answer like ours.
for _model, _model_admin in list(admin.site._registry.items()):
    if not isinstance(_model_admin, ScopedAdminMixin):
        admin.site.unregister(_model)
        admin.site.register(
            _model, type(type(_model_admin).__name__, (ScopedAdminMixin, type(_model_admin)), {})
        )
