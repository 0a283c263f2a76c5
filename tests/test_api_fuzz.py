"""Schemathesis fuzzes every API operation: no 5xx, and every answer matches the schema.

The schema is generated in-process (the served one needs a login) and the calls go to the
WSGI application as a logged-in data manager with two centres' cases in the database.
Two checks are left out, on purpose:
- `positive_data_acceptance`: the schema describes field types, not the clinical rules that
  span fields and records (a line ending before it starts is schema-valid and rightly 400);
- `ignored_auth`: the token is added to every call, so "invalid authentication" cases are
  not what they look like to the tool (anonymous calls are tested in test_api_access.py);
- `negative_data_rejection`: unknown query parameters are ignored, as everywhere in DRF.

In CI the examples are fixed (derandomized), so the run cannot flake. A randomized soak,
to look further: `API_FUZZ_SOAK=200 python3 dev.py test tests/test_api_fuzz.py`.
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from config.wsgi import application
from tests.factories import api_key_for

schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
)
schema.app = application


@pytest.fixture
def token(db, data_manager, case_a, case_b):
    # Calls go straight to the WSGI app, so keep the test's connection open across them, as
    # Django's own test client does (on PostgreSQL closing it would end the test transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield api_key_for(data_manager)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


SOAK_EXAMPLES = int(os.environ.get("API_FUZZ_SOAK", "0"))


@schema.parametrize()
@settings(
    max_examples=SOAK_EXAMPLES or 12,
    derandomize=not SOAK_EXAMPLES,
    database=None,  # no replay of examples saved by an earlier run: the same cases every run
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_fails_or_breaks_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[positive_data_acceptance, ignored_auth, negative_data_rejection],
    )
