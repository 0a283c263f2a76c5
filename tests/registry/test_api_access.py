"""Every API route, for every role, on an own and a foreign centre (generated from the URLs)."""

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from registry.record_types import RECORD_TYPES
from tests.analytics.test_endpoint_pages import endpoint_of
from tests.analytics.test_snapshots import snapshot_of
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
CASE_STEP = "case-step"  # review, lock, unlock of a case: POST only, rules in test below
DRILL = "drill"  # the patients behind a count of a centre: analysts and auditors of that centre
AD_HOC = "ad-hoc"  # an endpoint analysis defined in the query: 400 without one, for readers
SNAPSHOT = "snapshot"  # analysts and auditors who see every centre of it; data managers never
SNAPSHOT_QUERY = "snapshot-query"  # the same, and without its ?to=... a 400 (the diff)

EXPECTED = {
    "api:schema": OPEN,
    "api:docs": OPEN,
    "api:patient-list": OPEN,
    "api:export": OPEN,
    "api:patient-detail": READ,
    "api:case": READ,
    "api:case-status": READ,
    "api:case-review": CASE_STEP,
    "api:case-lock": CASE_STEP,
    "api:case-unlock": CASE_STEP,
    "api:case-fhir": READ,
    "api:patient-archive": POST_ONLY,
    "api:patient-restore": POST_ONLY,
    "api:import": POST_ONLY,
    "api:import-redcap": POST_ONLY,
    "api:report": REPORT,
    "api:report-package": REPORT,
    "api:report-patients": DRILL,
    # Saved endpoints belong to no centre; each reader's analysis is of their own patients.
    "api:endpoint-list": REPORT,
    "api:endpoint-adhoc": AD_HOC,
    "api:endpoint-analysis": REPORT,
    "api:endpoint-file": REPORT,
    "api:endpoint-adhoc-patients": AD_HOC,
    "api:endpoint-patients": DRILL,
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
    "api:snapshot-list": REPORT,
    "api:snapshot-detail": SNAPSHOT,
    "api:snapshot-report": SNAPSHOT,
    "api:snapshot-report-patients": SNAPSHOT,
    "api:snapshot-diff": SNAPSHOT_QUERY,
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
    if name in ("api:patient-detail", "api:patient-archive", "api:patient-restore") or (
        name.startswith("api:case")
    ):
        return reverse(name, args=[case.patient.registry_id])
    if name.startswith("api:query-") and name != "api:query-list":
        return reverse(name, args=[query_of(case).pk])
    if name.startswith("api:finding-") and name != "api:finding-list":
        return reverse(name, args=[finding_of(case).pk])
    if name in ("api:snapshot-detail", "api:snapshot-diff"):
        return reverse(name, args=[snapshot_of(case).code])
    if name == "api:snapshot-report":
        return reverse(name, args=[snapshot_of(case).code, "opd"])
    centre = f"by_centre.{case.patient.centre.code}"
    if name == "api:snapshot-report-patients":
        return reverse(
            name, args=[snapshot_of(case).code, "opd", f"{centre}.selection[de novo].remaining"]
        )
    if name.endswith("-detail"):
        slug = name.removeprefix("api:record-").removesuffix("-detail")
        return reverse(name, args=[case.records[slug].pk])
    if name in ("api:report", "api:report-package"):
        return reverse(name, args=["cr"])
    if name == "api:report-patients":
        return reverse(name, args=["cr", f"{centre}.cr_rate.N"])
    if name == "api:endpoint-patients":
        return reverse(name, args=[endpoint_of(case).slug, f"{centre}.km.at_risk[0].at_risk"])
    if name == "api:endpoint-adhoc-patients":  # 400 without its definition, before the cell
        return reverse(name, args=[f"{centre}.km.n"])
    if name == "api:endpoint-analysis":
        return reverse(name, args=[endpoint_of(case).slug])
    if name == "api:endpoint-file":
        return reverse(name, args=[endpoint_of(case).slug, "figure.png"])
    return reverse(name)


def expected_status(kind: str, rule: str, own: bool) -> int:
    if rule == OPEN:
        return 200
    if rule in (POST_ONLY, CASE_STEP):
        return 405
    if rule == REPORT:
        return 200 if kind != "data_manager" else 403
    if rule == DRILL:  # another centre's count does not exist for a centre-bound user
        if kind == "data_manager":
            return 403
        return 200 if own or kind == "auditor" else 404
    if rule == AD_HOC:
        return 400 if kind != "data_manager" else 403
    if rule == JOB:  # the example job is a colleague's of the case's centre
        return 404
    if rule in (SNAPSHOT, SNAPSHOT_QUERY):  # the example covers the case's centre alone
        if kind == "data_manager":
            return 403
        if not (own or kind == "auditor"):
            return 404
        return 400 if rule == SNAPSHOT_QUERY else 200
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


# Who may take each step of a case's review and lock, and on which centre's case. The
# auditor of the matrix is registry-wide; a centre auditor sees only their centre.
CASE_STEPS = {
    "api:case-review": ({"note": "checked"}, {"auditor", "centre_auditor", "admin"}),
    "api:case-lock": ({"reason": "CR analysis"}, {"auditor", "centre_auditor", "admin"}),
    "api:case-unlock": ({"reason": "late data"}, {"admin"}),
}


@pytest.fixture
def step_users(data_manager, auditor, analyst_a, admin_user, centre_a):
    from registry.access import Role
    from tests.factories import UserFactory

    centre_auditor = UserFactory(username="auditor_a", role=Role.AUDITOR, centres=[centre_a])
    return {
        "data_manager": data_manager,
        "auditor": auditor,
        "centre_auditor": centre_auditor,
        "analyst": analyst_a,
        "admin": admin_user,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["data_manager", "auditor", "centre_auditor", "analyst", "admin"])
@pytest.mark.parametrize("name", sorted(CASE_STEPS))
def test_each_role_takes_the_case_steps_its_rule_allows(
    step_users, admin_user, case_a, case_b, kind, name
):
    """POST by role and centre: 200 with the status, 403 with the rule's message, or 404
    for a case the user cannot see (as a missing one); a refusal changes nothing."""
    from registry import quality_services
    from registry.models import CaseStatus

    body, allowed = CASE_STEPS[name]
    client = APIClient()
    client.force_authenticate(step_users[kind])
    for case, own in ((case_a, True), (case_b, False)):
        if name == "api:case-unlock":
            quality_services.case_lock(user=admin_user, patient=case.patient, reason="analysis")
        before = list(CaseStatus.history.filter(patient_id=case.patient.pk).values_list("pk"))
        response = client.post(url(name, case), body, format="json")
        sees = own or kind in ("auditor", "admin")
        expected = 403 if kind not in allowed else (200 if sees else 404)
        assert response.status_code == expected, (kind, own, response.json())
        if expected == 200:
            assert response.json()["registry_id"] == case.patient.registry_id
        else:
            assert "detail" in response.json()
            after = list(CaseStatus.history.filter(patient_id=case.patient.pk).values_list("pk"))
            assert after == before
