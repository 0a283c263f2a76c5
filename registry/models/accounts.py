"""User accounts and API tokens: who may see and change what, audited like the data.

Roles (groups), activation and staff rights decide access, so their changes are kept like
memberships and grants. API tokens are issued by an administrator, never deleted, and
named in the audit row of every change made with them.
"""

import hashlib

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from simple_history import register
from simple_history.models import HistoricalRecords

from .trace import ApiTokenTrace


class AccountHistory(HistoricalRecords):
    """A log-in (which only stamps `last_login`) is not a change to the account, and
    neither is restoring a backup (`loaddata` saves raw, then sets the roles)."""

    def post_save(self, instance, created, using=None, **kwargs):
        if kwargs.get("raw"):
            instance._restored_from_backup = True
        if kwargs.get("update_fields") == frozenset({"last_login"}):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if getattr(instance, "_restored_from_backup", False):
            return
        super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)


register(
    get_user_model(),
    app="registry",
    records_class=AccountHistory,
    bases=[ApiTokenTrace],
    m2m_fields=["groups"],
    # Never keep old password hashes; log-in times are not changes.
    excluded_fields=["password", "last_login"],
)


def role_history():
    """The rows that keep each account version's roles (simple-history's m2m snapshot)."""
    return apps.get_model("registry", "HistoricalUser_groups")


class ApiToken(models.Model):
    """A key that opens the API as one account. Only its digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        "key starts with", max_length=8, editable=False, help_text="Identifies the key."
    )
    purpose = models.CharField(
        max_length=300, help_text="What the token is for; kept in the trail."
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
        help_text="Empty for a token issued before tokens were audited.",
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Uses are stamped in last_used_at without an audit row: each write made with the
    # token names it in its own row (trace.py).
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = "API token"
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"API token {self.key_prefix}… of {self.user}"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
