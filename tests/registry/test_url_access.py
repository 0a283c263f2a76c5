"""Every URL of the registry, for every kind of user, on an own and a foreign centre.

The examples are generated from the URL configuration: a new URL without an entry in
`EXPECTED` fails `test_every_url_has_an_access_rule`, so none can be forgotten.
"""

import pytest
from django.urls import get_resolver, reverse

from analytics.endpoint_views import FILES as ENDPOINT_FILES
from registry.record_types import RECORD_TYPES
from tests.analytics.test_endpoint_pages import endpoint_of
from tests.analytics.test_snapshots import snapshot_of
from tests.registry.test_findings import finding_of
from tests.registry.test_job_access import job_of
from tests.registry.test_quality import query_of

LIST = "list"
CREATE = "create"
READ = "read"
EDIT = "edit"
AUDIT = "audit"
AUDIT_LOG = "audit-log"
SHEET = "sheet"
REPORT = "report"
JOB = "job"  # its owner's alone (and administrators'): tests/registry/test_job_access.py
QUERY = "query"  # a query on a patient: its centre's data managers, auditors; never analysts
QUALITY = "quality"  # raise a query, review, lock: auditors of the patient's centre
UNLOCK = "unlock"  # administrators alone
FINDINGS = "findings"  # data managers and auditors (their centres' findings), never analysts
FINDING = "finding"  # one finding: its centre's data managers, auditors
DRILL = "drill"  # the patients behind a count of a centre: analysts and auditors of that centre
# A file of an ad hoc endpoint analysis, whose definition is in the query: without one it
# is a 400 saying what is missing (to analysts and auditors), 403 for others.
AD_HOC = "ad-hoc"
SNAPSHOT = "snapshot"  # analysts and auditors who see every centre of it; data managers never
SNAPSHOT_QUERY = "snapshot-query"  # the same, and without its ?to=... a 400 (a diff file)

EXPECTED = {
    "home": LIST,
    "registry:patient-list": LIST,
    "registry:meeting-list": LIST,
    "registry:patient-create": CREATE,
    "registry:meeting-create": CREATE,
    "registry:patient-detail": READ,
    "registry:meeting-detail": READ,
    "registry:patient-update": EDIT,
    "registry:patient-archive": EDIT,
    "registry:patient-restore": EDIT,
    "registry:record-create": EDIT,
    "registry:record-update": EDIT,
    "registry:record-delete": EDIT,
    "registry:meeting-update": EDIT,
    "registry:agenda-add": EDIT,
    "registry:decision-update": EDIT,
    "registry:patient-fhir": READ,
    "registry:patient-audit": AUDIT,
    "registry:record-history": AUDIT,
    "registry:audit-log": AUDIT_LOG,
    "registry:decision-sheet": SHEET,
    "registry:import": CREATE,
    "registry:export": LIST,
    "registry:job-list": LIST,
    "registry:job-detail": JOB,
    "registry:query-list": LIST,
    "registry:query-detail": QUERY,
    "registry:query-raise": QUALITY,
    "registry:case-review": QUALITY,
    "registry:case-lock": QUALITY,
    "registry:case-unlock": UNLOCK,
    "registry:finding-list": FINDINGS,
    "registry:finding-detail": FINDING,
    "registry:completeness": LIST,
    "registry:import-guide": CREATE,
    "registry:import-example": CREATE,
    "registry:redcap-import": CREATE,
    "registry:redcap-guide": CREATE,
    "registry:redcap-example": CREATE,
    "analytics:index": REPORT,
    "analytics:report": REPORT,
    "analytics:download": REPORT,
    "analytics:dataset": REPORT,
    "analytics:plot": REPORT,
    "analytics:package": REPORT,
    "analytics:patients": DRILL,
    "analytics:patients-csv": DRILL,
    # Saved endpoints hold no patient data and belong to no centre: every analyst and
    # auditor opens them, each on the patients they may see (tests/analytics/
    # test_endpoint_pages.py checks the centre scoping).
    "analytics:endpoint-list": REPORT,
    "analytics:endpoint-analysis": REPORT,
    "analytics:endpoint-analysis-file": AD_HOC,
    "analytics:endpoint-saved": REPORT,
    "analytics:endpoint-saved-file": REPORT,
    "analytics:endpoint-analysis-patients": AD_HOC,
    "analytics:endpoint-analysis-patients-csv": AD_HOC,
    "analytics:endpoint-saved-patients": DRILL,
    "analytics:endpoint-saved-patients-csv": DRILL,
    "analytics:snapshot-list": REPORT,
    "analytics:snapshot-create": REPORT,
    "analytics:snapshot-detail": SNAPSHOT,
    "analytics:snapshot-report": SNAPSHOT,
    "analytics:snapshot-download": SNAPSHOT,
    "analytics:snapshot-plot": SNAPSHOT,
    "analytics:snapshot-dataset": SNAPSHOT,
    "analytics:snapshot-diff": SNAPSHOT,
    "analytics:snapshot-diff-download": SNAPSHOT_QUERY,
    "analytics:snapshot-package": SNAPSHOT,
    "analytics:snapshot-patients": SNAPSHOT,
    "analytics:snapshot-patients-csv": SNAPSHOT,
}
NAMESPACES = ("registry", "analytics")


