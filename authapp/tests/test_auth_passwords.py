"""Password change (signed in) and the emailed reset flow."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from conftest import api_key_client_for
from users.models import Tenant, User
from users.tests.factories import TEST_PASSWORD

from .test_auth_support import (
    PASSWORD_CHANGE,
    PASSWORD_RESET,
    PASSWORD_RESET_CONFIRM,
    REFRESH,
    STRONG_PASSWORD,
    assert_problem,
    field_errors,
    link_in_last_email,
    login,
    make_user,
    probe,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Long-passphrase-77"


@pytest.fixture
def admin(tenant: Tenant) -> User:
    return make_user(tenant=tenant, email="admin@acme.example", role=User.Role.TENANT_ADMIN)


def sign_in(client: APIClient, user: User, password: str = TEST_PASSWORD) -> dict:
    response = login(client, user.email, password, tenant=user.tenant.slug)
    assert response.status_code == 200, response.content
    return dict(response.json())


def change_body(old: str = TEST_PASSWORD, new1: str = NEW_PASSWORD, new2: str | None = None) -> dict:
    return {"old_password": old, "new_password1": new1, "new_password2": new1 if new2 is None else new2}


# --- change --------------------------------------------------------------------------


def test_password_change_revokes_old_tokens_and_returns_a_working_pair(api_client: APIClient, admin: User) -> None:
    old = sign_in(api_client, admin)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")

    response = api_client.post(PASSWORD_CHANGE, change_body())

    assert response.status_code == 200, response.content
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert probe(new["access"]) == 200
    assert probe(old["access"]) == 401
    assert_problem(APIClient().post(REFRESH, {"refresh": old["refresh"]}), 401, "password_changed")
    assert APIClient().post(REFRESH, {"refresh": new["refresh"]}).status_code == 200
    assert_problem(login(APIClient(), admin.email, TEST_PASSWORD, tenant="acme"), 401, "invalid_credentials")
    assert login(APIClient(), admin.email, NEW_PASSWORD, tenant="acme").status_code == 200


def test_password_change_needs_the_current_password(api_client: APIClient, admin: User) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {sign_in(api_client, admin)['access']}")

    assert field_errors(api_client.post(PASSWORD_CHANGE, change_body(old="guess"))) == {
        ("old_password", "password_incorrect")
    }
    admin.refresh_from_db()
    assert admin.check_password(TEST_PASSWORD)


def test_password_change_checks_match_and_strength(api_client: APIClient, admin: User) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {sign_in(api_client, admin)['access']}")

    mismatch = api_client.post(PASSWORD_CHANGE, change_body(new2="something-else-entirely-9"))
    weak = api_client.post(PASSWORD_CHANGE, change_body(new1="12345"))

    assert field_errors(mismatch) == {("new_password2", "password_mismatch")}
    assert ("new_password1", "password_too_short") in field_errors(weak)


def test_password_change_in_cookie_mode_replaces_the_cookie(api_client: APIClient, admin: User) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {sign_in(api_client, admin)['access']}")

    response = api_client.post(PASSWORD_CHANGE, {**change_body(), "cookie": True})

    assert response.status_code == 200
    assert "refresh" not in response.json()
    assert response.cookies["fitcore-refresh"]["httponly"]


def test_password_change_needs_a_signed_in_user(api_client: APIClient, tenant: Tenant) -> None:
    assert_problem(api_client.post(PASSWORD_CHANGE, change_body()), 401, "not_authenticated")
    assert_problem(api_key_client_for(tenant).post(PASSWORD_CHANGE, change_body()), 403, "api_key_not_allowed")


# --- reset ---------------------------------------------------------------------------


def request_reset(client: APIClient, email: str, tenant: str = "acme", capture=None):
    with capture(execute=True):
        return client.post(PASSWORD_RESET, {"email": email}, HTTP_X_TENANT=tenant)


def test_password_reset_end_to_end_from_the_emailed_link(
    api_client: APIClient, admin: User, django_capture_on_commit_callbacks
) -> None:
    old_access = sign_in(api_client, admin)["access"]

    response = request_reset(api_client, admin.email.upper(), capture=django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [admin.email]
    assert "Acme Fitness" in mail.outbox[0].subject
    link = link_in_last_email(admin.email, "reset-password")

    confirm = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"uid": link["uid"], "token": link["token"], "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert confirm.status_code == 200, confirm.content
    assert login(APIClient(), admin.email, NEW_PASSWORD, tenant="acme").status_code == 200
    assert probe(old_access) == 401  # every device is signed out
    # The link works once.
    again = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {
            "uid": link["uid"],
            "token": link["token"],
            "new_password1": STRONG_PASSWORD,
            "new_password2": STRONG_PASSWORD,
        },
    )
    assert field_errors(again) == {("token", "invalid_token")}


def test_password_reset_answers_the_same_for_unknown_email_and_sends_nothing(
    api_client: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    known = request_reset(api_client, user.email, capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()

    unknown = request_reset(api_client, "nobody@example.com", capture=django_capture_on_commit_callbacks)

    assert unknown.status_code == known.status_code == 200
    assert unknown.json() == known.json()
    assert mail.outbox == []


def test_password_reset_only_looks_in_the_header_tenant(
    api_client: APIClient, user: User, other_tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    response = request_reset(api_client, user.email, tenant="globex", capture=django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert mail.outbox == []


def test_password_reset_sends_nothing_to_inactive_user(
    api_client: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    user.is_active = False
    user.save()

    assert request_reset(api_client, user.email, capture=django_capture_on_commit_callbacks).status_code == 200
    assert mail.outbox == []


def test_password_reset_confirm_rejects_bad_token_and_uid(
    api_client: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    request_reset(api_client, user.email, capture=django_capture_on_commit_callbacks)
    link = link_in_last_email(user.email, "reset-password")
    passwords = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    bad_token = api_client.post(PASSWORD_RESET_CONFIRM, {"uid": link["uid"], "token": "x-y", **passwords})
    bad_uid = api_client.post(PASSWORD_RESET_CONFIRM, {"uid": "!!", "token": link["token"], **passwords})
    weak = api_client.post(PASSWORD_RESET_CONFIRM, {**link, "new_password1": "123", "new_password2": "123"})

    assert field_errors(bad_token) == {("token", "invalid_token")}
    # The same answer whether the uid names nobody or the token is wrong: no user-id oracle.
    assert field_errors(bad_uid) == {("token", "invalid_token")}
    assert bad_uid.json()["detail"] == bad_token.json()["detail"]
    assert ("new_password1", "password_too_short") in field_errors(weak)
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_password_reset_confirms_the_email_and_lifts_a_lockout(
    api_client: APIClient, user: User, settings, django_capture_on_commit_callbacks
) -> None:
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(api_client, user.email, "wrong", tenant="acme")
    assert login(api_client, user.email, tenant="acme").status_code == 429

    request_reset(api_client, user.email, capture=django_capture_on_commit_callbacks)
    link = link_in_last_email(user.email, "reset-password")
    confirm = api_client.post(
        PASSWORD_RESET_CONFIRM, {**link, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert confirm.status_code == 200
    assert EmailAddress.objects.get(user=user).verified
    assert login(api_client, user.email, NEW_PASSWORD, tenant="acme").status_code == 200


def test_password_reset_unknown_tenant_is_404(api_client: APIClient) -> None:
    assert_problem(
        api_client.post(PASSWORD_RESET, {"email": "a@b.example"}, HTTP_X_TENANT="nope"), 404, "tenant_not_found"
    )


def test_password_reset_is_rate_limited_by_its_own_scope(
    api_client: APIClient, user: User, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "password_reset": "1/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    assert request_reset(api_client, user.email, capture=django_capture_on_commit_callbacks).status_code == 200

    limited = request_reset(api_client, user.email, capture=django_capture_on_commit_callbacks)

    assert_problem(limited, 429, "throttled")
    assert len(mail.outbox) == 1
