"""Writes of the data-quality workflow: queries and their steps, review, lock and unlock.

Same conventions as `services.py`: keyword-only arguments, one transaction, access
checked here, every change audited with its user and reason. An answer that changes the
data goes through `services.record_save` / `services.patient_save` with the query as its
reason, in the answer's transaction: the rules, the lock and the audit trail apply as to
any edit, and the answer and the change commit or roll back together.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models, transaction
from django.utils import timezone

from . import access, services
from .case_locks import lock_cases
from .models import (
    KIND_BY_SLUG,
    CaseStatus,
    CentreMembership,
    DataQuery,
    Patient,
    QueryState,
    QueryStep,
)

# Fields an answer may not change: identity, the centre (an administrator's move), versions.
NOT_QUERYABLE = {"registry_id", "centre", "version", "patient"}


def _attribute(instance: models.Model, user, reason: str) -> None:
    instance._history_user = user
    instance._change_reason = reason


def queryable_field(model: type[models.Model], name: str) -> models.Field:
    """The model field a query may concern: a plain value a data manager enters."""
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        model_field = None
    if (
        model_field is None
        or not getattr(model_field, "concrete", False)
        or not model_field.editable
        or model_field.primary_key
        or model_field.is_relation
        or name in NOT_QUERYABLE
    ):
        raise ValidationError(
            {"field_name": f"A {model._meta.verbose_name} has no field '{name}' to query."}
        )
    return model_field


def value_text(value) -> str:
    """A field's value as the registry's forms type it (dates dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def parse_value(model_field: models.Field, text: str, *, key: str):
    """A typed value for the field, or the field's own refusal at `key`."""
    try:
        value = model_field.formfield().clean(text)
        if value not in model_field.empty_values:
            model_field.run_validators(value)
    except ValidationError as error:
        raise ValidationError({key: error.messages}) from None
    if value in model_field.empty_values and not model_field.null:
        return "" if isinstance(model_field, models.CharField | models.TextField) else value
    return value


def query_target(query_or_patient, record_kind: str, record_id: int | None):
    """The patient or the patient's record a query names (missing: a field error)."""
    patient = query_or_patient
    if not record_kind:
        if record_id is not None:
            raise ValidationError({"record_kind": "Name the kind of the record."})
        return patient
    kind = KIND_BY_SLUG.get(record_kind)
    if kind is None:
        raise ValidationError({"record_kind": f"'{record_kind}' is no kind of record."})
    record = kind.model.objects.filter(patient=patient, pk=record_id).first()
    if record is None:
        raise ValidationError(
            {"record_id": f"{patient.registry_id} has no {kind.label} with this number."}
        )
    return record


def _require_visible(user, patient_id: int) -> None:
    if not access.patients(user).filter(pk=patient_id).exists():
        raise PermissionDenied("You cannot see this patient.")


def _require_auditor(user, patient_id: int, doing: str) -> None:
    if not access.may_raise_queries(user):
        raise PermissionDenied(f"Only auditors and administrators {doing}.")
    _require_visible(user, patient_id)


def _step(query: DataQuery, *, user, action: str, text: str = "", **change) -> QueryStep:
    step = QueryStep(query=query, action=action, author=user, text=text, **change)
    _attribute(step, user, f"{query}: {action}")
    step.save()
    return step


def _save_query(query: DataQuery, user, reason: str) -> None:
    query.full_clean()
    _attribute(query, user, reason)
    query.save()


def query_raise(
    *,
    user,
    patient: Patient,
    question: str,
    assignee,
    record_kind: str = "",
    record_id: int | None = None,
    field_name: str = "",
    proposed_value: str = "",
    origin: str = "",
) -> DataQuery:
    """Ask the centre's data manager about the case, a record of it, or one field.

    `origin` names what raised it when not a person's own reading (a rule's finding).
    """
    _require_auditor(user, patient.pk, "raise queries")
    if not question.strip():
        raise ValidationError({"question": "Say what should be checked."})
    target = query_target(patient, record_kind, record_id)
    if proposed_value and not field_name:
        raise ValidationError({"proposed_value": "A proposed value needs the field it is for."})
    if field_name:
        model_field = queryable_field(type(target), field_name)
        if proposed_value:
            parse_value(model_field, proposed_value, key="proposed_value")
    if not _is_data_manager_of(assignee, patient.centre_id):
        raise ValidationError(
            {"assignee": f"{assignee} is no active data manager of {patient.centre}."}
        )
    query = DataQuery(
        patient=patient,
        record_kind=record_kind,
        record_id=record_id if record_kind else None,
        field_name=field_name,
        question=question.strip(),
        proposed_value=proposed_value.strip(),
        origin=origin,
        assignee=assignee,
        raised_by=user,
    )
    with transaction.atomic():
        _save_query(query, user, "Query raised")
        _step(query, user=user, action=QueryStep.Action.RAISED, text=query.question)
    return query


def _is_data_manager_of(user, centre_id: int) -> bool:
    return (
        user is not None
        and user.is_active
        and access.Role.DATA_MANAGER in access.roles(user)
        and CentreMembership.objects.filter(user=user, centre_id=centre_id).exists()
    )


def data_managers_of(centre_id: int):
    """Who a query on a patient of this centre may be assigned to."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=access.Role.DATA_MANAGER.value,
            centre_memberships__centre_id=centre_id,
        )
        .order_by("username")
        .distinct()
    )


def _locked_query(query: DataQuery) -> DataQuery:
    return DataQuery.objects.select_for_update().select_related("patient").get(pk=query.pk)


def query_answer(
    *, user, query: DataQuery, text: str, change_value: bool = False, new_value: str = ""
) -> DataQuery:
    """A data manager of the centre answers an open query, optionally changing the field.

    The change is an ordinary edit through the services (rules, lock, audit), with the
    query as its reason; the answer's step keeps the old and new value.
    """
    if not access.patients(user, for_edit=True).filter(pk=query.patient_id).exists():
        raise PermissionDenied("Only a data manager of the patient's centre answers its queries.")
    if not text.strip():
        raise ValidationError({"text": "Write the answer."})
    with transaction.atomic():
        query = _locked_query(query)
        if query.state != QueryState.OPEN:
            raise ValidationError(
                f"{query} is {query.get_state_display().lower()}; only an open query is answered."
            )
        change = {}
        if change_value:
            change = _change_field(user, query, new_value)
        query.state = QueryState.ANSWERED
        _save_query(query, user, "Query answered")
        _step(query, user=user, action=QueryStep.Action.ANSWERED, text=text.strip(), **change)
    return query


def _change_field(user, query: DataQuery, new_value: str) -> dict:
    if not query.field_name:
        raise ValidationError({"new_value": "This query names no field to change."})
    target = query_target(query.patient, query.record_kind, query.record_id)
    model_field = queryable_field(type(target), query.field_name)
    value = parse_value(model_field, new_value, key="new_value")
    old = getattr(target, model_field.attname)
    setattr(target, model_field.attname, value)
    try:
        if isinstance(target, Patient):
            services.patient_save(
                user=user, patient=target, reason=query.reason_text, fields=[query.field_name]
            )
        else:
            services.record_save(
                user=user, record=target, reason=query.reason_text, fields=[query.field_name]
            )
    except ValidationError as error:
        # The field's own error is the answer's new value error; others stay as they are.
        if hasattr(error, "error_dict") and query.field_name in error.error_dict:
            raise ValidationError({"new_value": error.message_dict[query.field_name]}) from None
        raise
    return {
        "field_name": query.field_name,
        "old_value": value_text(old)[:200],
        "new_value": value_text(getattr(target, model_field.attname))[:200],
    }


def query_close(*, user, query: DataQuery, text: str = "") -> DataQuery:
    """Close an answered query (an auditor of the centre or an administrator); an open one
    only its raiser or an administrator withdraws."""
    _require_auditor(user, query.patient_id, "close queries")
    with transaction.atomic():
        query = _locked_query(query)
        if query.state == QueryState.CLOSED:
            raise ValidationError(f"{query} is already closed.")
        if query.state == QueryState.OPEN and not (
            query.raised_by_id == user.pk or user.is_superuser
        ):
            raise ValidationError(
                f"{query} has no answer yet; only {query.raised_by} who raised it can withdraw it."
            )
        query.state = QueryState.CLOSED
        _save_query(query, user, "Query closed")
        _step(query, user=user, action=QueryStep.Action.CLOSED, text=text.strip())
    return query


def query_reopen(*, user, query: DataQuery, text: str) -> DataQuery:
    """Send an answered or closed query back to the data manager, saying why."""
    _require_auditor(user, query.patient_id, "reopen queries")
    if not text.strip():
        raise ValidationError({"text": "Say why the query is reopened."})
    with transaction.atomic():
        query = _locked_query(query)
        if query.state == QueryState.OPEN:
            raise ValidationError(f"{query} is already open.")
        query.state = QueryState.OPEN
        _save_query(query, user, "Query reopened")
        _step(query, user=user, action=QueryStep.Action.REOPENED, text=text.strip())
    return query


def _status_for_update(patient: Patient) -> CaseStatus:
    """The case's status, read after taking the patient's row, which every write of the
    case takes first (`case_locks`): a lock waits for an edit in progress to
    commit, and an edit that starts meanwhile waits for the lock and is refused."""
    lock_cases([patient.pk])
    return CaseStatus.objects.filter(patient=patient).first() or CaseStatus(patient=patient)


def case_review(*, user, patient: Patient, note: str = "") -> CaseStatus:
    """An auditor marks the case source-verified; a later edit makes the review outdated."""
    if not access.is_auditor(user):
        raise PermissionDenied("Only auditors mark a case reviewed.")
    _require_visible(user, patient.pk)
    with transaction.atomic():
        status = _status_for_update(patient)
        status.reviewed_at = timezone.now()
        status.reviewed_by = user
        status.review_note = note.strip()
        status.review_outdated_at = None
        status.full_clean()
        _attribute(status, user, note.strip() or "Reviewed against the source documents")
        status.save()
    return status


def case_lock(*, user, patient: Patient, reason: str) -> CaseStatus:
    """Lock the case for an analysis: its patient row and records refuse every change."""
    _require_auditor(user, patient.pk, "lock cases")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is locked (e.g. which analysis)."})
    with transaction.atomic():
        status = _status_for_update(patient)
        if status.is_locked:
            raise ValidationError({NON_FIELD_ERRORS: status.lock_message(patient.registry_id)})
        status.locked_at = timezone.now()
        status.locked_by = user
        status.lock_reason = reason.strip()
        status.full_clean()
        _attribute(status, user, reason.strip())
        status.save()
    return status


def case_unlock(*, user, patient: Patient, reason: str) -> CaseStatus:
    """Only an administrator unlocks a case, saying why; the audit trail keeps both."""
    if not user.is_superuser:
        raise PermissionDenied("Only an administrator unlocks a case.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is unlocked."})
    with transaction.atomic():
        status = _status_for_update(patient)
        if not status.is_locked:
            raise ValidationError({NON_FIELD_ERRORS: f"{patient.registry_id} is not locked."})
        status.locked_at = None
        status.locked_by = None
        status.lock_reason = ""
        _attribute(status, user, reason.strip())
        status.save()
    return status
