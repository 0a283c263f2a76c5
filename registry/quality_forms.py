"""Forms of the data-quality pages: they collect; `quality_services` validates and writes."""

from django import forms

from .models import KIND_BY_SLUG, Patient
from .quality_services import NOT_QUERYABLE, data_managers_of


def field_choices(model) -> list[tuple[str, str]]:
    """The fields a query may name on a record of this model, in the form's words."""
    return [
        (f.name, str(f.verbose_name).capitalize())
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and not f.is_relation and f.name not in NOT_QUERYABLE
    ]


class QueryRaiseForm(forms.Form):
    record_kind = forms.CharField(required=False, widget=forms.HiddenInput)
    record_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    field_name = forms.ChoiceField(label="Field", required=False)
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    proposed_value = forms.CharField(
        required=False,
        max_length=200,
        help_text="Optional: the value you believe is right, typed as on the record's form.",
    )
    assignee = forms.ModelChoiceField(queryset=None, label="Assigned to")

    def __init__(self, *args, patient: Patient, record_kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        kind = KIND_BY_SLUG.get(record_kind)
        model = kind.model if kind else Patient
        self.fields["field_name"].choices = [("", "The whole record"), *field_choices(model)]
        managers = data_managers_of(patient.centre_id)
        self.fields["assignee"].queryset = managers
        if len(managers) == 1:
            self.fields["assignee"].initial = managers[0]


class QueryStepForm(forms.Form):
    """The next step of a query: answer (with an optional change), close or reopen."""

    ANSWER, CLOSE, REOPEN = "answer", "close", "reopen"

    step = forms.ChoiceField(
        choices=[(ANSWER, "Answer"), (CLOSE, "Close"), (REOPEN, "Reopen")],
        widget=forms.HiddenInput,
    )
    text = forms.CharField(
        label="Text", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    change_value = forms.BooleanField(label="Change the field's value", required=False)
    new_value = forms.CharField(label="New value", required=False, max_length=200)


class CaseReviewForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=300,
        help_text="Optional, e.g. 'all records checked against the chart'.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)
