"""Fixtures shared by every app's tests."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    """Each test starts with an empty cache (throttle counters, cached lookups).

    On Redis this clears only this worker's key prefix, never another worker's keys.
    """
    yield
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


# --- tenants, users and their credentials ----------------------------------------


@pytest.fixture
def tenant(db):
    from users.tests.factories import TenantFactory

    return TenantFactory(slug="acme", name="Acme Fitness")


@pytest.fixture
def other_tenant(db):
    from users.tests.factories import TenantFactory

    return TenantFactory(slug="globex", name="Globex Health")


@pytest.fixture
def user(tenant):
    from users.tests.factories import UserFactory

    return UserFactory(tenant=tenant)


@pytest.fixture
def tenant_admin(tenant):
    from users.models import User
    from users.tests.factories import UserFactory

    return UserFactory(tenant=tenant, role=User.Role.TENANT_ADMIN)


def jwt_client_for(user) -> APIClient:
    """A client holding a real access token for ``user``, as the mobile app would."""
    from authapp.tokens import issue_token_pair

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def api_key_client_for(tenant, scopes: list[str] | None = None) -> APIClient:
    """A client sending a real ``X-API-Key``, as a partner's backend would."""
    from authapp.tests.factories import make_api_key

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=make_api_key(tenant, scopes=scopes).secret)
    return client


@pytest.fixture
def user_client(user) -> APIClient:
    return jwt_client_for(user)


@pytest.fixture
def admin_client_jwt(tenant_admin) -> APIClient:
    return jwt_client_for(tenant_admin)


@pytest.fixture
def api_key_client(tenant) -> APIClient:
    return api_key_client_for(tenant)
