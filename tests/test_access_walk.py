"""A walk of every URL the registry serves, as a user of another centre.

Every admin URL of every registered model, every API route and every page that names an
object (or a centre's count of a report, whose patients the drill-down lists) is
requested, with every method it could take, by a data manager (made staff, so the admin's
own gate is what keeps them out), a centre-limited auditor (staff) and a centre-limited
analyst, all of centre A, about centre B's objects. For each request:

- the answer is the one the same URL gets for an object that does not exist (so nothing
  tells another centre's object from a missing one), and never a server error;
- the answer names none of centre B's identifiers;
- afterwards, no row of centre B and no audit row has changed.

The URLs come from the URL configuration and the admin's registry, so a new route or a
newly registered model is walked without anyone adding it here; a model without an
example object fails `test_every_admin_model_has_an_example`.
"""

import re
import uuid

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry import services
from registry.access import Role
from registry.models import (
    ApiToken,
    Centre,
    CentreMembership,
    Finding,
    Patient,
    RegistryWideGrant,
)
from registry.record_types import RECORD_TYPES
from tests.factories import UserFactory
from tests.registry.test_api_access import EXPECTED as API_RULES
from tests.registry.test_api_access import url as api_url
from tests.registry.test_url_access import EXPECTED as PAGE_RULES
from tests.registry.test_url_access import examples as page_examples

pytestmark = pytest.mark.django_db

MISSING_PK = 987654
MISSING_REGISTRY_ID = "MBC-Z99999"
MISSING_UUID = "00000000-0000-4000-8000-000000000000"
# A report's count names a centre ("by_centre.CB.cr_rate.N"): the twin names one that
# does not exist.
CENTRE_IN_CELL = re.compile(r"by_centre\.[^./]+\.")
MISSING_CENTRE_CELL = "by_centre.ZZ-MISSING."
MISSING_SNAPSHOT = "SNAP-1999-9999"
SNAPSHOT_ID = re.compile(r"SNAP-[0-9]{4}-[0-9]{4,}")
CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
WALKERS = ("data_manager", "auditor", "analyst")


@pytest.fixture
def walkers(synced_roles, centre_a):
    return {
        "data_manager": UserFactory(
            username="walk_dm", role=Role.DATA_MANAGER, centres=[centre_a], is_staff=True
        ),
        "auditor": UserFactory(
            username="walk_auditor", role=Role.AUDITOR, centres=[centre_a], is_staff=True
        ),
        "analyst": UserFactory(username="walk_analyst", role=Role.ANALYST, centres=[centre_a]),
    }


@pytest.fixture
def foreign(case_a, case_b, dm_b, admin_user):
    """Centre B's objects, one of every model the admin shows."""
    token, _ = services.api_token_issue(user=admin_user, for_user=dm_b, purpose="walk")
    objects = {rt.model: case_b.records[slug] for slug, rt in RECORD_TYPES.items()}
    objects |= {
        Patient: case_b.patient,
        Finding: Finding.objects.filter(patient=case_b.patient).first(),
        type(case_b.meeting): case_b.meeting,
        Centre: case_b.patient.centre,
        CentreMembership: CentreMembership.objects.get(user=dm_b),
        RegistryWideGrant: RegistryWideGrant.objects.create(user=dm_b, reason="walk"),
        type(dm_b): dm_b,
        Group: Group.objects.get(name=Role.DATA_MANAGER.value),
        ApiToken: token,
        AccessAttempt: AccessAttempt.objects.create(username="dm_b", failures_since_start=1),
        AccessLog: AccessLog.objects.create(username="dm_b"),
        AccessFailureLog: AccessFailureLog.objects.create(username="dm_b", locked_out=False),
    }
    if apps.is_installed("django_tasks_db"):  # the default task backend's queue
        from django_tasks_db.models import DBTaskResult

        objects[DBTaskResult] = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="registry.tasks.run_job",
            backend_name="default",
            run_after=timezone.now(),
            exception_class_path="",
            traceback="",
        )
    return objects


