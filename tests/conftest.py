"""Shared fixtures: two centres, a user of every kind, and one complete case per centre."""

from dataclasses import dataclass
from datetime import date

import pytest

from registry.access import Role
from registry.models import Patient
from registry.roles import sync_roles
from registry.services import patient_summary_refresh
from tests.factories import (
    BoardMeetingFactory,
    CaseDiscussionFactory,
    CentreFactory,
    FollowUpFactory,
    MetastaticSiteFactory,
    PatientFactory,
    ProgressionEventFactory,
    RadiotherapyFactory,
    ReceptorAssessmentFactory,
    ResponseAssessmentFactory,
    SurgeryFactory,
    TreatmentLineFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.2 s a user; the tests are about access, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached report results and page parts stay within a test (a rolled-back test may reuse
    ids)."""
    from django.core.cache import caches

    for alias in ("default", "fragments"):
        caches[alias].clear()
    yield
    for alias in ("default", "fragments"):
        caches[alias].clear()


@pytest.fixture
def synced_roles(db):
    """The role groups with their admin permissions, as `manage.py sync_roles` leaves them."""
    sync_roles()


@pytest.fixture
def centre_a():
    return CentreFactory(code="CA", name="Centre A")


@pytest.fixture
def centre_b():
    return CentreFactory(code="CB", name="Centre B")


@pytest.fixture
def data_manager(centre_a):
    return UserFactory(username="dm_a", role=Role.DATA_MANAGER, centres=[centre_a])


@pytest.fixture
def dm_client(client, data_manager):
    client.force_login(data_manager)
    return client


@pytest.fixture
def auditor():
    return UserFactory(username="auditor", role=Role.AUDITOR, registry_wide=True)


@pytest.fixture
def analyst():
    return UserFactory(username="analyst", role=Role.ANALYST, registry_wide=True)


@dataclass
class Case:
    """One patient with a record of every kind, keyed by record-type slug."""

    patient: Patient
    records: dict
    meeting: object


def make_case(centre, *, registry_id: str, family_name: str, record_number: str) -> Case:
    patient = PatientFactory(
        centre=centre,
        registry_id=registry_id,
        family_name=family_name,
        given_name="Zelinda",
        record_number=record_number,
        birth_date=date(1957, 2, 3),
    )
    line = TreatmentLineFactory(patient=patient)
    meeting = BoardMeetingFactory(centre=centre, held_on=date(2019, 2, 20))
    records = {
        "biology": ReceptorAssessmentFactory(patient=patient),
        "sites": MetastaticSiteFactory(patient=patient),
        "lines": line,
        "responses": ResponseAssessmentFactory(patient=patient, line=line),
        "progressions": ProgressionEventFactory(patient=patient),
        "surgeries": SurgeryFactory(patient=patient),
        "radiotherapy": RadiotherapyFactory(patient=patient),
        "follow-up": FollowUpFactory(patient=patient),
        "discussions": CaseDiscussionFactory(
            patient=patient,
            meeting=meeting,
            recommendation="Mastectomy",
            recommendation_category="surgery",
            followed=True,
        ),
    }
    patient_summary_refresh(patient)
    return Case(patient, records, meeting)


@pytest.fixture
def case_a(centre_a):
    return make_case(
        centre_a, registry_id="MBC-A0001", family_name="Quagliarella", record_number="REC-A-778812"
    )


@pytest.fixture
def case_b(centre_b):
    return make_case(
        centre_b, registry_id="MBC-B0001", family_name="Wettersteiner", record_number="REC-B-993311"
    )


@pytest.fixture
def analyst_a(centre_a):
    return UserFactory(username="analyst_a", role=Role.ANALYST, centres=[centre_a])


@pytest.fixture
def dm_b(centre_b):
    return UserFactory(username="dm_b", role=Role.DATA_MANAGER, centres=[centre_b])
