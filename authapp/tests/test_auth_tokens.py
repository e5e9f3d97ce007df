"""Refresh rotation, logout and the opt-in refresh cookie."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from users.models import Tenant, User

from .test_auth_support import LOGOUT, REFRESH, REFRESH_COOKIE, assert_problem, login, make_user, probe


@pytest.fixture
def admin(tenant: Tenant) -> User:
    return make_user(tenant=tenant, email="admin@acme.example", role=User.Role.TENANT_ADMIN)


def sign_in(client: APIClient, user: User, **data) -> dict:
    response = login(client, user.email, tenant=user.tenant.slug, data=data)
    assert response.status_code == 200, response.content
    return dict(response.json())


# --- refresh -------------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_rotates_and_old_refresh_token_is_rejected(api_client: APIClient, admin: User) -> None:
    first = sign_in(api_client, admin)

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert rotated.status_code == 200, rotated.content
    pair = rotated.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != first["refresh"]
    assert probe(pair["access"]) == 200

    assert_problem(api_client.post(REFRESH, {"refresh": first["refresh"]}), 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200


@pytest.mark.django_db
def test_refresh_without_token_is_400(api_client: APIClient) -> None:
    assert_problem(api_client.post(REFRESH, {}), 401, "not_authenticated")


@pytest.mark.django_db
def test_refresh_with_garbage_or_access_token_is_401(api_client: APIClient, admin: User) -> None:
    access = sign_in(api_client, admin)["access"]

    assert_problem(api_client.post(REFRESH, {"refresh": "not-a-token"}), 401, "token_not_valid")
    assert_problem(api_client.post(REFRESH, {"refresh": access}), 401, "token_not_valid")


@pytest.mark.django_db
def test_refresh_for_deactivated_user_is_401(api_client: APIClient, admin: User) -> None:
    refresh = sign_in(api_client, admin)["refresh"]
    admin.is_active = False
    admin.save()

    assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 401


@pytest.mark.django_db
def test_refresh_in_suspended_tenant_is_403(api_client: APIClient, admin: User, tenant: Tenant) -> None:
    refresh = sign_in(api_client, admin)["refresh"]
    tenant.status = Tenant.Status.SUSPENDED
    tenant.save()

    assert_problem(api_client.post(REFRESH, {"refresh": refresh}), 403, "tenant_suspended")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (SELECT ... FOR UPDATE) need PostgreSQL")
def test_concurrent_refreshes_of_one_token_let_exactly_one_through(transactional_db, tenant: Tenant) -> None:
    user = make_user(tenant=tenant)
    refresh = sign_in(APIClient(), user)["refresh"]
    workers = 6
    barrier = threading.Barrier(workers)
    statuses: list[int] = []

    def refresh_once() -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            statuses.append(client.post(REFRESH, {"refresh": refresh}).status_code)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [threading.Thread(target=refresh_once) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert Counter(statuses) == {200: 1, 401: workers - 1}
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1


# --- logout --------------------------------------------------------------------------


@pytest.mark.django_db
def test_logout_blacklists_refresh_token(api_client: APIClient, admin: User) -> None:
    refresh = sign_in(api_client, admin)["refresh"]

    response = api_client.post(LOGOUT, {"refresh": refresh})

    assert response.status_code == 200, response.content
    assert BlacklistedToken.objects.filter(token__user=admin).count() == 1
    assert_problem(api_client.post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")


@pytest.mark.django_db
def test_logout_works_with_an_expired_access_token_header(api_client: APIClient, admin: User) -> None:
    refresh = sign_in(api_client, admin)["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION="Bearer no-longer-valid")

    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 200


@pytest.mark.django_db
def test_logout_without_token_is_400_and_with_garbage_401(api_client: APIClient) -> None:
    assert_problem(api_client.post(LOGOUT, {}), 401, "not_authenticated")
    assert_problem(api_client.post(LOGOUT, {"refresh": "garbage"}), 401, "token_not_valid")


@pytest.mark.django_db
def test_logout_does_not_allow_get(api_client: APIClient) -> None:
    assert_problem(api_client.get(LOGOUT), 405, "method_not_allowed")


# --- cookie mode ---------------------------------------------------------------------


@pytest.mark.django_db
def test_cookie_mode_login_sets_httponly_refresh_cookie_instead_of_body(api_client: APIClient, admin: User) -> None:
    response = login(api_client, admin.email, tenant="acme", data={"cookie": True})

    assert response.status_code == 200
    body = response.json()
    assert "refresh" not in body
    assert probe(body["access"]) == 200
    cookie = response.cookies[REFRESH_COOKIE]
    assert cookie.value
    assert cookie["httponly"]
    assert cookie["path"] == "/api/v1/auth/"
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 7 * 24 * 3600


@pytest.mark.django_db
def test_cookie_mode_refresh_reads_and_rotates_the_cookie(api_client: APIClient, admin: User) -> None:
    login(api_client, admin.email, tenant="acme", data={"cookie": True})
    first_cookie = api_client.cookies[REFRESH_COOKIE].value

    response = api_client.post(REFRESH, {})  # the test client sends the cookie back, like a browser

    assert response.status_code == 200, response.content
    assert "refresh" not in response.json()
    assert probe(response.json()["access"]) == 200
    second_cookie = response.cookies[REFRESH_COOKIE].value
    assert second_cookie and second_cookie != first_cookie
    # The rotated-out cookie value is dead.
    assert_problem(APIClient().post(REFRESH, {"refresh": first_cookie}), 401, "token_not_valid")


@pytest.mark.django_db
def test_body_token_wins_over_cookie(api_client: APIClient, admin: User) -> None:
    login(api_client, admin.email, tenant="acme", data={"cookie": True})
    body_refresh = sign_in(APIClient(), admin)["refresh"]

    response = api_client.post(REFRESH, {"refresh": body_refresh})

    assert response.status_code == 200
    assert "refresh" in response.json()  # not cookie mode: the body token came from a mobile-style client


@pytest.mark.django_db
def test_cookie_mode_logout_revokes_cookie_token_and_clears_cookie(api_client: APIClient, admin: User) -> None:
    login(api_client, admin.email, tenant="acme", data={"cookie": True})
    token = api_client.cookies[REFRESH_COOKIE].value

    response = api_client.post(LOGOUT, {})

    assert response.status_code == 200, response.content
    cleared = response.cookies[REFRESH_COOKIE]
    assert cleared.value == ""
    assert cleared["path"] == "/api/v1/auth/"
    assert_problem(APIClient().post(REFRESH, {"refresh": token}), 401, "token_not_valid")


@pytest.mark.django_db
def test_cookie_flag_on_body_refresh_switches_to_cookie(api_client: APIClient, admin: User) -> None:
    refresh = sign_in(api_client, admin)["refresh"]

    response = api_client.post(REFRESH, {"refresh": refresh, "cookie": True})

    assert response.status_code == 200
    assert "refresh" not in response.json()
    assert response.cookies[REFRESH_COOKIE]["httponly"]


@pytest.mark.django_db
def test_refresh_keeps_the_original_auth_time(user) -> None:
    """ "Signed in recently" (account deletion) cannot be renewed by refreshing."""
    from rest_framework_simplejwt.tokens import AccessToken

    from authapp.tokens import issue_token_pair

    pair = issue_token_pair(user, auth_time=1_700_000_000)
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["auth_time"] == 1_700_000_000
    assert AccessToken(issue_token_pair(user)["access"])["auth_time"] > 1_700_000_000