def identifiers(case) -> list[str]:
    """What must never reach a user of another centre (the registry ID may be in the URL)."""
    return [case.patient.family_name, case.patient.record_number]


def snapshot(objects) -> tuple:
    """Every audit row of the registry, and the foreign objects' stored values."""
    history_counts = {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("registry").get_models()
        if model.__name__.startswith("Historical")
    }
    values = {
        model._meta.label: model_to_dict(type(obj).objects.get(pk=obj.pk))
        for model, obj in objects.items()
        if model._meta.app_label in ("registry", "auth") and model is not ApiToken
    }
    return history_counts, values


def assert_unchanged(before: tuple, after: tuple) -> None:
    for part_before, part_after in zip(before, after, strict=True):
        changed = {
            key: (value, part_after.get(key))
            for key, value in part_before.items()
            if part_after.get(key) != value
        }
        assert not changed, changed


def fill(route: str, values: dict) -> str:
    return "/" + CONVERTER.sub(lambda m: str(values[m["name"]]), route)


def admin_urls(model, model_admin, obj) -> list[tuple[str, str]]:
    """(URL for the object, the same URL for a missing object), for every admin route."""
    version = obj.history.first().history_id if hasattr(obj, "history") else 1
    pairs = []
    prefix = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
    for pattern in model_admin.get_urls():
        route = str(pattern.pattern)
        names = {m["name"] for m in CONVERTER.finditer(route)}
        if not names & {"object_id", "pk", "id"}:
            continue  # lists and add forms name no object; the role matrix covers them
        real = {"object_id": obj.pk, "pk": obj.pk, "id": obj.pk, "version_id": version}
        missing = {**real, "object_id": MISSING_PK, "pk": MISSING_PK, "id": MISSING_PK}
        pairs.append((fill(prefix + route, real), fill(prefix + route, missing)))
    return pairs


def test_every_admin_model_has_an_example(foreign):
    assert set(admin.site._registry) <= set(foreign)


def _form_data(obj) -> dict:
    """What an attacker would post: the object's own values with one text changed."""
    data = {
        k: v for k, v in model_to_dict(obj).items() if v is not None and not isinstance(v, list)
    }
    text = next((k for k, v in data.items() if isinstance(v, str) and k != "password"), None)
    if text:
        data[text] = "changed by the walk"
    return {**data, "change_reason": "walk", "reason": "walk", "post": "yes"}


def _without_ids(url: str) -> str:
    return re.sub(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27})/", "/N/", url.split("?")[0])


def _assert_like_missing(responses, case_b, *, creates_when_missing=()):
    """`creates_when_missing`: routes where a free ID is a creation (PUT of a whole case
    under the registry ID it names): there the foreign ID must be a plain 404."""
    for label, (real, missing) in responses.items():
        assert real.status_code < 500, label
        if label in creates_when_missing:
            refused_for_everyone = missing.status_code in (401, 403)
            assert real.status_code == (missing.status_code if refused_for_everyone else 404)
        else:
            assert real.status_code == missing.status_code, (label, real.status_code, missing)
        if real.status_code in (301, 302):
            assert _without_ids(real.url) == _without_ids(missing.url), label
        body = real.content.decode(errors="replace")
        for identifier in identifiers(case_b):
            assert identifier not in body, (label, identifier)


@pytest.mark.parametrize("kind", WALKERS)
def test_the_admin_answers_for_another_centres_objects_as_for_missing_ones(
    client, walkers, foreign, case_b, kind
):
    client.force_login(walkers[kind])
    before = snapshot(foreign)
    responses = {}
    for model, model_admin in admin.site._registry.items():
        obj = foreign[model]
        for real, missing in admin_urls(model, model_admin, obj):
            responses[f"GET {real}"] = (client.get(real), client.get(missing))
            data = _form_data(obj)
            responses[f"POST {real}"] = (client.post(real, data), client.post(missing, data))
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        searched = f"{changelist}?q={case_b.patient.registry_id}"
        responses[f"GET {searched}"] = (client.get(searched), client.get(f"{changelist}?q=none"))
        for action in {"delete_selected", *(model_admin.actions or ())}:
            chosen, absent = (
                {"action": action, "_selected_action": [pk], "post": "yes"}
                for pk in (obj.pk, MISSING_PK)
            )
            responses[f"POST {changelist} {action}"] = (
                client.post(changelist, chosen),
                client.post(changelist, absent),
            )

    _assert_like_missing(responses, case_b)
    assert_unchanged(before, snapshot(foreign))


