"""A report page's content is rendered once per stored result and query, and shared only
by those who may see that result (registry.templatetags.fragments)."""

import pytest
from django.test import Client
from django.urls import reverse

from registry.access import Role
from tests.builders import build_patient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CR = reverse("analytics:report", args=["cr"])


@pytest.fixture
def cohort(centre_a, centre_b):
    for centre in (centre_a, centre_b):
        build_patient(centre, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "CR")])


def page(user, query=None) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(CR, query or {})
    assert response.status_code == 200
    return response.content.decode()


def test_the_shared_content_carries_nothing_of_the_user(cohort, analyst, auditor):
    first, second = page(analyst), page(auditor)
    assert "analyst · analyst" in first
    assert "auditor · auditor" in second
    assert "analyst" not in second.replace("analytics", "")


def test_each_centre_scope_has_its_own_content(cohort, analyst, centre_a):
    everyone = page(analyst)
    one_centre = page(UserFactory(username="an_a", role=Role.ANALYST, centres=[centre_a]))
    assert "Centre B" in everyone
    assert "Centre B" not in one_centre
    assert "2 of 2 active patients" in everyone
    assert "1 of 1 active patients" in one_centre


def test_the_query_and_a_new_data_version_give_new_content(cohort, analyst, centre_a):
    assert "?by_centre=on" not in page(analyst)
    assert "?by_centre=on" in page(analyst, {"by_centre": "on"})
    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "PR")])
    assert "3 of 3 active patients" in page(analyst)
