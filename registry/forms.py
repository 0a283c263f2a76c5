"""Data-entry forms. They only collect and present; the rules live in the models."""

from datetime import date

from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils.formats import date_format
from django.utils.timezone import localtime

from . import access, audit
from .models import (
    BoardMeeting,
    CaseDiscussion,
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from .models.vocabularies import Specialty
from .widgets import PatientSearchField, clinical_date_field

YES_NO_UNKNOWN = [("", "Not known / not applicable"), ("true", "Yes"), ("false", "No")]


def _widgets(db_field, **kwargs):
    """The registry's date entry for every date; choices stay selects."""
    field = db_field.formfield(**kwargs)
    if field is not None and isinstance(field, forms.DateField):
        clinical_date_field(field)
    if field is not None and db_field.get_internal_type() == "BooleanField" and db_field.null:
        field = forms.NullBooleanField(
            label=field.label,
            required=False,
            help_text=field.help_text,
            widget=forms.Select(choices=YES_NO_UNKNOWN),
        )
    return field


def _plain(field: forms.Field, value) -> str:
    """A field value as its reader sees it, the same for a stored record and a form value."""
    if value is None or value == "":
        return "–"
    if isinstance(value, date):
        return date_format(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if getattr(field, "choices", None) and not hasattr(value, "pk"):
        return str(dict(field.choices).get(value, value))
    return str(value)


def apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Show a model's ValidationError at the form's fields (others at the top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class AuditedForm(forms.ModelForm):
    """Asks, on edits, for the reason that the audit trail keeps with the change."""

    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=300,
        help_text="Optional; kept in the audit trail, e.g. 'corrected from the pathology report'.",
    )

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["reason"]
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version

    def _post_clean(self):
        """Only build the instance from the input: the service validates it, once, with the
        model's rules and the patient's bounds, and the view shows its errors at the fields
        (`apply_validation_error`)."""
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)

    @property
    def change_reason(self) -> str:
        return self.cleaned_data.get("reason", "")

    @property
    def expected_version(self) -> int | None:
        """The version the editor started from (None for a new record)."""
        return self.cleaned_data.get("version")

    def show_conflict(self, current) -> None:
        """Say who changed what meanwhile; the next save, after review, will overwrite it."""
        latest = current.history.select_related("history_user").first()
        who = latest.history_user.get_username() if latest and latest.history_user else "Someone"
        when = (
            f" at {date_format(localtime(latest.history_date), 'SHORT_DATETIME_FORMAT')}"
            if latest
            else ""
        )
        stored = {f.name for f in current._meta.fields} - {"version"}  # hidden, not data
        differences = [
            f"{field.label}: stored “{_plain(field, getattr(current, name))}”, "
            f"yours “{_plain(field, self.cleaned_data.get(name))}”."
            for name, field in self.fields.items()
            if name in stored
            and _plain(field, self.cleaned_data.get(name)) != _plain(field, getattr(current, name))
        ]
        self.add_error(
            None,
            [
                f"{who} saved this record{when}, after you opened it, so nothing was saved. "
                "Check the stored values; saving again keeps yours.",
                *differences,
            ],
        )
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.version


class PatientRecordForm(AuditedForm):
    """A form for one record of a known patient (the patient comes from the URL)."""

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.patient = patient
        self.patient = patient


class PatientForm(AuditedForm):
    class Meta:
        formfield_callback = _widgets
        model = Patient
        fields = [
            "registry_id",
            "centre",
            "record_number",
            "family_name",
            "given_name",
            "sex",
            "birth_date",
            "primary_diagnosis_date",
            "mbc_diagnosis_date",
            "presentation",
            "histology",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The registry ID and the centre change only by an administrator's move.
            del self.fields["registry_id"]
            del self.fields["centre"]
        else:
            self.fields["registry_id"].required = False
            centres = access.editable_centres(user)
            self.fields["centre"].queryset = centres
            if centres.count() == 1:
                self.fields["centre"].initial = centres.get()


class ReceptorAssessmentForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = ReceptorAssessment
        fields = [
            "assessed_on",
            "specimen",
            "er_percent",
            "pr_percent",
            "her2_ihc",
            "her2_ish",
            "ki67_percent",
        ]


class MetastaticSiteForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = MetastaticSite
        fields = ["category", "detected_on", "confirmation", "detail"]


class TreatmentLineForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = TreatmentLine
        fields = [
            "number",
            "regimen",
            "agents",
            "start_date",
            "maintenance_start_date",
            "end_date",
            "end_reason",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            numbers = TreatmentLine.objects.filter(patient=self.patient).values_list(
                "number", flat=True
            )
            self.fields["number"].initial = max(numbers, default=0) + 1


class ResponseAssessmentForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = ResponseAssessment
        fields = ["line", "assessed_on", "category", "method"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = TreatmentLine.objects.filter(patient=self.patient)
        self.fields["line"].label_from_instance = lambda line: (
            f"Line {line.number}: {line.agents} (from {date_format(line.start_date)})"
        )


class ProgressionEventForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = ProgressionEvent
        fields = [
            "occurred_on",
            "kind",
            "locoregional_site",
            "other_sites_kept_best_response",
            "notes",
        ]


class SurgeryForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = Surgery
        fields = [
            "operated_on",
            *Surgery.PROCEDURE_FIELDS,
            "other_procedure",
            "intent",
            "systemic_line_continued",
        ]


class RadiotherapyForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = Radiotherapy
        fields = ["started_on", "site", "intent", "total_dose_gy", "fractions"]


class FollowUpForm(PatientRecordForm):
    class Meta:
        formfield_callback = _widgets
        model = FollowUp
        fields = ["contact_date", "vital_status", "death_date", "disease_status"]


class CaseDiscussionForm(PatientRecordForm):
    """A board discussion from the case page: the meeting is one of the patient's centre."""

    class Meta:
        formfield_callback = _widgets
        model = CaseDiscussion
        fields = [
            "meeting",
            "question",
            "recommendation",
            "recommendation_category",
            "followed",
            "not_followed_reason",
        ]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 3}),
            "recommendation": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = BoardMeeting.objects.filter(
            centre_id=self.patient.centre_id
        )


class BoardMeetingForm(AuditedForm):
    specialties = forms.MultipleChoiceField(
        label="Specialties present",
        choices=Specialty.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        formfield_callback = _widgets
        model = BoardMeeting
        fields = ["centre", "held_on", "chair", "specialties", "notes"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["centre"]
            self.fields["specialties"].initial = [
                a.specialty for a in self.instance.attendance.all()
            ]
        else:
            centres = access.editable_centres(user)
            self.fields["centre"].queryset = centres
            if centres.count() == 1:
                self.fields["centre"].initial = centres.get()


class AgendaItemForm(AuditedForm):
    """Put a patient of the meeting's centre on its agenda, with the question."""

    class Meta:
        model = CaseDiscussion
        fields = ["patient", "question"]
        widgets = {"question": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, meeting: BoardMeeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.meeting = meeting
        self.fields["patient"] = PatientSearchField(
            Patient.objects.active()
            .filter(centre_id=meeting.centre_id)
            .exclude(casediscussion_set__meeting=meeting)
            .order_by("registry_id"),
            label="Patient",
            help_text="Type the registry ID or part of the name, then pick from the list.",
        )


class DecisionForm(AuditedForm):
    """The board's decision on one agenda item, and later whether it was followed."""

    class Meta:
        formfield_callback = _widgets
        model = CaseDiscussion
        fields = ["recommendation", "recommendation_category", "followed", "not_followed_reason"]
        widgets = {"recommendation": forms.Textarea(attrs={"rows": 3})}


class ArchiveForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300, help_text="Kept in the audit trail.")


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label="Reason for deleting",
        max_length=300,
        help_text="Kept in the audit trail with every value of the deleted record.",
    )


class MeetingFilterForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    held_from = clinical_date_field(forms.DateField(label="Held from", required=False))
    held_to = clinical_date_field(forms.DateField(label="Held to", required=False))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = access.visible_centres(user)

    def filter(self, meetings):
        data = self.cleaned_data
        if data["centre"]:
            meetings = meetings.filter(centre=data["centre"])
        if data["held_from"]:
            meetings = meetings.filter(held_on__gte=data["held_from"])
        if data["held_to"]:
            meetings = meetings.filter(held_on__lte=data["held_to"])
        return meetings


class AuditLogFilterForm(forms.Form):
    """Narrows the registry-wide audit log; the page and its CSV/XLSX export share it."""

    user = forms.CharField(
        label="User name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    centre = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    patient = forms.CharField(
        label="Patient (registry ID)",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    record_kind = forms.ChoiceField(
        label="Record type",
        required=False,
        choices=[("", "Any"), *((key, label) for key, (label, _) in audit.RECORD_KINDS.items())],
    )
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), *((a, a.capitalize()) for a in audit.ACTIONS.values())],
    )
    since = clinical_date_field(forms.DateField(label="From", required=False))
    until = clinical_date_field(forms.DateField(label="To", required=False))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["centre"].queryset = access.visible_centres(user)

    def clean_patient(self):
        registry_id = self.cleaned_data["patient"].strip()
        if not registry_id:
            return None
        patient = access.patients(self.user).filter(registry_id__iexact=registry_id).first()
        if patient is None:
            raise ValidationError("No patient you may see has this registry ID.")
        return patient

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the period is before its start.")
        return cleaned

    def audit_filter(self) -> "audit.AuditFilter":
        data = self.cleaned_data
        return audit.AuditFilter(
            username=data["user"].strip(),
            centre=data["centre"],
            patient=data["patient"],
            record_kind=data["record_kind"],
            action=data["action"],
            since=data["since"],
            until=data["until"],
        )


class OwnPasswordChangeForm(PasswordChangeForm):
    """The account's history says why it changed (the password itself is never kept)."""

    def save(self, commit=True):
        self.user._change_reason = "Password changed by its owner"
        return super().save(commit)


class AdministratorPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit=True):
        self.user._change_reason = "Password set by an administrator"
        return super().save(commit)
