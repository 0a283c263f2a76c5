"""Every data-entry and filter form, one field at a time given hostile values: never a server
error, and a refused form changes nothing.

The forms come from the URL configuration (the EDIT rule of test_url_access.py), so a new
form is fuzzed without being listed here; create pages show the edit pages' form classes,
which there start from valid values. Each post starts from the form's own values and
runs in a savepoint that is rolled back, so every value is tried against the same case.
"""

import datetime

import pytest
from django.apps import apps
from django.db import transaction
from django.forms import BaseForm
from django.urls import reverse
from django_filters import FilterSet

from registry.record_types import RECORD_TYPES
from tests.registry.test_url_access import AUDIT_LOG, EDIT, EXPECTED, LIST, REPORT, examples

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "\x00",
    "x" * 5000,
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999",
    "2019-02-30",
    "0001-01-01",
    "31/12/9999",
    "<b>bold</b>",
    "' OR 1=1 --",
    "\U0001f642",
]
# record-create shows the forms of record-update, empty; record-update is one test a kind.
FORM_PAGES = [
    (name, None)
    for name, rule in sorted(EXPECTED.items())
    if rule == EDIT and name not in ("registry:record-create", "registry:record-update")
] + [("registry:record-update", kind) for kind in RECORD_TYPES]
# Read without a form: pagination on the lists, the user search of the audit log.
PLAIN_PARAMETERS = {LIST: ("page",), AUDIT_LOG: ("user",)}


def audit_rows() -> int:
    return sum(
        model.history.count()
        for model in apps.get_models()
        if hasattr(model, "history") and not model.__name__.startswith("Historical")
    )


def as_posted(value):
    """A field's initial value as a browser would send it."""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None if value is None else str(value)


def valid_data(form) -> dict:
    data = {bound.html_name: as_posted(bound.value()) for bound in form}
    return {name: value for name, value in data.items() if value is not None}


@pytest.mark.parametrize(("name", "kind"), FORM_PAGES)
def test_hostile_values_are_refused_at_the_field_never_crash(
    client, data_manager, case_a, name, kind
):
    client.force_login(data_manager)
    tried = 0
    for kwargs in examples(name, case_a):
        if kind and kwargs["kind"] != kind:
            continue
        url = reverse(name, kwargs=kwargs)
        form = client.get(url).context["form"]
        data = valid_data(form)
        before = audit_rows()  # the same before every post: each one is rolled back
        for field in form.fields:
            for value in HOSTILE:
                with transaction.atomic():
                    response = client.post(url, {**data, field: value})
                    assert response.status_code in (200, 302), (url, field, value)
                    if response.status_code == 200:
                        assert audit_rows() == before, (url, field, value)
                    transaction.set_rollback(True)
                tried += 1
    assert tried >= len(HOSTILE)


def query_forms(response) -> list[BaseForm]:
    """The filter forms a page was rendered with (a django-filter FilterSet's form too)."""
    contexts = response.context if isinstance(response.context, list) else [response.context]
    found = []
    for context in filter(None, contexts):
        for value in context.flatten().values():
            form = value.form if isinstance(value, FilterSet) else value
            if isinstance(form, BaseForm) and form not in found:
                found.append(form)
    return found


def test_hostile_query_values_are_refused_never_crash(client, auditor, case_a):
    """Lists, the audit log and the reports: the fields of their filter forms (each form
    class once: the reports share theirs) and the parameters read without a form."""
    client.force_login(auditor)
    fuzzed_forms = set()
    for name in sorted(n for n, rule in EXPECTED.items() if rule in (LIST, REPORT, AUDIT_LOG)):
        for index, kwargs in enumerate(examples(name, case_a)):
            url = reverse(name, kwargs=kwargs)
            parameters = set(PLAIN_PARAMETERS.get(EXPECTED[name], ())) if index == 0 else set()
            for form in query_forms(client.get(url)):
                if type(form) not in fuzzed_forms:
                    fuzzed_forms.add(type(form))
                    parameters |= set(form.fields)
            for parameter in parameters:
                for value in HOSTILE:
                    response = client.get(url, {parameter: value})
                    assert response.status_code in (200, 400, 404), (url, parameter, value)
    assert {"PatientFilterForm", "CohortFilterSetForm"} <= {f.__name__ for f in fuzzed_forms}
