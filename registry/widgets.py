"""The date entry every clinical date uses: typed dd/mm/yyyy (dots and ISO also accepted),
a format hint, and a calendar button (static/registry/dates.js) that fills the box."""

from django import forms

DATE_HINT = "dd/mm/yyyy"
INVALID_DATE = "Enter the date as dd/mm/yyyy, e.g. 23/07/2009 (23.07.2009 and 2009-07-23 work too)."


class ClinicalDateInput(forms.DateInput):
    template_name = "registry/widgets/date.html"

    def __init__(self, attrs=None):
        super().__init__(
            {
                "placeholder": DATE_HINT,
                "inputmode": "numeric",
                "autocomplete": "off",
                "data-date-picker": "",
                "size": 10,
                **(attrs or {}),
            },
            format="%d/%m/%Y",
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        hint = f"{attrs.get('id', name)}_format"
        attrs["aria-describedby"] = " ".join(filter(None, [attrs.get("aria-describedby"), hint]))
        context["widget"]["hint_id"] = hint
        return context


def clinical_date_field(field: forms.DateField) -> forms.DateField:
    """Give a date field the registry's widget and a message that says the format."""
    field.widget = ClinicalDateInput()
    field.error_messages = {**field.error_messages, "invalid": INVALID_DATE}
    return field


class PatientSearchInput(forms.Select):
    """A text box that suggests patients as one types (a <datalist>): the registry ID or
    any part of the name finds them among hundreds, where a select needs scrolling."""

    template_name = "registry/widgets/patient_search.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["suggestions"] = [label for key, label in self.choices if key != ""]
        context["widget"]["text"] = "" if value in (None, "", []) else str(value)
        return context


class PatientSearchField(forms.ModelChoiceField):
    """Chooses a patient of the queryset from "MBC-000012 – Conti Anna" or "MBC-000012"."""

    widget = PatientSearchInput
    SEPARATOR = " – "

    def __init__(self, queryset, **kwargs):
        super().__init__(
            queryset,
            to_field_name="registry_id",
            error_messages={
                "invalid_choice": "No patient of this meeting's centre has this registry ID; "
                "type part of the ID or name and pick from the list."
            },
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return f"{obj.registry_id}{self.SEPARATOR}{obj.family_name} {obj.given_name}"

    def to_python(self, value):
        text = (value or "").split(self.SEPARATOR)[0].strip()
        return super().to_python(text)