def _missing_twin(kwargs: dict) -> dict:
    def missing(key, value):
        if key == "registry_id":
            return MISSING_REGISTRY_ID
        if key == "cell":
            return CENTRE_IN_CELL.sub(MISSING_CENTRE_CELL, value)
        if key == "snapshot":
            return MISSING_SNAPSHOT
        if isinstance(value, uuid.UUID):
            return MISSING_UUID
        return MISSING_PK if key == "pk" else value

    return {key: missing(key, value) for key, value in kwargs.items()}


@pytest.mark.parametrize("kind", WALKERS)
def test_every_page_answers_for_another_centres_objects_as_for_missing_ones(
    client, walkers, foreign, case_b, kind
):
    client.force_login(walkers[kind])
    urls = [  # built first: some examples (jobs) create their objects
        (reverse(name, kwargs=kwargs), reverse(name, kwargs=_missing_twin(kwargs)))
        for name in sorted(PAGE_RULES)
        for kwargs in page_examples(name, case_b)
        if {"registry_id", "pk", "cell", "snapshot"} & set(kwargs)
    ]
    before = snapshot(foreign)
    responses = {}
    for real, missing in urls:
        responses[f"GET {real}"] = (client.get(real), client.get(missing))
        data = {"reason": "walk", "notes": "changed by the walk"}
        responses[f"POST {real}"] = (client.post(real, data), client.post(missing, data))

    _assert_like_missing(responses, case_b)
    assert_unchanged(before, snapshot(foreign))


def _names_an_object(name: str) -> bool:
    api = get_resolver().namespace_dict["api"][1]
    possibilities = api.reverse_dict.getlist(name.removeprefix("api:"))
    return all(
        {"registry_id", "pk", "cell", "snapshot"} & set(params)
        for p in possibilities
        for _, params in p[0]
    )


def _api_missing(name: str, real: str, case_b) -> str:
    """The same route naming an object that does not exist (registry ID, number or UUID)."""
    missing = real.replace(case_b.patient.registry_id, MISSING_REGISTRY_ID)
    missing = CENTRE_IN_CELL.sub(MISSING_CENTRE_CELL, missing)
    missing = SNAPSHOT_ID.sub(MISSING_SNAPSHOT, missing)
    missing = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}/", f"/{MISSING_UUID}/", missing)
    return re.sub(r"/\d+/", f"/{MISSING_PK}/", missing)


@pytest.mark.parametrize("kind", WALKERS)
def test_every_api_route_answers_for_another_centres_objects_as_for_missing_ones(
    walkers, foreign, case_b, kind
):
    client = APIClient()
    client.force_authenticate(walkers[kind])
    urls = [  # built first: some examples (jobs) create their objects
        (name, real, _api_missing(name, real, case_b))
        for name in sorted(filter(_names_an_object, API_RULES))
        for real in [api_url(name, case_b)]
    ]
    before = snapshot(foreign)
    responses = {}
    for name, real, missing in urls:
        assert missing != real, name  # the walk must name a missing object
        body = {"notes": "changed by the walk", "given_name": "Walk", "reason": "walk"}
        for method in ("get", "post", "put", "patch", "delete"):
            call = getattr(client, method)
            responses[f"{method.upper()} {real}"] = (
                call(real, body, format="json") if method != "get" else call(real),
                call(missing, body, format="json") if method != "get" else call(missing),
            )

    case_put = f"PUT {reverse('api:case', args=[case_b.patient.registry_id])}"
    _assert_like_missing(responses, case_b, creates_when_missing={case_put})
    assert_unchanged(before, snapshot(foreign))
