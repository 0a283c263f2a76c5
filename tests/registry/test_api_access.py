"""Every API route, for every role, on an own and a foreign centre (generated from the URLs)."""

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from registry.record_types import RECORD_TYPES
from tests.registry.test_findings import finding_of
from tests.registry.test_job_access import job_of
from tests.registry.test_quality import query_of

OPEN = "open"  # any user with a role
READ = "read"  # scoped to the user's centres
POST_ONLY = "post-only"
REPORT = "report"
JOB = "job"  # its owner's alone (and administrators'): tests/registry/test_job_access.py
QUERIES = "queries"  # data managers and auditors (scoped to their centres), never analysts
QUERY = "query"  # one query: its centre's data managers, auditors
QUERY_STEP = "query-step"  # answer, close, reopen: POST only

EXPECTED = {
    "api:schema": OPEN,
    "api:docs": OPEN,
    "api:patient-list": OPEN,
    "api:export": OPEN,
    "api:patient-detail": READ,
    "api:case": READ,
    "api:case-fhir": READ,
    "api:patient-archive": POST_ONLY,
    "api:patient-restore": POST_ONLY,
    "api:import": POST_ONLY,
    "api:report": REPORT,
    "api:job-list": OPEN,
    "api:job-detail": JOB,
    "api:job-result": JOB,
    "api:query-list": QUERIES,
    "api:query-detail": QUERY,
    "api:query-answer": QUERY_STEP,
    "api:query-close": QUERY_STEP,
    "api:query-reopen": QUERY_STEP,
    "api:finding-list": QUERIES,
    "api:finding-detail": QUERY,
    "api:finding-confirm": QUERY_STEP,
    "api:finding-to-query": QUERY_STEP,
    "api:completeness": OPEN,
    **{f"api:record-{slug}-list": OPEN for slug in RECORD_TYPES},
    **{f"api:record-{slug}-detail": READ for slug in RECORD_TYPES},
}


def api_url_names() -> set[str]:
    api = get_resolver().namespace_dict["api"][1]
    return {
        f"api:{n}"
        for n in api.reverse_dict
        if (isinstance(n, str) and "-" in n)
        or n in {"schema", "docs", "case", "import", "export", "report", "completeness"}
    }


def url(name: str, case) -> str:
    if name in ("api:job-detail", "api:job-result"):
        return reverse(name, args=[job_of(case).pk])
    if name in (
        "api:patient-detail",
        "api:patient-archive",
        "api:patient-restore",
        "api:case",
        "api:case-fhir",
    ):
        return reverse(name, args=[case.patient.registry_id])
    if name.startswith("api:query-") and name != "api:query-list":
        return reverse(name, args=[query_of(case).pk])
    if name.startswith("api:finding-") and name != "api:finding-list":
        return reverse(name, args=[finding_of(case).pk])
    if name.endswith("-detail"):
        slug = name.removeprefix("api:record-").removesuffix("-detail")
        return reverse(name, args=[case.records[slug].pk])
    if name == "api:report":
        return reverse(name, args=["cr"])
    return reverse(name)


def expected_status(kind: str, rule: str, own: bool) -> int:
    if rule == OPEN:
        return 200
    if rule == POST_ONLY:
        return 405
    if rule == REPORT:
        return 200 if kind != "data_manager" else 403
    if rule == JOB:  # the example job is a colleague's of the case's centre
        return 404
    if rule in (QUERIES, QUERY, QUERY_STEP) and kind == "analyst":
        return 403
    if rule == QUERIES:
        return 200
    if rule == QUERY_STEP:
        return 405
    return 200 if own or kind == "auditor" else 404


def test_every_api_route_has_a_rule():
    assert api_url_names() == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_api_refuses_anonymous_requests_with_json(case_a, name):
    response = APIClient().get(url(name, case_a))
    assert response.status_code in (401, 403)
    if name not in ("api:docs", "api:schema"):  # documentation answers in HTML or YAML
        assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["data_manager", "auditor", "analyst"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_role_gets_what_its_rule_allows(
    data_manager, auditor, analyst_a, case_a, case_b, kind, name
):
    user = {"data_manager": data_manager, "auditor": auditor, "analyst": analyst_a}[kind]
    client = APIClient()
    client.force_authenticate(user)
    for case, own in ((case_a, True), (case_b, False)):
        status = client.get(url(name, case)).status_code
        assert status == expected_status(kind, EXPECTED[name], own), (name, kind, own)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("slug", sorted(RECORD_TYPES))
def test_no_write_method_reaches_another_centres_record(data_manager, case_b, method, slug):
    client = APIClient()
    client.force_authenticate(data_manager)
    record = case_b.records[slug]
    before = type(record).objects.get(pk=record.pk).updated_at
    if method == "post":
        response = client.post(
            reverse(f"api:record-{slug}-list"),
            {"patient": case_b.patient.registry_id},
            format="json",
        )
        assert response.status_code == 400 and "patient" in response.json()
    else:
        response = getattr(client, method)(
            reverse(f"api:record-{slug}-detail", args=[record.pk]), {}, format="json"
        )
        assert response.status_code == 404
    assert type(record).objects.get(pk=record.pk).updated_at == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["auditor", "analyst"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_data_managers_write(request, case_a, role, method):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(role))
    line = case_a.records["lines"]
    target = (
        reverse("api:record-lines-list")
        if method == "post"
        else reverse("api:record-lines-detail", args=[line.pk])
    )
    assert getattr(client, method)(target, {}, format="json").status_code == 403
