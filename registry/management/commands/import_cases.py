"""python manage.py import_cases FILE... --user NAME [--dry-run]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry import exchange


def read_files(paths: list[str]) -> list[exchange.Located]:
    """JSON case files, XLSX workbooks, or the CSV tables of one export (all given at once)."""
    located, csv_files = [], {}
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file.")
        content = path.read_bytes()
        if path.suffix == ".json":
            located += exchange.read_json(content)
        elif path.suffix == ".xlsx":
            located += exchange.read_xlsx(content)
        elif path.suffix == ".csv":
            csv_files[path.name] = content
        else:
            raise CommandError(f"{name}: use .json, .xlsx or .csv files.")
    if csv_files:
        located += exchange.read_csv_files(csv_files)
    return located


class Command(BaseCommand):
    help = (
        "Import whole cases (docs/exchange.md) as the given data manager: all or nothing, "
        "matched by registry ID and natural keys, audited with the file name."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--user", required=True, help="Data manager the import is made by.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, write nothing."
        )

    def handle(self, *args, files, user, dry_run, **options):
        try:
            importer = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user '{user}'.") from None
        try:
            located = read_files(files)
        except exchange.ExchangeFileError as error:
            raise CommandError(str(error)) from None

        def progress(done: int, total: int) -> None:
            if done == total or done % 10 == 0:
                self.stderr.write(f"  checked {done}/{total} cases")

        result = exchange.import_cases(
            located,
            user=importer,
            dry_run=dry_run,
            reason=f"Imported from {', '.join(Path(f).name for f in files)}",
            progress=progress,
        )
        for error in result.errors:
            self.stderr.write(f"{error.where} › {error.field}: {error.message}")
        summary = ", ".join(
            f"{label} {sum(counts.values())}"
            for label, counts in (
                ("created", result.created),
                ("updated", result.updated),
                ("unchanged", result.unchanged),
            )
        )
        if not result.ok:
            raise CommandError(f"{len(result.errors)} error(s); nothing was written.")
        verb = "Checked (dry run, nothing written)" if dry_run else "Imported"
        self.stdout.write(f"{verb} {result.cases} cases: {summary}.")
