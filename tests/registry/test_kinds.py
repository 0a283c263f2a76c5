"""The record kinds are listed once; every layer that lists kinds takes them from there."""

from django.apps import apps
from django.urls import reverse

from registry.access import Role
from registry.models import (
    KIND_BY_SLUG,
    PATIENT_RECORD_MODELS,
    RECORD_KINDS,
    DataQuery,
    Finding,
    Patient,
)
from registry.record_types import RECORD_TYPES
from registry.roles import ROLE_PERMISSIONS


def test_every_model_of_one_patient_is_a_record_kind():
    """A new model with rows per patient cannot be forgotten by the case page, API or audit."""
    per_patient = {
        model
        for model in apps.get_app_config("registry").get_models()
        if not model.__name__.startswith("Historical")
        and model.__module__ != "registry.models.summary"  # derived rows, not records
        and any(
            field.many_to_one and field.name == "patient" and field.related_model is Patient
            for field in model._meta.fields
        )
    }

    # Queries and findings name a record by kind and id, and are shown at it on the case page.
    assert per_patient == {*PATIENT_RECORD_MODELS, DataQuery, Finding}


def test_kinds_are_distinct_in_every_name_they_are_known_by():
    for attribute in ("slug", "exchange_key", "label", "heading", "model"):
        values = [getattr(kind, attribute) for kind in RECORD_KINDS]
        assert len(set(values)) == len(values), attribute


def test_every_kind_has_its_form_its_api_route_and_its_permissions():
    assert list(RECORD_TYPES) == list(KIND_BY_SLUG)
    data_manager = set(ROLE_PERMISSIONS[Role.DATA_MANAGER])
    for kind in RECORD_KINDS:
        assert RECORD_TYPES[kind.slug].model is kind.model
        assert reverse(f"api:record-{kind.slug}-list")
        model_name = kind.model._meta.model_name
        assert {f"add_{model_name}", f"change_{model_name}"} <= data_manager