def application_url_names() -> set[str]:
    """Every named URL of the registry and analytics apps, and the home page."""
    resolver = get_resolver()
    names = {"home"}
    for namespace in NAMESPACES:
        app_resolver = resolver.namespace_dict[namespace][1]
        names |= {f"{namespace}:{n}" for n in app_resolver.reverse_dict if isinstance(n, str)}
    return names


def examples(name: str, case) -> list[dict]:
    """Concrete URL kwargs for one URL name, pointing at the given centre's case."""
    patient = case.patient
    discussion = case.records["discussions"]
    if name in {"registry:record-update", "registry:record-delete", "registry:record-history"}:
        return [
            {"registry_id": patient.registry_id, "kind": slug, "pk": record.pk}
            for slug, record in case.records.items()
        ]
    if name == "registry:record-create":
        return [{"registry_id": patient.registry_id, "kind": slug} for slug in RECORD_TYPES]
    if name in {"registry:query-raise", "registry:case-review", "registry:case-lock"}:
        return [{"registry_id": patient.registry_id}]
    if name == "registry:case-unlock":
        return [{"registry_id": patient.registry_id}]
    if name == "registry:query-detail":
        return [{"pk": query_of(case).pk}]
    if name == "registry:finding-detail":
        return [{"pk": finding_of(case).pk}]
    if name.startswith("registry:patient-") and name not in {
        "registry:patient-list",
        "registry:patient-create",
    }:
        return [{"registry_id": patient.registry_id}]
    if name in {"registry:meeting-detail", "registry:meeting-update", "registry:agenda-add"}:
        return [{"pk": case.meeting.pk}]
    if name in {"registry:decision-update", "registry:decision-sheet"}:
        return [{"pk": discussion.pk}]
    if name == "registry:job-detail":
        return [{"pk": job_of(case).pk}]
    if name in ("analytics:patients", "analytics:patients-csv"):
        return [{"report": r, "cell": cell} for r, cell in centre_cells(case)]
    if name == "analytics:endpoint-saved":
        return [{"slug": endpoint_of(case).slug}]
    if name == "analytics:endpoint-saved-file":
        return [{"slug": endpoint_of(case).slug, "filename": f} for f in ENDPOINT_FILES]
    if name in ("analytics:endpoint-saved-patients", "analytics:endpoint-saved-patients-csv"):
        centre = f"by_centre.{patient.centre.code}"
        return [
            {"slug": endpoint_of(case).slug, "cell": cell}
            for cell in (f"{centre}.km.n", f"{centre}.km.at_risk[0].at_risk")
        ]
    if name in ("analytics:snapshot-patients", "analytics:snapshot-patients-csv"):
        code = snapshot_of(case).code
        return [{"snapshot": code, "report": r, "cell": cell} for r, cell in centre_cells(case)]
    if name.startswith("analytics:snapshot-") and name not in SNAPSHOT_FREE:
        code = snapshot_of(case).code
        return [{"snapshot": code, **kwargs} for kwargs in SNAPSHOT_EXAMPLES.get(name, [{}])]
    return ANALYTICS_EXAMPLES.get(name, [{}])


