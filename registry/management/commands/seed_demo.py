import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from registry import demo_cohort
from registry.domain.oligoprogression import opd_case
from registry.domain.response import cr_episodes
from registry.models import (
    PATIENT_RECORD_MODELS,
    BoardAttendance,
    BoardMeeting,
    CaseStatus,
    Centre,
    CentreMembership,
    DataQuery,
    Finding,
    Patient,
    PatientSummary,
    QueryStep,
    RegistryWideGrant,
)
from registry.models.accounts import role_history
from registry.selectors import patient_data


class Command(BaseCommand):
    help = (
        "Fill an empty registry with a deterministic synthetic MBC cohort, three centres and "
        "a demo user per role. --reset first deletes all clinical data, centres and users "
        "(demo databases only: it bypasses the audit trail)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2017)
        parser.add_argument("--patients", type=int, default=300)
        parser.add_argument("--reset", action="store_true")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Leave a registry that already holds data as it is, without an error.",
        )

    def handle(self, *args, seed, patients, reset, if_empty, **options):
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        if reset:
            self._reset()
        elif Patient.objects.exists() or Centre.objects.exists():
            if not if_empty:
                raise CommandError(
                    "The registry already holds data; seed_demo only fills an empty one "
                    "(use --reset on a demo database)."
                )
            self.stdout.write("The registry already holds data: kept (--reset renews the demo).")
            self._list_demo_users()
            return
        started = time.monotonic()
        summary = demo_cohort.seed(seed=seed, patients=patients)
        self._report(summary, time.monotonic() - started)

    @transaction.atomic
    def _reset(self):
        """Empty the demo database, audit rows included (never on real data)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # allowed for this transaction only
                cursor.execute("SET LOCAL registry.audit_purge = 'on'")
        for model in (
            Finding,
            QueryStep,
            DataQuery,
            CaseStatus,
            *reversed(PATIENT_RECORD_MODELS),
            BoardAttendance,
            BoardMeeting,
            Patient,
            CentreMembership,
            RegistryWideGrant,
            Centre,
        ):
            model.objects.all().delete()
            model.history.all().delete()
        PatientSummary.objects.all().delete()
        accounts = get_user_model()
        accounts.objects.all().delete()
        role_history().objects.all().delete()
        accounts.history.all().delete()

    def _report(self, summary, seconds: float):
        data = patient_data(Patient.objects.all())
        episodes = {pk: cr_episodes(item.course) for pk, item in data.items()}
        cohort = [opd_case(item.course) for item in data.values()]
        write = self.stdout.write
        write(f"Seeded {sum(summary.patients_by_centre.values())} patients in {seconds:.1f} s:")
        for code, count in summary.patients_by_centre.items():
            write(f"  {code}: {count} patients")
        with_cr = [e for e in episodes.values() if e]
        in_maintenance = sum(1 for e in with_cr if any(x.during_maintenance for x in e))
        write(
            f"  with a CR: {len(with_cr)}; more than once: "
            f"{sum(1 for e in with_cr if len(e) > 1)}; CR during maintenance: {in_maintenance}"
        )
        write(f"  OPD-surgery cohort: {sum(1 for c in cohort if c and c.exclusion is None)}")
        write(f"  board meetings: {BoardMeeting.objects.count()}")
        self._list_demo_users()

    def _list_demo_users(self):
        """The demo log-ins, if this registry has them."""
        if not get_user_model().objects.filter(username="admin").exists():
            return
        write = self.stdout.write
        write("\nDemo users (password for all: " + demo_cohort.DEMO_PASSWORD + "):")
        write(f"  {'admin':<12} administrator (superuser): centres, users, moves")
        for user in demo_cohort.DEMO_USERS:
            scope = "all centres" if user.registry_wide else ", ".join(user.centres)
            write(f"  {user.username:<12} {user.role.value[:-1].lower():<13} {scope}")
