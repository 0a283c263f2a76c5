"""Issue an API token for an account, in the name of an administrator, from the shell."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token; the key is printed once and stored only as a digest."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account the token opens the API as.")
        parser.add_argument("--purpose", required=True, help="What the token is for.")
        parser.add_argument(
            "--issued-by", required=True, help="The administrator issuing it (a superuser)."
        )

    def handle(self, *args, username, purpose, issued_by, **options):
        users = get_user_model().objects
        try:
            account = users.get(username=username)
            administrator = users.get(username=issued_by, is_superuser=True, is_active=True)
        except users.model.DoesNotExist as error:
            raise CommandError(
                f"No such account (or not an active administrator): {error}"
            ) from None
        token, key = api_token_issue(user=administrator, for_user=account, purpose=purpose)
        self.stderr.write(f"Issued {token} for: {purpose}")
        self.stdout.write(key)
