"""The three roles as Django groups, with the model permissions the admin needs.

Idempotent: `manage.py sync_roles` (run by the setup script and `seed_demo`) brings
the groups to exactly these permissions. Centre scoping is not a permission: it is
applied by `registry.access` everywhere.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .access import Role
from .models import RECORD_KINDS

CLINICAL_MODELS = (
    "patient",
    *(kind.model._meta.model_name for kind in RECORD_KINDS),
    "boardmeeting",
    "boardattendance",
)
AUDIT_MODELS = (
    *(f"historical{name}" for name in CLINICAL_MODELS),
    "historicalcentre",
    "historicalcentremembership",
    "historicalregistrywidegrant",
)


def _codenames(actions: tuple[str, ...], models: tuple[str, ...]) -> list[str]:
    return [f"{action}_{model}" for action in actions for model in models]


ROLE_PERMISSIONS = {
    # Patients are archived, never deleted: no delete_patient for anyone but superusers.
    Role.DATA_MANAGER: [
        code
        for code in _codenames(("view", "add", "change", "delete"), CLINICAL_MODELS)
        if code != "delete_patient"
    ],
    Role.AUDITOR: _codenames(
        ("view",), CLINICAL_MODELS + AUDIT_MODELS + ("centre", "apitoken", "historicalapitoken")
    ),
    Role.ANALYST: [],
}


@transaction.atomic
def sync_roles() -> None:
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        permissions = Permission.objects.filter(
            content_type__app_label="registry", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {role}: {sorted(missing)}")
        group.permissions.set(permissions)
