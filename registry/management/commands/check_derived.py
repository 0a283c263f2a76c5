"""python manage.py check_derived: do the derived tables equal a fresh derivation?

Exit status 1, naming the patients that differ, if they do not (then `rebuild_derived`).
"""

from django.core.management.base import BaseCommand, CommandError

from registry import derived

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Compare the stored derived rows of every patient with a fresh derivation from the "
        "records; fail naming the patients that differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=derived.BATCH_SIZE)

    def handle(self, *args, batch_size, **options):
        differing = derived.drifted(batch_size)
        if differing:
            shown = ", ".join(differing[:SHOWN])
            more = f" and {len(differing) - SHOWN} more" if len(differing) > SHOWN else ""
            raise CommandError(
                f"The derived rows of {len(differing)} patient(s) differ from a fresh "
                f"derivation: {shown}{more}. Run `manage.py rebuild_derived`.",
                returncode=1,
            )
        self.stdout.write("The derived tables equal a fresh derivation.")
