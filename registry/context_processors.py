from django.contrib import admin

from . import access


def user_roles(request):
    """What the navigation may offer this user."""
    user = request.user
    labels = {
        access.Role.DATA_MANAGER: "data manager",
        access.Role.AUDITOR: "auditor",
        access.Role.ANALYST: "analyst",
    }
    role_label = (
        "administrator"
        if user.is_superuser
        else ", ".join(labels[role] for role in access.Role if role in access.roles(user))
    )
    return {
        "can_edit": access.is_data_manager(user),
        "can_audit": access.is_auditor(user),
        "can_view_reports": access.can_view_reports(user),
        "sees_identifying_data": access.sees_identifying_data(user),
        "opens_admin": admin.site.has_permission(request),
        "user_role_label": role_label,
    }
