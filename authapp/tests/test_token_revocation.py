"""Signing out sticks: tokens issued before a deactivation, a role change, a password change or a
sign-out-everywhere never work again, whatever happens to the account afterwards.

Each scenario holds an access and a refresh token from before the event, triggers the event
through a real path (API as tenant admin, API as API key, Django admin form, model save,
service), undoes it where it can be undone (reactivate, restore the role), and asserts both
old tokens are refused while a fresh sign-in works.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from authapp.tokens import issue_token_pair
from conftest import api_key_client_for, jwt_client_for
from users import services
from users.models import Tenant, User

from .test_auth_support import REFRESH, STRONG_PASSWORD, assert_problem, login, make_user

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"


def me_status(access: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def refresh_with(token: str) -> Any:
    return APIClient().post(REFRESH, {"refresh": token})


def assert_dead(tokens: dict[str, str]) -> None:
    assert_problem(me_status(tokens["access"]), 401, "token_revoked")
    refused = refresh_with(tokens["refresh"])
    # An explicit sign-out also blacklists refresh tokens, which is checked first.
    assert refused.status_code == 401
    assert refused.json()["code"] in {"token_revoked", "token_not_valid"}


@pytest.fixture
def member(tenant: Tenant) -> User:
    return make_user(tenant=tenant, email="member@acme.example")


@pytest.fixture
def admin(tenant: Tenant) -> User:
    return make_user(tenant=tenant, email="boss@acme.example", role=User.Role.TENANT_ADMIN)


def _toggle_active_via_admin_api(admin: User, member: User) -> None:
    client = jwt_client_for(admin)
    assert client.patch(f"/api/v1/users/{member.pk}/", {"is_active": False}, format="json").status_code == 200
    assert client.patch(f"/api/v1/users/{member.pk}/", {"is_active": True}, format="json").status_code == 200


def _toggle_active_via_api_key(admin: User, member: User) -> None:
    client = api_key_client_for(member.tenant, scopes=["users:write"])
    assert client.patch(f"/api/v1/users/{member.pk}/", {"is_active": False}, format="json").status_code == 200
    assert client.patch(f"/api/v1/users/{member.pk}/", {"is_active": True}, format="json").status_code == 200


def _toggle_active_via_model_save(admin: User, member: User) -> None:
    user = User.objects.get(pk=member.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    user = User.objects.get(pk=member.pk)
    user.is_active = True
    user.save()


def _toggle_role_via_admin_api(admin: User, member: User) -> None:
    client = jwt_client_for(admin)
    promoted = client.patch(f"/api/v1/users/{member.pk}/", {"role": "tenant_admin"}, format="json")
    assert promoted.status_code == 200
    demoted = client.patch(f"/api/v1/users/{member.pk}/", {"role": "member"}, format="json")
    assert demoted.status_code == 200


def _sign_out_everywhere_via_admin_api(admin: User, member: User) -> None:
    assert jwt_client_for(admin).post(f"/api/v1/users/{member.pk}/sign-out/").status_code == 204


def _sign_out_everywhere_via_api_key(admin: User, member: User) -> None:
    client = api_key_client_for(member.tenant, scopes=["users:write"])
    assert client.post(f"/api/v1/users/{member.pk}/sign-out/").status_code == 204


def _sign_out_everywhere_themselves(admin: User, member: User) -> None:
    fresh = issue_token_pair(member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    response = client.post("/api/v1/auth/logout/all/")
    assert response.status_code == 200
    assert_dead(fresh)  # the device that asked is signed out too


def _toggle_active_via_staff_admin(admin: User, member: User) -> None:
    staff = make_user(tenant=Tenant.objects.get(slug="fitcore"), is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(staff)
    url = f"/admin/users/user/{member.pk}/change/"
    for active in (False, True):
        form = {
            "email": member.email,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "role": member.role,
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
        }
        if active:
            form["is_active"] = "on"
        response = browser.post(url, form)
        assert response.status_code == 302, response.content[:2000]
    assert User.objects.get(pk=member.pk).is_active


def _admin_action_sign_out(admin: User, member: User) -> None:
    staff = make_user(tenant=Tenant.objects.get(slug="fitcore"), is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(staff)
    response = browser.post(
        "/admin/users/user/", {"action": "sign_out_everywhere", "_selected_action": [str(member.pk)]}
    )
    assert response.status_code == 302


EVENTS: list[Callable[[User, User], None]] = [
    _toggle_active_via_admin_api,
    _toggle_active_via_api_key,
    _toggle_active_via_model_save,
    _toggle_active_via_staff_admin,
    _toggle_role_via_admin_api,
    _sign_out_everywhere_via_admin_api,
    _sign_out_everywhere_via_api_key,
    _sign_out_everywhere_themselves,
    _admin_action_sign_out,
]


@pytest.mark.parametrize("event", EVENTS, ids=[event.__name__.strip("_") for event in EVENTS])
def test_tokens_issued_before_the_event_stay_dead(admin: User, member: User, event) -> None:
    old = issue_token_pair(member)
    assert me_status(old["access"]).status_code == 200

    event(admin, member)

    assert_dead(old)
    # The account itself works: a new sign-in gets tokens that are accepted.
    new = login(APIClient(), member.email, tenant=member.tenant.slug)
    assert new.status_code == 200, new.content
    assert me_status(new.json()["access"]).status_code == 200
    assert refresh_with(new.json()["refresh"]).status_code == 200


def test_a_password_change_retires_old_tokens_even_if_changed_back(member: User) -> None:
    old = issue_token_pair(member)
    member.set_password(STRONG_PASSWORD)
    member.save()
    member.set_password("back-to-an-old-passphrase-7")
    member.save()

    assert_problem(me_status(old["access"]), 401, "password_changed")
    assert_problem(refresh_with(old["refresh"]), 401, "password_changed")


def test_a_deactivated_user_is_refused_at_once(member: User) -> None:
    tokens = issue_token_pair(member)
    member.is_active = False
    member.save()

    assert_problem(me_status(tokens["access"]), 401, "user_inactive")


def test_saving_other_fields_keeps_sessions(member: User) -> None:
    tokens = issue_token_pair(member)
    services.user_update(user=member, data={"first_name": "Renamed"}, profile_data={"units": "imperial"})
    member.last_name = "Also renamed"
    member.save()

    assert me_status(tokens["access"]).status_code == 200
    assert refresh_with(tokens["refresh"]).status_code == 200


def test_the_generation_only_moves_forward(member: User) -> None:
    start = member.auth_generation
    services.user_sign_out_everywhere(user=member)
    member.is_active = False
    member.save()
    member.is_active = True
    member.save()

    assert User.objects.get(pk=member.pk).auth_generation == start + 3


def test_an_api_key_cannot_sign_out_a_tenant_admin(admin: User) -> None:
    tokens = issue_token_pair(admin)
    client = api_key_client_for(admin.tenant, scopes=["users:write"])

    assert_problem(client.post(f"/api/v1/users/{admin.pk}/sign-out/"), 403, "tenant_admin_required")
    assert me_status(tokens["access"]).status_code == 200


def test_sign_out_needs_users_write(member: User) -> None:
    client = api_key_client_for(member.tenant, scopes=["users:read"])

    assert_problem(client.post(f"/api/v1/users/{member.pk}/sign-out/"), 403, "insufficient_scope")


def test_a_member_cannot_sign_out_a_teammate(tenant: Tenant, member: User) -> None:
    teammate = make_user(tenant=tenant)
    tokens = issue_token_pair(teammate)

    response = jwt_client_for(member).post(f"/api/v1/users/{teammate.pk}/sign-out/")

    assert_problem(response, 403, "tenant_admin_required")
    assert me_status(tokens["access"]).status_code == 200


def test_a_concurrent_sign_out_and_deactivation_each_count(member: User) -> None:
    """Two holders of the same row at generation 0: neither bump may swallow the other's."""
    mine, theirs = User.objects.get(pk=member.pk), User.objects.get(pk=member.pk)
    tokens = issue_token_pair(member)

    services.user_sign_out_everywhere(user=theirs)  # generation 1 in the database
    between = issue_token_pair(User.objects.get(pk=member.pk))  # a sign-in in between
    mine.is_active = False  # this copy still thinks the generation is 0
    mine.save(update_fields=["is_active"])

    assert User.objects.get(pk=member.pk).auth_generation == 2
    assert mine.auth_generation == 2
    User.objects.filter(pk=member.pk).update(is_active=True)  # (reactivation aside)
    assert_problem(me_status(tokens["access"]), 401, "token_revoked")
    assert_problem(me_status(between["access"]), 401, "token_revoked")
