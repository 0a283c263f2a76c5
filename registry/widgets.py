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
