"""Helpers shared by the test_auth_* modules. It holds no tests of its own."""

import json
import re
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core import mail
from rest_framework.test import APIClient

from users.models import Tenant, User
from users.tests.factories import TEST_PASSWORD, TenantFactory, UserFactory

REGISTER = "/api/v1/auth/register/"
LOGIN = "/api/v1/auth/login/"
LOGOUT = "/api/v1/auth/logout/"
REFRESH = "/api/v1/auth/token/refresh/"
PASSWORD_CHANGE = "/api/v1/auth/password/change/"
PASSWORD_RESET = "/api/v1/auth/password/reset/"
PASSWORD_RESET_CONFIRM = "/api/v1/auth/password/reset/confirm/"
EMAIL_VERIFY = "/api/v1/auth/email/verify/"
EMAIL_RESEND = "/api/v1/auth/email/resend/"
# Needs a valid token of a tenant admin: 200 means the token was accepted.
PROBE = "/api/v1/tenant/api-keys/"

PROBLEM = "application/problem+json"
STRONG_PASSWORD = "a-Quite-long-passphrase-42"
REFRESH_COOKIE = "fitcore-refresh"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == status
    assert body["code"] == code
    return body


def field_errors(response: Any) -> set[tuple[str | None, str]]:
    """``{(field, code)}`` of a 400 problem document."""
    body = assert_problem(response, 400, "validation_error")
    return {(error["field"], error["code"]) for error in body["errors"]}


def login(
    client: APIClient, email: str, password: str = TEST_PASSWORD, *, tenant: str | None = None, **extra: Any
) -> Any:
    headers = {"HTTP_X_TENANT": tenant} if tenant is not None else {}
    return client.post(LOGIN, {"email": email, "password": password, **extra.pop("data", {})}, **headers, **extra)


def probe(access: str) -> int:
    """Status of an authenticated request with ``access``, from a fresh client."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return int(client.get(PROBE).status_code)


def link_in_last_email(to: str, screen: str) -> dict[str, str]:
    """The query of the ``{FRONTEND_URL}/<screen>?...`` link in the latest email to ``to``."""
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    base = re.escape(settings.FRONTEND_URL.rstrip("/"))
    match = re.search(rf"{base}/{screen}\?\S+", message.body)
    assert match, message.body
    return {key: values[0] for key, values in parse_qs(urlsplit(match.group(0)).query).items()}


def make_user(**fields: Any) -> User:
    """UserFactory, typed for mypy (factory_boy's stubs return the factory)."""
    return cast(User, UserFactory(**fields))


def make_tenant(**fields: Any) -> Tenant:
    return cast(Tenant, TenantFactory(**fields))
