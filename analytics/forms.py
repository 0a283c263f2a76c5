"""The endpoint definition form: choices from analytics.endpoints, checked by its parser."""

from django import forms

from .endpoints import EVENTS, GROUPINGS, ORIGINS, POPULATIONS, InvalidDefinition, parse_definition

FIELDS = ("origin", "line", "event", "population", "group_by")


def _select(choices: dict, *, blank: str | None = None) -> forms.Select:
    options = [(key, label) for key, label in choices.items() if key]
    return forms.Select(choices=[("", blank), *options] if blank else options)


class EndpointForm(forms.Form):
    """Plain text fields with select widgets: `parse_definition` gives every message, the
    same as the API's, at the field it concerns."""

    origin = forms.CharField(required=False, widget=_select(ORIGINS, blank="Choose..."))
    line = forms.CharField(
        label="Line k",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 99}),
        help_text="Only with the origin 'start of line k'.",
    )
    event = forms.CharField(required=False, widget=_select(EVENTS, blank="Choose..."))
    population = forms.CharField(required=False, initial="all", widget=_select(POPULATIONS))
    group_by = forms.CharField(
        label="Groups", required=False, widget=_select(GROUPINGS, blank="No groups")
    )

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["definition"] = parse_definition({f: cleaned.get(f) for f in FIELDS})
        except InvalidDefinition as invalid:
            for field, messages in invalid.errors.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned


class SaveEndpointForm(EndpointForm):
    name = forms.CharField(max_length=100, help_text="Shown in the list of saved endpoints.")
    field_order = ["name", *FIELDS]
