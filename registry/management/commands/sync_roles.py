from django.core.management.base import BaseCommand

from registry.roles import sync_roles


class Command(BaseCommand):
    help = "Create or update the data manager, auditor and analyst groups and their permissions."

    def handle(self, *args, **options):
        sync_roles()
        self.stdout.write("Roles are up to date: Data managers, Auditors, Analysts.")
