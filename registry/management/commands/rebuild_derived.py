"""python manage.py rebuild_derived: recompute every patient's derived rows.

Run it after a change of a derivation rule (or a migration that adds a derived column);
`check_derived` then says whether anything still differs.
"""

import time

from django.core.management.base import BaseCommand

from registry import derived, services


class Command(BaseCommand):
    help = (
        "Recompute the derived tables (patient, CR episode and line summaries) of every "
        "patient, in batches, from the records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=derived.BATCH_SIZE)

    def handle(self, *args, batch_size, **options):
        started = time.monotonic()
        count = services.patient_summaries_refresh_all(batch_size=batch_size)
        self.stdout.write(
            f"Rebuilt the derived rows of {count} patients in {time.monotonic() - started:.1f} s."
        )