def centre_cells(case) -> list[tuple[str, str]]:
    """Counts of the case's centre in each report, as a crafted drill-down URL names them."""
    centre = f"by_centre.{case.patient.centre.code}"
    return [
        ("characteristics", f"{centre}.subtype.HR+/HER2-.N"),
        ("cr", f"{centre}.cr_rate.N"),
        ("cr", f"{centre}.duration_of_cr_from_first_cr.n"),
        ("opd", f"{centre}.selection[de novo].remaining"),
    ]


SNAPSHOT_FREE = {"analytics:snapshot-list", "analytics:snapshot-create"}
SNAPSHOT_EXAMPLES = {
    "analytics:snapshot-report": [{"report": r} for r in ("characteristics", "cr", "opd")],
    "analytics:snapshot-download": [
        {"report": r, "fmt": f} for r in ("characteristics", "cr", "opd") for f in ("json", "xlsx")
    ],
    "analytics:snapshot-plot": [
        {"report": "cr", "plot": "duration-of-cr", "fmt": "png"},
        {"report": "opd", "plot": "ps-pfs-by-subtype", "fmt": "svg"},
    ],
    "analytics:snapshot-dataset": [
        {"dataset": d, "fmt": f}
        for d in ("patients", "episodes", "lines", "progressions")
        for f in ("csv", "xlsx")
    ],
    "analytics:snapshot-diff-download": [{"fmt": "csv"}, {"fmt": "json"}],
    "analytics:snapshot-package": [{"report": r} for r in ("characteristics", "cr", "opd")],
}


ANALYTICS_EXAMPLES = {
    "analytics:report": [{"report": r} for r in ("characteristics", "cr", "opd")],
    "analytics:download": [
        {"report": r, "fmt": f}
        for r in ("characteristics", "cr", "opd")
        for f in ("json", "csv", "xlsx")
    ],
    "analytics:dataset": [
        {"dataset": d, "fmt": f}
        for d in ("patients", "episodes", "lines", "progressions")
        for f in ("csv", "xlsx")
    ],
    "analytics:package": [{"report": r} for r in ("characteristics", "cr", "opd")],
    "analytics:plot": [
        {"report": "cr", "plot": "duration-of-cr", "fmt": "png"},
        {"report": "opd", "plot": "ps-pfs-by-subtype", "fmt": "svg"},
    ],
    "analytics:endpoint-analysis-file": [{"filename": f} for f in ENDPOINT_FILES],
    "analytics:endpoint-analysis-patients": [{"cell": "overall.km.n"}],
    "analytics:endpoint-analysis-patients-csv": [{"cell": "overall.km.n"}],
}


