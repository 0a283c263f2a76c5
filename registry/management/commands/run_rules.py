"""Run every data-quality rule over the whole registry, in batches, and print the counts."""

from datetime import date

from django.core.management.base import BaseCommand

from registry import finding_services


class Command(BaseCommand):
    help = "Recompute every patient's data-quality findings and print them per rule."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="The day the 12-month follow-up rule counts from (YYYY-MM-DD; default today).",
        )

    def handle(self, *args, today=None, **options):
        def progress(done: int, total: int) -> None:
            self.stderr.write(f"{done}/{total} patients")

        totals = finding_services.rules_run(today=today, progress=progress)
        self.stdout.write(f"{totals['new']} new, {totals['fixed']} fixed")
        for row in finding_services.counts_by_rule_all():
            self.stdout.write(
                f"{row['rule']:<34} new {row['new']:>6}  confirmed {row['confirmed']:>6}  "
                f"fixed {row['fixed']:>6}"
            )
