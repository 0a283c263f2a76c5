"""Print the data dictionary of the exchange formats (kept in docs/exchange.md)."""

from django.core.management.base import BaseCommand

from registry import exchange
from registry.models import CaseDiscussion, Patient, ResponseAssessment

KINDS = {
    "DateField": "date (YYYY-MM-DD)",
    "PositiveSmallIntegerField": "integer",
    "DecimalField": "decimal",
    "TextField": "text",
    "CharField": "text",
}
HEADER = "| column | type / allowed values | | meaning |\n|---|---|---|---|"


def describe(model, name: str) -> str:
    field = model._meta.get_field(name)
    kind = KINDS.get(field.get_internal_type(), field.get_internal_type())
    if field.get_internal_type() == "BooleanField":
        kind = "true / false" + (" / empty" if field.null else "")
    if field.choices:
        kind = "one of " + ", ".join(f"`{code}`" for code, _ in field.choices)
    if name.endswith("_percent"):
        kind += " (%, 0-100)"
    if name == "total_dose_gy":
        kind += " (Gy)"
    required = "optional" if (field.blank or field.null) else "required"
    meaning = str(field.help_text or field.verbose_name)
    return f"| `{name}` | {kind} | {required} | {meaning} |"


def dictionary() -> str:
    lines = [
        "### patients (in JSON: the case object itself)",
        "",
        HEADER,
        "| `registry_id` | text, 3-20 of A-Z 0-9 - | required | the key of the case |",
        "| `centre` | centre code | required | a centre you are a data manager of |",
    ]
    lines += [describe(Patient, name) for name in exchange.PATIENT_FIELDS[1:]]
    for section in exchange.SECTIONS:
        lines += [
            "",
            f"### {section.key} (matched on {', '.join(section.natural_key)})",
            "",
            HEADER,
            "| `registry_id` | text | tables only | the case of the row |",
        ]
        lines += [describe(section.model, name) for name in section.fields]
    lines += [
        "",
        "### responses (in JSON: inside their treatment line; matched on line, assessed_on)",
        "",
        HEADER,
        "| `registry_id` | text | tables only | the case of the row |",
        "| `line_number` | integer | tables only | the treatment line assessed |",
    ]
    lines += [describe(ResponseAssessment, name) for name in exchange.RESPONSES.fields]
    lines += [
        "",
        "### board_discussions (matched on meeting_date)",
        "",
        HEADER,
        "| `registry_id` | text | tables only | the case of the row |",
        "| `meeting_date` | date (YYYY-MM-DD) | required | the centre's board meeting that "
        "day (created if missing) |",
    ]
    lines += [describe(CaseDiscussion, name) for name in exchange.DISCUSSIONS_FIELDS]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the exchange formats' data dictionary (Markdown) for docs/exchange.md."

    def handle(self, *args, **options):
        self.stdout.write(dictionary(), ending="")
