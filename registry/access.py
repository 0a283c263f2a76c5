"""Who may see and change what: the one place that answers it.

Pages, admin, downloads and reports get their querysets here. A patient or record
outside the user's centres is "not found" (404), never "forbidden", so its existence
is not revealed. Nothing is visible by default: a user needs a role *and* a centre
membership (or a registry-wide grant for auditors and analysts).
"""

from enum import StrEnum

from django.db.models import Model, QuerySet
from django.http import Http404

from .models import BoardMeeting, Centre, DataQuery, Job, Patient


class Role(StrEnum):
    DATA_MANAGER = "Data managers"
    AUDITOR = "Auditors"
    ANALYST = "Analysts"


def roles(user) -> frozenset[Role]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_registry_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._registry_roles = cached
    return cached


def is_data_manager(user) -> bool:
    return user.is_superuser or Role.DATA_MANAGER in roles(user)


def is_auditor(user) -> bool:
    return user.is_superuser or Role.AUDITOR in roles(user)


def is_analyst(user) -> bool:
    return Role.ANALYST in roles(user)


def sees_identifying_data(user) -> bool:
    """Names, record numbers and birth dates: data managers and auditors only."""
    return is_data_manager(user) or is_auditor(user)


def can_view_reports(user) -> bool:
    return is_analyst(user) or is_auditor(user)


def _has_registry_wide_grant(user) -> bool:
    return bool(roles(user) & {Role.AUDITOR, Role.ANALYST}) and hasattr(user, "registry_wide_grant")


def sees_every_centre(user) -> bool:
    return user.is_superuser or _has_registry_wide_grant(user)


def visible_centres(user) -> QuerySet[Centre]:
    if sees_every_centre(user):
        return Centre.objects.all()
    if not roles(user):
        return Centre.objects.none()
    return Centre.objects.filter(memberships__user=user)


def editable_centres(user) -> QuerySet[Centre]:
    if user.is_superuser:
        return Centre.objects.all()
    if not is_data_manager(user):
        return Centre.objects.none()
    return Centre.objects.filter(memberships__user=user)


def within_visible_centres(user, queryset: QuerySet, centres: str) -> QuerySet:
    """The objects of `queryset` whose every centre (the many-to-many field `centres`) the
    user sees: an analysis over several centres is for those who see them all."""
    hidden = Centre.objects.exclude(pk__in=visible_centres(user).values("pk"))
    return queryset.exclude(**{f"{centres}__in": hidden})


def patients(user, *, for_edit: bool = False) -> QuerySet[Patient]:
    centres = editable_centres(user) if for_edit else visible_centres(user)
    return Patient.objects.filter(centre__in=centres.values("pk"))


def patient_records(user, model: type[Model], *, for_edit: bool = False) -> QuerySet:
    return model.objects.filter(patient__in=patients(user, for_edit=for_edit).values("pk"))


def board_meetings(user, *, for_edit: bool = False) -> QuerySet[BoardMeeting]:
    centres = editable_centres(user) if for_edit else visible_centres(user)
    return BoardMeeting.objects.filter(centre__in=centres.values("pk"))


def data_queries(user) -> QuerySet[DataQuery]:
    """Queries on the patients of the user's centres, for data managers and auditors: a
    query quotes identifying values, so analysts see none."""
    if not sees_identifying_data(user):
        return DataQuery.objects.none()
    return DataQuery.objects.filter(patient__in=patients(user).values("pk"))


def may_raise_queries(user) -> bool:
    """Auditors (of the centre or registry-wide) and administrators raise, close, review."""
    return is_auditor(user)


def get_or_404(queryset: QuerySet, **lookup):
    """One object of an access-scoped queryset; missing and forbidden look the same."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from None


def jobs(user) -> QuerySet[Job]:
    """Background jobs: each user's own; administrators see everyone's."""
    if user.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(owner=user.pk)
