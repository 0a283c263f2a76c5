"""python manage.py import_redcap --dictionary F --records F --mapping F --user NAME [--dry-run]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.interop import redcap


class Command(BaseCommand):
    help = (
        "Import a REDCap project (data dictionary, raw records CSV, mapping; docs/redcap.md) as "
        "the given data manager: all or nothing, through the registry's case importer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dictionary", required=True, help="The data dictionary (CSV).")
        parser.add_argument("--records", required=True, help="The records export (raw CSV).")
        parser.add_argument("--mapping", required=True, help="The mapping (YAML or JSON).")
        parser.add_argument("--user", required=True, help="Data manager the import is made by.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, write nothing."
        )

    def handle(self, *args, user, dry_run, **options):
        try:
            importer = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user '{user}'.") from None
        paths = {part: Path(options[part]) for part in redcap.PARTS}
        for path in paths.values():
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        files = redcap.ProjectFiles(
            **{part: (path.name, path.read_bytes()) for part, path in paths.items()}
        )
        try:
            prepared = redcap.read_project(files)
        except redcap.RedcapFileError as error:
            raise CommandError(str(error)) from None

        def progress(done: int, total: int) -> None:
            if done == total or done % 10 == 0:
                self.stderr.write(f"  checked {done}/{total} records")

        result = redcap.import_project(
            prepared,
            user=importer,
            dry_run=dry_run,
            reason=redcap.import_reason(files),
            progress=progress,
        )
        for error in result.errors:
            self.stderr.write(f"{error.where} › {error.field}: {error.message}")
        if not result.ok:
            raise CommandError(f"{len(result.errors)} error(s); nothing was written.")
        summary = ", ".join(
            f"{label} {sum(counts.values())}"
            for label, counts in (
                ("created", result.created),
                ("updated", result.updated),
                ("unchanged", result.unchanged),
            )
        )
        verb = "Checked (dry run, nothing written)" if dry_run else "Imported"
        self.stdout.write(f"{verb} {result.cases} REDCap records: {summary}.")
