"""Imports given a hostile value in any field of any record: never an exception, every error
located, and nothing written unless the whole file is good.

Each example starts from a valid exported case, changes one value, imports it in a savepoint
that is rolled back, and compares the registry before and after.
"""

import copy
import math

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import exchange
from registry.models import Patient
from tests.test_form_fuzz import HOSTILE

pytestmark = pytest.mark.django_db

VALUES = st.sampled_from(
    [*HOSTILE, None, 0, -1, 1.5, math.inf, True, [], {}, {"nested": ["x"]}, 10**30]
)


def registry_state() -> tuple[int, ...]:
    return tuple(
        model.objects.count() + model.history.count()
        for model in apps.get_models()
        if hasattr(model, "history") and not model.__name__.startswith("Historical")
    )


def exported_case(patient) -> dict:
    return exchange.export_document(Patient.objects.filter(pk=patient.pk))["cases"][0]


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(choice=st.data(), value=VALUES)
def test_a_hostile_value_anywhere_is_located_and_writes_nothing(
    data_manager, case_a, choice, value
):
    case = copy.deepcopy(exported_case(case_a.patient))
    case["registry_id"] = "MBC-FUZZ1"  # a new case, so every record is created
    case["record_number"] = "R-FUZZ-1"
    places = [(case, key) for key in case if not isinstance(case[key], list)]
    places += [
        (record, key)
        for section in exchange.SECTIONS
        for record in case.get(section.key, [])[:1]
        for key in record
        if not isinstance(record[key], list)
    ]
    record, key = choice.draw(st.sampled_from(places))
    record[key] = value

    with transaction.atomic():
        before = registry_state()
        result = exchange.import_cases(
            [exchange.Located(case, "case 1")], user=data_manager, dry_run=False, reason="fuzz"
        )
        after = registry_state()
        transaction.set_rollback(True)

    if not result.ok:
        assert after == before, (key, value)
        assert all(error.where.startswith("case 1") for error in result.errors), result.errors
        assert all(error.message for error in result.errors)


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize("key", ["registry_id", "record_number", "centre"])
def test_a_nul_character_in_a_case_key_is_located_and_writes_nothing(
    data_manager, case_a, key, dry_run
):
    """The keys are looked up before the checks run: a NUL, which PostgreSQL refuses even
    in a comparison, must be reported at its case, not sent to the database."""
    case = copy.deepcopy(exported_case(case_a.patient))
    case[key] = f"{case[key]}\x00"
    before = registry_state()

    result = exchange.import_cases(
        [exchange.Located(case, "case 1")], user=data_manager, dry_run=dry_run, reason="NUL"
    )

    assert not result.ok
    assert [(error.where, error.field) for error in result.errors] == [("case 1", key)]
    assert registry_state() == before
