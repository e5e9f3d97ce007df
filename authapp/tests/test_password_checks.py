"""Every check of a signed-in user's password is protected like a sign-in.

A stolen access token must not turn ``POST /auth/password/change/`` or ``DELETE /users/me/``
into a password-guessing oracle: wrong passwords count toward the same django-axes lockout as
failed logins (per email and IP), and the two endpoints share a strict per-user budget.
"""

from typing import Any

import pytest
from rest_framework.test import APIClient

from authapp.tokens import issue_token_pair
from users.models import User
from users.tests.factories import TEST_PASSWORD

from .test_auth_support import PASSWORD_CHANGE, STRONG_PASSWORD, assert_problem, login

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def change(client: APIClient, old: str) -> Any:
    return client.post(
        PASSWORD_CHANGE, {"old_password": old, "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}
    )


def delete_me(client: APIClient, password: str) -> Any:
    return client.delete(ME, {"password": password}, format="json")


GUESSES = {"password_change": change, "delete_me": delete_me}


@pytest.mark.parametrize("guess", GUESSES.values(), ids=GUESSES.keys())
def test_wrong_passwords_lock_the_account_even_for_the_right_one(user: User, settings, guess) -> None:
    client = client_for(user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert guess(client, "a-wrong-guess").status_code in {400, 403}
    assert_problem(guess(client, "a-wrong-guess"), 429, "too_many_failed_logins")  # the failure that locks

    locked = guess(client, TEST_PASSWORD)

    assert_problem(locked, 429, "too_many_failed_logins")
    assert "Retry-After" in locked
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)  # nothing changed, nothing deleted
    # The same counter guards the sign-in form.
    assert_problem(login(APIClient(), user.email, tenant=user.tenant.slug), 429, "too_many_failed_logins")


def test_guesses_through_both_endpoints_share_one_lockout(user: User, settings) -> None:
    client = client_for(user)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        guess = change if attempt % 2 else delete_me
        guess(client, "a-wrong-guess")

    assert_problem(change(client, TEST_PASSWORD), 429, "too_many_failed_logins")


def test_a_wrong_old_password_is_a_field_error(user: User) -> None:
    response = change(client_for(user), "a-wrong-guess")

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {
            "field": "old_password",
            "code": "password_incorrect",
            "message": "Your current password was entered incorrectly.",
        }
    ]


def test_a_right_password_clears_earlier_failures(user: User, settings) -> None:
    client = client_for(user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        change(client, "a-wrong-guess")

    assert change(client, TEST_PASSWORD).status_code == 200

    # The counter starts again: one more miss does not lock.
    assert login(APIClient(), user.email, "another-wrong-guess", tenant=user.tenant.slug).status_code == 401


def test_password_checks_share_a_strict_per_user_budget(user: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 1000  # this test is about the throttle, not the lockout
    client = client_for(user)
    for attempt in range(10):
        guess = change if attempt % 2 else delete_me
        assert guess(client, "a-wrong-guess").status_code in {400, 403}

    for guess in (change, delete_me):
        response = guess(client, TEST_PASSWORD)
        assert_problem(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0
    assert User.objects.filter(pk=user.pk).exists()
