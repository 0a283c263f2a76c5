"""python manage.py report {characteristics,cr,opd} [--format json|csv|xlsx] [--output FILE]."""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics import downloads
from analytics.catalogue import REPORTS
from analytics.computed import computed_result
from analytics.filters import CohortFilterSet
from analytics.tables import report_tables
from registry import access, spreadsheets
from registry.models import Centre, Patient


class Command(BaseCommand):
    # The system checks import every URL's views (matplotlib, the API schema): a second of
    # start-up for a command that reads the database; `manage.py check` and CI run them.
    requires_system_checks = []
    help = (
        "Compute a report with the same filters and keys as the report pages. All centres by "
        "default; with --user, only what that analyst or auditor may see."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=sorted(REPORTS))
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", help="File to write; standard output if omitted.")
        parser.add_argument("--user", help="Apply this analyst's or auditor's centre access.")
        # The filters are parsed by the report pages' filter set: same values, same messages.
        parser.add_argument(
            "--centre", action="append", default=[], help="Centre code; repeatable."
        )
        parser.add_argument(
            "--mbc-from", default="", help="MBC diagnosis on or after (YYYY-MM-DD)."
        )
        parser.add_argument("--mbc-to", default="", help="MBC diagnosis on or before (YYYY-MM-DD).")
        parser.add_argument("--presentation", default="", help="de_novo or recurrent.")
        parser.add_argument("--subtype", default="", help="e.g. HR+/HER2-, triple-negative.")
        parser.add_argument("--review", default="", help="reviewed or unreviewed cases only.")
        parser.add_argument("--by-centre", action="store_true", help="Add figures per centre.")

    def _user(self, username: str | None):
        if not username:
            return None
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user '{username}'.") from None
        if not access.can_view_reports(user):
            raise CommandError(f"'{user}' is not an analyst or auditor.")
        return user

    def handle(self, *args, **options):
        user = self._user(options["user"])
        filters = CohortFilterSet(
            {
                "centre": options["centre"],
                "mbc_from": options["mbc_from"],
                "mbc_to": options["mbc_to"],
                "presentation": options["presentation"],
                "subtype": options["subtype"],
                "review": options["review"],
                "by_centre": options["by_centre"],
            },
            user=user,
        )
        if not filters.is_valid():
            raise CommandError(f"Filters refused: {filters.errors_as_text()}")
        if user is None:
            visible, centre_ids = Patient.objects.all(), Centre.objects.values_list("pk", flat=True)
        else:
            visible = access.patients(user)
            centre_ids = access.visible_centres(user).values_list("pk", flat=True)
        report = computed_result(
            REPORTS[options["report"]],
            filters.cohort_filter(),
            by_centre=filters.compare_centres,
            visible=visible,
            centre_ids=list(centre_ids),
        ).result
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