def expected_status(kind: str, rule: str, *, own_centre: bool) -> int:
    """The status a user kind gets for a URL rule on its own or a foreign centre's data."""
    if rule == LIST:
        return 200
    if rule == JOB:  # the example job is a colleague's of the case's centre
        return 404
    if rule == REPORT:  # aggregated over the user's own centres: no foreign record in the URL
        return 200 if kind in ("auditor", "analyst") else 403
    if rule == DRILL:  # another centre's count does not exist for a centre-bound user
        if kind == "data_manager":
            return 403
        return 200 if own_centre or kind == "auditor" else 404
    if rule == AD_HOC:
        return 400 if kind in ("auditor", "analyst") else 403
    if rule in (SNAPSHOT, SNAPSHOT_QUERY):  # the example covers the case's centre alone
        if kind == "data_manager":
            return 403
        if not (own_centre or kind == "auditor"):
            return 404
        return 400 if rule == SNAPSHOT_QUERY else 200
    if rule == UNLOCK:
        return 403
    if rule == QUALITY:
        return 200 if kind == "auditor" else 403  # the auditor here is registry-wide
    if rule == FINDINGS:
        return 403 if kind == "analyst" else 200
    if rule == FINDING:
        if kind == "analyst":
            return 403  # analysts see no finding, not even their centre's
        return 200 if own_centre or kind == "auditor" else 404
    if rule == QUERY:
        if kind == "analyst":
            return 404  # analysts see no query, not even their centre's
        return 200 if own_centre or kind == "auditor" else 404
    if kind == "data_manager":
        if rule in (CREATE,):
            return 200
        if rule in (READ, EDIT, SHEET):
            return 200 if own_centre else 404
        return 403
    if kind == "auditor":  # registry-wide, read-only
        return 403 if rule in (CREATE, EDIT) else 200
    if kind == "analyst":  # de-identified reads only
        if rule == READ:
            return 200 if own_centre else 404
        return 403
    raise AssertionError(kind)


def test_every_url_has_an_access_rule():
    assert application_url_names() == set(EXPECTED)


@pytest.fixture
def users(data_manager, auditor, analyst_a):
    return {"data_manager": data_manager, "auditor": auditor, "analyst": analyst_a}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_anonymous_users_are_sent_to_log_in(client, case_a, name):
    for kwargs in examples(name, case_a):
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["data_manager", "auditor", "analyst"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_role_gets_what_its_rule_allows(client, users, case_a, case_b, kind, name):
    """Users belong to centre A (the auditor is registry-wide); centre B is foreign."""
    client.force_login(users[kind])
    for case, own in ((case_a, True), (case_b, kind == "auditor")):
        for kwargs in examples(name, case):
            url = reverse(name, kwargs=kwargs)
            status = client.get(url).status_code
            assert status == expected_status(kind, EXPECTED[name], own_centre=own), (url, kind)


@pytest.mark.django_db
def test_user_without_centre_or_role_sees_no_patient(client, case_a):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("registry:patient-list"))
    assert response.status_code == 200
    assert case_a.patient.registry_id not in response.content.decode()
    detail = reverse("registry:patient-detail", args=[case_a.patient.registry_id])
    assert client.get(detail).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, rule in EXPECTED.items() if rule == EDIT))
def test_data_manager_cannot_post_to_another_centres_records(client, data_manager, case_b, name):
    client.force_login(data_manager)
    before = {slug: type(r).objects.get(pk=r.pk).updated_at for slug, r in case_b.records.items()}
    for kwargs in examples(name, case_b):
        response = client.post(reverse(name, kwargs=kwargs), {"reason": "attempt"})
        assert response.status_code == 404
    after = {slug: type(r).objects.get(pk=r.pk).updated_at for slug, r in case_b.records.items()}
    assert after == before


@pytest.mark.django_db
def test_lists_show_only_the_users_centres(client, data_manager, case_a, case_b):
    client.force_login(data_manager)
    for name in ("registry:patient-list", "registry:meeting-list", "home"):
        page = client.get(reverse(name)).content.decode()
        assert case_b.patient.registry_id not in page
        assert "Centre B" not in page
    page = client.get(reverse("registry:patient-list")).content.decode()
    assert case_a.patient.registry_id in page


@pytest.mark.django_db
def test_search_does_not_find_another_centres_patient(client, data_manager, case_b):
    client.force_login(data_manager)
    link = reverse("registry:patient-detail", args=[case_b.patient.registry_id])
    for term in (case_b.patient.registry_id, case_b.patient.record_number):
        response = client.get(reverse("registry:patient-list"), {"q": term})
        assert response.context["paginator"].count == 0
        assert link not in response.content.decode()
