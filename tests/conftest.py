import pytest

from registry.access import Role
from registry.roles import sync_roles
from tests.factories import CentreFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.2 s a user; the tests are about access, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
def auditor():
    return UserFactory(username="auditor", role=Role.AUDITOR, registry_wide=True)


@pytest.fixture
def analyst():
    return UserFactory(username="analyst", role=Role.ANALYST, registry_wide=True)
