"""POST /api/v1/auth/login/: email + password inside the X-Tenant tenant, watched by django-axes."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from users.models import Tenant, User

from .test_auth_support import PROBLEM, assert_problem, login, make_user, probe

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant: Tenant) -> User:
    # A tenant admin, so a token can be probed against an endpoint that needs one.
    return make_user(tenant=tenant, email="admin@acme.example", role=User.Role.TENANT_ADMIN)


def test_login_returns_token_pair_and_user(api_client: APIClient, admin: User) -> None:
    response = login(api_client, admin.email, tenant="acme")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == admin.pk
    assert body["user"]["tenant"] == "acme"
    assert probe(body["access"]) == 200
    admin.refresh_from_db()
    assert admin.last_login is not None
    # Only the body carries the refresh token unless the client asks for the cookie.
    assert "fitcore-refresh" not in response.cookies
    assert "sessionid" not in response.cookies


def test_login_email_is_case_insensitive(api_client: APIClient, user: User) -> None:
    assert login(api_client, user.email.upper(), tenant="acme").status_code == 200


def test_login_ignores_a_stale_authorization_header(api_client: APIClient, user: User) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired-or-garbage")

    assert login(api_client, user.email, tenant="acme").status_code == 200


def test_login_wrong_password_is_401_invalid_credentials(api_client: APIClient, user: User) -> None:
    response = login(api_client, user.email, "not-the-password", tenant="acme")

    assert_problem(response, 401, "invalid_credentials")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_login_unknown_email_answers_exactly_like_wrong_password(api_client: APIClient, user: User) -> None:
    wrong_password = login(api_client, user.email, "not-the-password", tenant="acme")
    unknown_email = login(api_client, "nobody@example.com", "not-the-password", tenant="acme")

    assert unknown_email.status_code == wrong_password.status_code == 401
    strip = {"request_id"}
    assert {k: v for k, v in unknown_email.json().items() if k not in strip} == {
        k: v for k, v in wrong_password.json().items() if k not in strip
    }


def test_login_with_another_tenants_header_is_invalid_credentials(
    api_client: APIClient, user: User, other_tenant: Tenant
) -> None:
    assert_problem(login(api_client, user.email, tenant="globex"), 401, "invalid_credentials")


def test_login_without_header_looks_in_first_party_tenant(api_client: APIClient, user: User) -> None:
    assert_problem(login(api_client, user.email), 401, "invalid_credentials")


def test_login_inactive_user_is_401(api_client: APIClient, user: User) -> None:
    user.is_active = False
    user.save()

    assert_problem(login(api_client, user.email, tenant="acme"), 401, "invalid_credentials")


def test_login_suspended_tenant_is_403(api_client: APIClient, user: User, tenant: Tenant) -> None:
    tenant.status = Tenant.Status.SUSPENDED
    tenant.save()

    assert_problem(login(api_client, user.email, tenant="acme"), 403, "tenant_suspended")


def test_login_unknown_tenant_is_404(api_client: APIClient, user: User) -> None:
    assert_problem(login(api_client, user.email, tenant="nope"), 404, "tenant_not_found")


def test_login_unverified_email_is_403_when_verification_mandatory(api_client: APIClient, user: User, settings) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    assert_problem(login(api_client, user.email, tenant="acme"), 403, "email_not_verified")
    # Only someone who knows the password learns that the address is unconfirmed.
    assert_problem(login(api_client, user.email, "wrong-password", tenant="acme"), 401, "invalid_credentials")

    EmailAddress.objects.filter(user=user).update(verified=True)
    assert login(api_client, user.email, tenant="acme").status_code == 200


def test_login_unverified_email_is_fine_when_verification_optional(api_client: APIClient, user: User, settings) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    assert login(api_client, user.email, tenant="acme").status_code == 200


def test_login_missing_fields_is_400(api_client: APIClient, tenant: Tenant) -> None:
    response = api_client.post("/api/v1/auth/login/", {}, HTTP_X_TENANT="acme")

    body = assert_problem(response, 400, "validation_error")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("email", "required"), ("password", "required")}


# --- lockout (django-axes) -----------------------------------------------------------


def fail(client: APIClient, email: str, **extra) -> object:
    return login(client, email, "wrong-password", tenant="acme", **extra)


def test_lockout_after_failure_limit_is_429_even_for_the_right_password(
    api_client: APIClient, user: User, settings
) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert_problem(fail(api_client, user.email), 401, "invalid_credentials")

    locking = fail(api_client, user.email)
    assert_problem(locking, 429, "too_many_failed_logins")

    right_password = login(api_client, user.email, tenant="acme")
    assert_problem(right_password, 429, "too_many_failed_logins")
    assert right_password["Content-Type"] == PROBLEM
    assert int(right_password["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert "access" not in right_password.json()


def test_lockout_counts_one_email_whatever_its_case(api_client: APIClient, user: User, settings) -> None:
    variants = [user.email.upper(), user.email.title(), user.email]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        fail(api_client, variants[attempt % len(variants)])

    assert_problem(login(api_client, user.email, tenant="acme"), 429, "too_many_failed_logins")


def test_lockout_is_per_ip(api_client: APIClient, user: User, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(api_client, user.email)

    from_elsewhere = login(APIClient(), user.email, tenant="acme", REMOTE_ADDR="203.0.113.9")

    assert from_elsewhere.status_code == 200, from_elsewhere.content


def test_lockout_is_per_user(api_client: APIClient, user: User, tenant: Tenant, settings) -> None:
    colleague = make_user(tenant=tenant)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(api_client, user.email)

    assert login(api_client, colleague.email, tenant="acme").status_code == 200


def test_lockout_expires_after_cool_off(api_client: APIClient, user: User, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(api_client, user.email)
    assert login(api_client, user.email, tenant="acme").status_code == 429

    # The cool-off passes: the last attempt is now older than AXES_COOLOFF_TIME.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert login(api_client, user.email, tenant="acme").status_code == 200


def test_successful_login_clears_earlier_failures(api_client: APIClient, user: User, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        fail(api_client, user.email)
    assert login(api_client, user.email, tenant="acme").status_code == 200

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert_problem(fail(api_client, user.email), 401, "invalid_credentials")


def test_login_is_rate_limited_by_the_auth_scope(api_client: APIClient, user: User, monkeypatch) -> None:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    for _ in range(2):
        assert login(api_client, user.email, tenant="acme").status_code == 200

    limited = login(api_client, user.email, tenant="acme")

    assert_problem(limited, 429, "throttled")
    assert int(limited["Retry-After"]) > 0


def test_staff_admin_login_is_locked_out_too(client, settings) -> None:
    """Django's admin form sends username=..., not email=...: it must share the lockout."""
    staff = make_user(tenant=Tenant.objects.get(slug="fitcore"), email="root@fitcore.example", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": staff.email, "password": "wrong-guess"})
    right = client.post("/admin/login/", {"username": staff.email, "password": "correct-horse-battery-staple"})
    assert right.status_code == 429
    assert not client.get("/admin/").wsgi_request.user.is_authenticated
    assert AccessAttempt.objects.get().username == staff.email


def test_lockout_ignores_a_spoofed_forwarded_for(api_client: APIClient, user: User, settings) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        fail(api_client, user.email, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    still_locked = login(api_client, user.email, tenant="acme", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert still_locked.status_code == 429


@pytest.mark.parametrize(
    "lookalike",
    # Dotless i, capital I with dot, Cyrillic e: spelled as escapes so no reader is fooled.
    ["al\u0131ce@acme.example", "AL\u0130CE@acme.example", "alice@acme.exampl\u0435"],
)
def test_lookalike_unicode_emails_do_not_reach_the_account(api_client: APIClient, tenant: Tenant, lookalike) -> None:
    """On PostgreSQL UPPER() folds dotless i to I: iexact matching let these in on their own lockout counter."""
    make_user(tenant=tenant, email="alice@acme.example")
    response = login(api_client, lookalike, tenant="acme")
    assert response.status_code == 401
    assert login(api_client, "ALICE@acme.example", tenant="acme").status_code == 200
