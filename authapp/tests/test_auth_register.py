"""POST /api/v1/auth/register/: email-only sign-up into the tenant named by X-Tenant."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from rest_framework.test import APIClient

from authapp.serializers import RegisterSerializer
from users.models import DEFAULT_TENANT_SLUG, Tenant, User

from .test_auth_support import (
    REFRESH,
    REGISTER,
    STRONG_PASSWORD,
    assert_problem,
    field_errors,
    link_in_last_email,
    login,
    make_user,
)

pytestmark = pytest.mark.django_db


def register(client: APIClient, email: str, *, tenant: str | None = "acme", password: str = STRONG_PASSWORD, **more):
    headers = {"HTTP_X_TENANT": tenant} if tenant is not None else {}
    return client.post(REGISTER, {"email": email, "password": password, **more}, **headers)


def test_register_creates_user_in_header_tenant_and_signs_in(
    api_client: APIClient, tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client, "new@example.com", first_name="Ada", last_name="Lovelace")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["tenant"] == "acme"
    assert body["user"]["first_name"] == "Ada"
    user = User.objects.get(email="new@example.com")
    assert user.tenant == tenant
    assert user.check_password(STRONG_PASSWORD)
    assert EmailAddress.objects.filter(user=user, primary=True, verified=False).count() == 1
    # The pair is live: the refresh token trades for a new one.
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}).status_code == 200


def test_register_without_header_joins_first_party_tenant(api_client: APIClient) -> None:
    response = register(api_client, "own-app@example.com", tenant=None)

    assert response.status_code == 201, response.content
    assert response.json()["user"]["tenant"] == DEFAULT_TENANT_SLUG


def test_register_sends_confirmation_email_when_verification_optional(
    api_client: APIClient, tenant: Tenant, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client, "optional@example.com")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["optional@example.com"]
    assert tenant.name in mail.outbox[0].subject
    assert link_in_last_email("optional@example.com", "verify-email")["key"]


def test_register_sends_no_email_when_verification_off(
    api_client: APIClient, tenant: Tenant, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client, "none@example.com")

    assert response.status_code == 201
    assert "access" in response.json()
    assert mail.outbox == []


def test_register_with_mandatory_verification_gives_no_tokens_and_emails_link(
    api_client: APIClient, tenant: Tenant, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client, "mandatory@example.com")

    assert response.status_code == 201, response.content
    assert set(response.json()) == {"detail"}
    assert len(mail.outbox) == 1
    assert link_in_last_email("mandatory@example.com", "verify-email")["key"]
    # And the account cannot sign in yet.
    assert_problem(
        login(api_client, "mandatory@example.com", STRONG_PASSWORD, tenant="acme"), 403, "email_not_verified"
    )


def test_register_duplicate_email_in_same_tenant_is_400_email_taken(api_client: APIClient, tenant: Tenant) -> None:
    make_user(tenant=tenant, email="taken@example.com")

    response = register(api_client, "TAKEN@Example.com")

    assert field_errors(response) == {("email", "email_taken")}
    assert User.objects.filter(tenant=tenant, email__iexact="taken@example.com").count() == 1


def test_register_same_email_in_another_tenant_is_allowed(
    api_client: APIClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    make_user(tenant=tenant, email="both@example.com")

    response = register(api_client, "both@example.com", tenant="globex")

    assert response.status_code == 201, response.content
    assert response.json()["user"]["tenant"] == "globex"
    assert User.objects.filter(email="both@example.com").count() == 2


def test_register_losing_a_race_for_the_email_is_400_not_500(
    api_client: APIClient, tenant: Tenant, monkeypatch
) -> None:
    # The other sign-up commits between our check and our insert: only the constraint sees it.
    make_user(tenant=tenant, email="race@example.com")
    monkeypatch.setattr(RegisterSerializer, "validate_email", lambda self, value: value)

    response = register(api_client, "Race@example.com")

    assert field_errors(response) == {("email", "email_taken")}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "password_too_short"),
        ("12345678901", "password_entirely_numeric"),
        ("password123", "password_too_common"),
        ("grace.hopper.navy", "password_too_similar"),
    ],
)
def test_register_rejects_weak_password(api_client: APIClient, tenant: Tenant, password: str, code: str) -> None:
    response = register(api_client, "grace.hopper@navy.example", password=password, first_name="Grace")

    assert ("password", code) in field_errors(response)
    assert not User.objects.filter(email="grace.hopper@navy.example").exists()


def test_register_needs_no_username(api_client: APIClient, tenant: Tenant) -> None:
    response = register(api_client, "")

    assert field_errors(response) == {("email", "blank")}


def test_register_unknown_tenant_is_404(api_client: APIClient) -> None:
    assert_problem(register(api_client, "x@example.com", tenant="no-such-tenant"), 404, "tenant_not_found")


def test_register_in_suspended_tenant_is_403(api_client: APIClient, tenant: Tenant) -> None:
    tenant.status = Tenant.Status.SUSPENDED
    tenant.save()

    assert_problem(register(api_client, "x@example.com"), 403, "tenant_suspended")
    assert not User.objects.filter(email="x@example.com").exists()


def test_register_in_cookie_mode_sets_refresh_cookie(api_client: APIClient, tenant: Tenant) -> None:
    response = register(api_client, "web@example.com", cookie=True)

    assert response.status_code == 201
    assert "refresh" not in response.json()
    assert response.cookies["fitcore-refresh"]["httponly"]
