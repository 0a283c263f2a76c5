"""A background job is its owner's alone (and administrators'): anyone else gets 404.

The URL matrices (test_url_access.py, test_api_access.py) check every role against a
colleague's job; here each role owns one, beside a colleague and another centre's user.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from registry.access import Role
from registry.models import Job
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = {"data_manager": Role.DATA_MANAGER, "auditor": Role.AUDITOR, "analyst": Role.ANALYST}


def job_of(case, owner=None) -> Job:
    """A finished export job of a user of the case's centre, with a file to download."""
    owner = owner or UserFactory(role=Role.DATA_MANAGER, centres=[case.patient.centre])
    return Job.objects.create(
        owner=owner,
        kind=Job.Kind.EXPORT,
        state=Job.State.SUCCEEDED,
        parameters={"output": "json", "filters": {}, "deidentified": True},
        summary={"cases": 0, "deidentified": True},
        result_name="mbc-cases.json",
        result_content_type="application/json",
        result_content=b'{"cases": []}',
    )


def job_urls(job) -> list[str]:
    return [
        reverse("registry:job-detail", args=[job.pk]),
        reverse("api:job-detail", args=[job.pk]),
        reverse("api:job-result", args=[job.pk]),
    ]


def statuses(user, job) -> list[int]:
    client = APIClient()
    client.force_login(user)
    return [client.get(url).status_code for url in job_urls(job)]


@pytest.mark.parametrize("kind", sorted(ROLES))
def test_only_the_owner_and_administrators_see_a_job(kind, case_a, centre_a, centre_b):
    owner = UserFactory(role=ROLES[kind], centres=[centre_a])
    job = job_of(case_a, owner)
    colleague = UserFactory(role=ROLES[kind], centres=[centre_a])
    other_centre = UserFactory(role=ROLES[kind], centres=[centre_b])
    registry_wide = UserFactory(role=ROLES[kind], registry_wide=True)
    administrator = UserFactory(is_superuser=True)

    assert statuses(owner, job) == [200, 200, 200]
    assert statuses(administrator, job) == [200, 200, 200]
    for stranger in (colleague, other_centre, registry_wide):
        assert statuses(stranger, job) == [404, 404, 404], stranger


def test_lists_hold_only_ones_own_jobs(case_a, centre_a):
    mine, theirs = job_of(case_a), job_of(case_a)
    client = APIClient()
    client.force_login(mine.owner)
    listed = [job["id"] for job in client.get(reverse("api:job-list")).json()["results"]]
    page = client.get(reverse("registry:job-list")).content.decode()
    assert listed == [str(mine.pk)]
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() not in page


def test_anonymous_users_get_no_job(client, case_a):
    job = job_of(case_a)
    page, api, result = job_urls(job)
    assert client.get(page).status_code == 302
    assert APIClient().get(api).status_code in (401, 403)
    assert APIClient().get(result).status_code in (401, 403)


def test_a_user_without_a_role_cannot_start_a_job(client):
    client.force_login(UserFactory())
    assert client.get(reverse("registry:export")).status_code == 403
    api = APIClient()
    api.force_login(UserFactory())
    assert api.post("/api/export/").status_code == 403
    assert api.post("/api/import/").status_code == 403
    assert not Job.objects.exists()
