"""What every audit row records besides who, when and why: the API token, if one was used.

An administrator can issue a token for any account; a change made with it is then
attributed to that account. The row therefore also names the token, and the token names
who issued it, so acting as someone else through the API always leaves a trace.
"""

from django.db import models
from simple_history.models import HistoricalRecords


class ApiTokenTrace(models.Model):
    history_api_token = models.ForeignKey(
        "registry.ApiToken",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="API token",
    )

    class Meta:
        abstract = True


def audited(**options) -> HistoricalRecords:
    """The audit trail of a model, with the token column."""
    return HistoricalRecords(bases=[ApiTokenTrace], **options)


def current_api_token():
    """The API token of the request being served, if one authenticated it.

    DRF puts the authenticating token on the request simple-history's middleware keeps;
    bulk writes (`bulk_create_with_history`) put it in their audit rows themselves.
    """
    from .accounts import ApiToken

    request = getattr(HistoricalRecords.context, "request", None)
    token = getattr(request, "auth", None)
    return token if isinstance(token, ApiToken) else None


def record_api_token(sender, history_instance, **kwargs) -> None:
    """simple-history's hook before an audit row is saved (connected in apps.py)."""
    token = current_api_token()
    if token is not None and isinstance(history_instance, ApiTokenTrace):
        history_instance.history_api_token = token
