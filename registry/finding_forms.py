"""Forms of the findings pages: they collect; `finding_services` validates and writes."""

from django import forms

from .models import Patient
from .quality_services import data_managers_of


class FindingConfirmForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why the data is correct as entered",
        help_text="e.g. 'checked in the chart: the gap is real'.",
    )


class FindingQueryForm(forms.Form):
    question = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Empty: the finding's message is the question.",
    )
    assignee = forms.ModelChoiceField(queryset=None, label="Assigned to")

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        managers = data_managers_of(patient.centre_id)
        self.fields["assignee"].queryset = managers
        if len(managers) == 1:
            self.fields["assignee"].initial = managers[0]
