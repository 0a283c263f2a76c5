"""A record rule written once: the database's check constraint and the form's field error.

A `FieldCheck` is a `CheckConstraint` that also names the field a data manager corrects
and says why in the clinic's words (`violation_error_message`). Django validates a check
constraint with one database round trip (and a savepoint) each; a `FieldCheck` evaluates
its condition in memory instead (`holds`), with the database's meaning: a comparison with
an empty (NULL) value is unknown, and a CHECK refuses a row only when its condition is
false. Forms, API and services meet it through `full_clean()`; the set-wise importer,
which leaves the unique constraints to its own set-wise reads, through `check_errors()`.
Decision record 0018.
"""

import operator
from collections.abc import Callable, Iterable, Mapping
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP

COMPARISONS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
LOOKUPS = {*COMPARISONS, "isnull", "in"}


class FieldCheck(models.CheckConstraint):
    """A check constraint shown at one field, with its message, checked without a query."""

    non_db_attrs = (*models.CheckConstraint.non_db_attrs, "field")

    def __init__(self, *, condition: Q, name: str, field: str, violation_error_message: str):
        super().__init__(
            condition=condition, name=name, violation_error_message=violation_error_message
        )
        self.field = field
        self.reads = referenced_fields(condition)  # refuses a lookup `holds` cannot read
        self._holds = evaluator(condition)

    def holds_for(self, instance: models.Model) -> bool | None:
        values = instance.__dict__
        if not self.reads <= values.keys():  # a field deferred by .only(): read it
            values = {name: getattr(instance, name) for name in self.reads}
        return self._holds(values)

    def validate(self, model, instance, exclude=None, using=None):
        """As Django's, without the query: a field that could not be read (`exclude`)
        leaves its rules unchecked until it can be."""
        if exclude and self.reads & set(exclude):
            return
        if self.holds_for(instance) is False:
            raise ValidationError(
                {self.field: ValidationError(self.violation_error_message, code=self.name)}
            )

    def deconstruct(self):
        """A plain CheckConstraint to migrations: the field and its message are for people,
        not the database, so migrations never import this module."""
        _, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs

    def clone(self):
        return type(self)(
            condition=self.condition,
            name=self.name,
            field=self.field,
            violation_error_message=self.violation_error_message,
        )

    def __eq__(self, other):
        if isinstance(other, FieldCheck):
            return super().__eq__(other) and self.field == other.field
        return super().__eq__(other)


def check_errors(instance: models.Model, exclude: Iterable[str] = ()) -> dict[str, list[str]]:
    """The messages of the instance's field checks it breaks, by field (no query)."""
    errors: dict[str, list[str]] = {}
    for check in field_checks(type(instance)):
        if check.reads.isdisjoint(exclude) and check.holds_for(instance) is False:
            errors.setdefault(check.field, []).append(check.violation_error_message)
    return errors


@cache
def field_checks(model: type[models.Model]) -> tuple[FieldCheck, ...]:
    return tuple(c for c in model._meta.constraints if isinstance(c, FieldCheck))


# --- the in-memory evaluation of a condition ---------------------------------------------


def referenced_fields(condition: Q) -> frozenset[str]:
    """Every field a condition reads; a lookup outside the subset `holds` reads is refused
    here, when the model is defined, not when a record is checked."""
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= referenced_fields(child)
            continue
        lookup, value = child
        name, _, kind = lookup.partition(LOOKUP_SEP)
        if kind not in {"", *LOOKUPS}:
            raise ValueError(f"A field check cannot evaluate the lookup {lookup!r}.")
        names.add(name)
        if isinstance(value, F):
            names.add(value.name)
        elif hasattr(value, "resolve_expression"):
            raise ValueError(f"A field check compares with values or F() only: {lookup!r}.")
    return frozenset(names)


def holds(condition: Q, values: Mapping[str, object]) -> bool | None:
    """The condition's truth for these field values in SQL's three-valued logic: None
    (unknown) when it turns on an empty value, as the database would judge it."""
    return evaluator(condition)(values)


Evaluator = Callable[[Mapping[str, object]], bool | None]


def evaluator(condition: Q) -> Evaluator:
    """`holds` for one condition, prepared once (a model's checks run for every record
    of an import): a function of the field values by attribute name (a model's
    `__dict__`: the fields the condition reads are plain columns, no relations)."""
    children = [
        evaluator(child) if isinstance(child, Q) else _lookup(*child)
        for child in condition.children
    ]
    if condition.connector == Q.AND:
        decisive, other = False, True
    elif condition.connector == Q.OR:
        decisive, other = True, False
    else:
        raise ValueError(f"A field check cannot evaluate {condition.connector}.")
    negated = condition.negated

    def node(values):
        result = other
        for child in children:
            verdict = child(values)
            if verdict is decisive:
                result = decisive
                break
            if verdict is None:
                result = None
        if negated and result is not None:
            return not result
        return result

    return node


def _lookup(lookup: str, expected) -> Evaluator:
    name, _, kind = lookup.partition(LOOKUP_SEP)
    kind = kind or "exact"
    other = expected.name if isinstance(expected, F) else None
    if kind == "isnull":
        return lambda values: (values[name] is None) == bool(expected)
    if kind == "exact" and expected is None:  # Q(field=None) is IS NULL
        return lambda values: values[name] is None

    def test(values):
        value = values[name]
        bound = values[other] if other else expected
        if value is None or bound is None:
            return None
        if kind == "in":
            return value in bound
        return COMPARISONS[kind](value, bound)

    return test
