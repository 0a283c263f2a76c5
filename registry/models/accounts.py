"""The history of user accounts: roles (groups), activation and staff rights decide who may
see and change what, so their changes are audited like memberships and grants."""

from django.apps import apps
from django.contrib.auth import get_user_model
from simple_history import register
from simple_history.models import HistoricalRecords


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
    m2m_fields=["groups"],
    # Never keep old password hashes; log-in times are not changes.
    excluded_fields=["password", "last_login"],
)


def role_history():
    """The rows that keep each account version's roles (simple-history's m2m snapshot)."""
    return apps.get_model("registry", "HistoricalUser_groups")
