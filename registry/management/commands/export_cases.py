"""python manage.py export_cases --format json|xlsx|csv|fhir --output PATH [filters]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry import exchange
from registry.interop import fhir
from registry.models import Patient


class Command(BaseCommand):
    help = (
        "Export the registry (or some centres) in the case exchange formats (docs/exchange.md) "
        "or as a FHIR R4 mCODE bundle (docs/fhir-mcode.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "xlsx", "csv", "fhir"], default="json")
        parser.add_argument(
            "--output",
            required=True,
            help="A file for json/xlsx/fhir; a directory for csv (one file per table).",
        )
        parser.add_argument(
            "--centre", action="append", default=[], help="Centre code; repeatable."
        )
        parser.add_argument(
            "--deidentified",
            action="store_true",
            help="Leave out names, record numbers and birth dates (for analysts).",
        )
        parser.add_argument("--include-archived", action="store_true")

    def handle(self, *args, **options):
        patients = Patient.objects.all()
        if not options["include_archived"]:
            patients = patients.active()
        if options["centre"]:
            patients = patients.filter(centre__code__in=options["centre"])
        deidentified = options["deidentified"]
        output = Path(options["output"])
        if options["format"] == "fhir":
            bundle = fhir.checked_bundle(patients, deidentified=deidentified)
            output.write_bytes(fhir.bundle_bytes(bundle) + b"\n")
            count = sum(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"])
            self.stdout.write(f"Exported {count} cases to {output} (FHIR mCODE bundle).")
            return
        document = exchange.export_document(patients, deidentified=deidentified)
        if options["format"] == "json":
            output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        else:
            tables = exchange.cases_to_tables(document["cases"])
            if options["format"] == "xlsx":
                output.write_bytes(exchange.tables_to_xlsx(tables, deidentified=deidentified))
            else:
                if output.exists() and not output.is_dir():
                    raise CommandError(f"{output} is not a directory.")
                output.mkdir(parents=True, exist_ok=True)
                for name, text in exchange.tables_to_csv(tables, deidentified=deidentified).items():
                    (output / name).write_text(text)
        self.stdout.write(f"Exported {len(document['cases'])} cases to {output}.")
