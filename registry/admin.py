"""Django admin for every model, scoped like the pages and writing through the services.

Data managers and auditors are staff: data managers edit their centres' records,
auditors have view permissions only (roles.py). The audit trail is read through each
record's "History" button; it cannot be reverted or edited here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import access, services
from .forms import AdministratorPasswordChangeForm
from .models import (
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

admin.site.site_header = "MBC tumour-board registry – administration"
admin.site.site_title = "MBC registry admin"


class RegistryHistoryAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_change_reason"]


class CentreScopedAdmin(RegistryHistoryAdmin):
    """Objects that belong to a centre: chosen among, and changed only in, editable centres."""

    def editable(self, request):
        raise NotImplementedError

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "centre":
            kwargs["queryset"] = access.editable_centres(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.editable(request).filter(pk=obj.pk).exists())


class PatientRecordAdmin(RegistryHistoryAdmin):
    """Records of patients the user may see; saved and deleted through the services."""

    list_select_related = ("patient", "patient__centre")
    search_fields = ("patient__registry_id",)
    raw_id_fields = ()

    def get_queryset(self, request):
        return access.patient_records(request.user, self.model).select_related(
            *self.list_select_related
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = access.patients(request.user, for_edit=True)
        if db_field.name == "line":
            kwargs["queryset"] = access.patient_records(
                request.user, TreatmentLine, for_edit=True
            ).select_related("patient")
        if db_field.name == "meeting":
            kwargs["queryset"] = access.board_meetings(request.user, for_edit=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _editable(self, request, obj) -> bool:
        return (
            obj is None
            or access.patients(request.user, for_edit=True).filter(pk=obj.patient_id).exists()
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(request, obj)

    def save_model(self, request, obj, form, change):
        services.record_save(user=request.user, record=obj, reason="Edited in the admin")

    def delete_model(self, request, obj):
        services.record_delete(user=request.user, record=obj, reason="Deleted in the admin")

    def delete_queryset(self, request, queryset):
        for record in queryset:
            self.delete_model(request, record)


class MoveCentreForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.all(), label="New centre")
    record_number = forms.CharField(
        max_length=40, required=False, help_text="The record number at the new centre, if known."
    )
    reason = forms.CharField(max_length=300, help_text="Kept in the audit trail.")


@admin.register(Patient)
class PatientAdmin(CentreScopedAdmin):
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
    readonly_fields = ("archived_at", "archive_reason", "move_link")

    def get_queryset(self, request):
        return access.patients(request.user).select_related("centre")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["registry_id", "centre"]
        return fields

    def editable(self, request):
        return access.patients(request.user, for_edit=True)

    def has_delete_permission(self, request, obj=None):
        return False  # archived from the case page, never deleted

    @admin.display(description="Move to another centre")
    def move_link(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        return format_html(
            '<a href="{}">Move this patient…</a>',
            reverse("admin:registry_patient_move", args=[obj.pk]),
        )

    def save_model(self, request, obj, form, change):
        services.patient_save(user=request.user, patient=obj, reason="Edited in the admin")

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
        patient = get_object_or_404(Patient, pk=pk)
        form = MoveCentreForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.patient_move_centre(
                    user=request.user, patient=patient, **form.cleaned_data
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


class BoardAttendanceInline(admin.TabularInline):
    model = BoardAttendance
    extra = 0


@admin.register(BoardMeeting)
class BoardMeetingAdmin(CentreScopedAdmin):
    list_display = ("held_on", "centre", "notes")
    list_filter = ("centre",)
    date_hierarchy = "held_on"
    inlines = [BoardAttendanceInline]

    def get_queryset(self, request):
        return access.board_meetings(request.user).select_related("centre")

    def editable(self, request):
        return access.board_meetings(request.user, for_edit=True)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.editable(request).filter(pk=obj.pk).exists())


@admin.register(Centre)
class CentreAdmin(RegistryHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class CentreMembershipInline(admin.TabularInline):
    model = CentreMembership
    extra = 0


class RegistryWideGrantInline(admin.StackedInline):
    model = RegistryWideGrant
    extra = 0
    max_num = 1


@admin.register(CentreMembership)
class CentreMembershipAdmin(RegistryHistoryAdmin):
    list_display = ("user", "centre")
    list_filter = ("centre",)
    search_fields = ("user__username",)


@admin.register(RegistryWideGrant)
class RegistryWideGrantAdmin(RegistryHistoryAdmin):
    list_display = ("user", "reason")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RegistryUserAdmin(UserAdmin):
    """Users with their centres and registry-wide grant, edited in one place."""

    inlines = [CentreMembershipInline, RegistryWideGrantInline]
    change_password_form = AdministratorPasswordChangeForm

    def has_delete_permission(self, request, obj=None):
        """Accounts are deactivated ("Active" unticked), never deleted: deleting one would
        erase its name from every audit row it wrote (PostgreSQL refuses that outright)."""
        return False
