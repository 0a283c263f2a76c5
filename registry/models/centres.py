"""Centres and who may see their patients ("data access groups")."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from .trace import audited


class Centre(models.Model):
    """A cancer centre whose tumour board follows its own patients."""

    code = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,12}$", "Use 2-12 capital letters or digits.")],
        help_text="Short code shown on every case and in the analysis datasets, e.g. MIL1.",
    )
    name = models.CharField(max_length=200)
    history = audited()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class CentreMembership(models.Model):
    """A user works on the patients of this centre."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="centre_memberships"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="memberships")
    history = audited()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "centre"], name="unique_centre_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.centre.code}"


class RegistryWideGrant(models.Model):
    """An auditor or analyst who works across all centres, present and future."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_wide_grant"
    )
    reason = models.CharField(max_length=300, blank=True)
    history = audited()

    def __str__(self) -> str:
        return f"Registry-wide access for {self.user}"
