"""Fixtures shared by every app's tests."""

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
import sentry_sdk.envelope
import sentry_sdk.transport
from django.core.cache import cache
from rest_framework.test import APIClient
from sentry_sdk.integrations.django import DjangoIntegration


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    """Each test starts with an empty cache (throttle counters, cached lookups).

    On Redis this clears only this worker's key prefix, never another worker's keys. The
    per-process principal cache goes too: ids are reused once a test's rows are rolled back.
    """
    from authapp.authentication import _touched
    from authapp.principal_cache import local

    local.clear()
    _touched.clear()
    yield
    local.clear()
    _touched.clear()
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


class SentryCapture:
    def __init__(self) -> None:
        self.envelopes: list[sentry_sdk.envelope.Envelope] = []

    def events(self) -> list[dict[str, Any]]:
        sentry_sdk.get_client().flush()
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event" and item.payload.json
        ]


@pytest.fixture
def sentry_events() -> Iterator[SentryCapture]:
    """Sentry switched on, as production configures it (Django plus the default integrations, logging
    among them), with a transport that keeps the events."""
    capture = SentryCapture()

    class CapturingTransport(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope: sentry_sdk.envelope.Envelope) -> None:
            capture.envelopes.append(envelope)

    # No auto-enabling integrations: probing for them costs ~0.2 s per init.
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=CapturingTransport,
        integrations=[DjangoIntegration()],
        auto_enabling_integrations=False,
    )
    try:
        yield capture
    finally:
        sentry_sdk.get_client().flush()
        sentry_sdk.init(auto_enabling_integrations=False)  # back to disabled


@pytest.fixture
def logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """Returns the records so far logged at ERROR or with a traceback, django.request's included
    (that logger does not propagate to the root, where caplog listens)."""
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            yield lambda: [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    finally:
        request_logger.removeHandler(caplog.handler)


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


@pytest.fixture
def staff_client(db):
    """FitCore staff signed into the admin (a superuser's session)."""
    from django.test import Client

    from users.models import User

    staff = User.objects.create_superuser("staff@fitcore.test", "staff-pass-123456")
    client = Client()
    client.force_login(staff)
    return client
