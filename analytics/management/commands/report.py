"""python manage.py report {characteristics,cr,opd} [--format json|csv|xlsx] [--output FILE]."""

import sys
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics import downloads
from analytics.catalogue import REPORTS
from analytics.cohorts import CohortFilter, build_cohort
from analytics.computed import report_result
from analytics.tables import report_tables
from registry import access, spreadsheets
from registry.domain.biology import Subtype
from registry.models import Centre, Patient


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Compute a report with the same filters and keys as the report pages. All centres by "
        "default; with --user, only what that analyst or auditor may see."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=sorted(REPORTS))
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", help="File to write; standard output if omitted.")
        parser.add_argument("--user", help="Apply this analyst's or auditor's centre access.")
        parser.add_argument(
            "--centre", action="append", default=[], help="Centre code; repeatable."
        )
        parser.add_argument(
            "--mbc-from", type=_date, help="MBC diagnosis on or after (YYYY-MM-DD)."
        )
        parser.add_argument("--mbc-to", type=_date, help="MBC diagnosis on or before (YYYY-MM-DD).")
        parser.add_argument("--presentation", choices=["de_novo", "recurrent"], default="")
        parser.add_argument("--subtype", choices=[s.value for s in Subtype], default="")
        parser.add_argument("--by-centre", action="store_true", help="Add figures per centre.")

    def _scope(self, username: str | None):
        """The patients and centre codes the report may draw on."""
        if not username:
            return Patient.objects.all(), set(Centre.objects.values_list("code", flat=True))
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user '{username}'.") from None
        if not access.can_view_reports(user):
            raise CommandError(f"'{user}' is not an analyst or auditor.")
        return access.patients(user), set(
            access.visible_centres(user).values_list("code", flat=True)
        )

    def handle(self, *args, **options):
        visible, centres = self._scope(options["user"])
        unknown = sorted(set(options["centre"]) - centres)
        if unknown:
            raise CommandError(f"Unknown or not accessible centre(s): {', '.join(unknown)}.")
        filters = CohortFilter(
            centres=tuple(sorted(options["centre"])),
            mbc_from=options["mbc_from"],
            mbc_to=options["mbc_to"],
            presentation=options["presentation"],
            subtype=options["subtype"],
        )
        report = report_result(
            REPORTS[options["report"]],
            build_cohort(visible, filters),
            by_centre=options["by_centre"],
        )
        fmt = options["format"]
        if fmt == "json":
            content = downloads.json_bytes(report)
        elif fmt == "csv":
            content = spreadsheets.csv_bytes(report_tables(report)["figures"])
        else:
            if not options["output"]:
                raise CommandError("XLSX needs --output FILE.")
            content = spreadsheets.xlsx_bytes(report_tables(report))
        if options["output"]:
            with open(options["output"], "wb") as target:
                target.write(content)
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            sys.stdout.buffer.write(content)
