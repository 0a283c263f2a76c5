"""Who may open the Django admin at all."""

from django.contrib import admin

from . import access


class RegistryAdminSite(admin.AdminSite):
    """Administrators manage centres, accounts and moves; auditors read.

    Data managers and analysts work on the registry's pages only: that is where every
    clinical write has its access check, version check and reason. A second entry path to
    the same tables would need all of them again.
    """

    site_header = "MBC tumour-board registry – administration"
    site_title = "MBC registry admin"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and access.is_auditor(user)
