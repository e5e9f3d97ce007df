"""Forged, stale and misused JWTs are refused on an authenticated endpoint.

Each case builds an ``Authorization`` header for a real tenant admin (and may change the
database, as the attack scenario needs); the endpoint must answer 401 problem+json.
"""

import base64
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from authapp.tokens import issue_token_pair
from users.models import Tenant, User

from .test_auth_support import PROBE, assert_problem, make_tenant, make_user

pytestmark = [
    pytest.mark.django_db,
    # HS512 wants a 64-byte key; the short test key only matters to the other_algorithm case.
    pytest.mark.filterwarnings("ignore:The HMAC key is"),
]


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def signed(payload: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)


def access_for(user: User) -> str:
    return issue_token_pair(user)["access"]


# --- the attacks ---------------------------------------------------------------------


def expired(user: User) -> str:
    payload = claims(access_for(user))
    payload["exp"] = int(time.time()) - 60
    return f"Bearer {signed(payload)}"


def without_expiry(user: User) -> str:
    payload = claims(access_for(user))
    del payload["exp"]
    return f"Bearer {signed(payload)}"


def tampered_payload(user: User) -> str:
    # Someone else's user id pasted into a genuine token; the signature no longer matches.
    victim = make_user(tenant=user.tenant, role=User.Role.TENANT_ADMIN)
    header, payload, signature = access_for(user).split(".")
    forged = {**json.loads(base64.urlsafe_b64decode(payload + "==")), "user_id": str(victim.pk)}
    return f"Bearer {header}.{b64(forged)}.{signature}"


def wrong_signing_key(user: User) -> str:
    return f"Bearer {signed(claims(access_for(user)), key='not-our-signing-key-but-long-enough-for-hs256')}"


def other_algorithm(user: User) -> str:
    # Right key, but HS512: only the configured algorithm is accepted.
    return f"Bearer {signed(claims(access_for(user)), algorithm='HS512')}"


def alg_none(user: User) -> str:
    return f"Bearer {b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(access_for(user)))}."


def refresh_as_access(user: User) -> str:
    return f"Bearer {issue_token_pair(user)['refresh']}"


def deleted_user(user: User) -> str:
    ghost = make_user(tenant=user.tenant, role=User.Role.TENANT_ADMIN)
    token = access_for(ghost)
    ghost.delete()
    return f"Bearer {token}"


def other_tenant_claim(user: User) -> str:
    elsewhere = make_tenant(slug="elsewhere")
    payload = {**claims(access_for(user)), "tenant_id": elsewhere.pk}
    return f"Bearer {signed(payload)}"


def missing_tenant_claim(user: User) -> str:
    payload = claims(access_for(user))
    del payload["tenant_id"]
    return f"Bearer {signed(payload)}"


def user_moved_tenant(user: User) -> str:
    token = access_for(user)
    user.tenant = make_tenant(slug="new-home")
    user.save()
    return f"Bearer {token}"


def user_deactivated(user: User) -> str:
    token = access_for(user)
    user.is_active = False
    user.save()
    return f"Bearer {token}"


def before_password_change(user: User) -> str:
    token = access_for(user)
    user.set_password("a-brand-new-passphrase-2024")
    user.save()
    return f"Bearer {token}"


def garbage(user: User) -> str:
    return "Bearer this.is-not.a-jwt"


def not_a_jwt_at_all(user: User) -> str:
    return "Bearer " + "A" * 40


def wrong_scheme(user: User) -> str:
    return f"Token {access_for(user)}"


def extra_header_part(user: User) -> str:
    return f"Bearer {access_for(user)} extra"


ATTACKS: list[tuple[Callable[[User], str], str]] = [
    (expired, "token_not_valid"),
    (without_expiry, "token_not_valid"),
    (tampered_payload, "token_not_valid"),
    (wrong_signing_key, "token_not_valid"),
    (other_algorithm, "token_not_valid"),
    (alg_none, "token_not_valid"),
    (refresh_as_access, "token_not_valid"),
    (deleted_user, "user_inactive"),
    (other_tenant_claim, "token_tenant_mismatch"),
    (missing_tenant_claim, "token_not_valid"),  # every claim must be present and well-formed
    (user_moved_tenant, "token_tenant_mismatch"),
    (user_deactivated, "user_inactive"),
    (before_password_change, "password_changed"),
    (garbage, "token_not_valid"),
    (not_a_jwt_at_all, "token_not_valid"),
    (wrong_scheme, "not_authenticated"),
    (extra_header_part, "bad_authorization_header"),
]


@pytest.fixture
def admin(tenant: Tenant) -> User:
    return make_user(tenant=tenant, role=User.Role.TENANT_ADMIN)


def call(header: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(PROBE)


def test_a_genuine_token_is_accepted(admin: User) -> None:
    assert call(f"Bearer {access_for(admin)}").status_code == 200


@pytest.mark.parametrize(("attack", "code"), ATTACKS, ids=[attack.__name__ for attack, _ in ATTACKS])
def test_jwt_attack_is_refused_with_401(admin: User, attack: Callable[[User], str], code: str) -> None:
    response = call(attack(admin))

    assert_problem(response, 401, code)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_a_suspended_tenant_is_403(admin: User, tenant: Tenant) -> None:
    header = f"Bearer {access_for(admin)}"
    tenant.status = Tenant.Status.SUSPENDED
    tenant.save()

    assert_problem(call(header), 403, "tenant_suspended")


def test_access_lifetime_is_short() -> None:
    # Revocation of access tokens is by expiry alone (logout blacklists refresh tokens).
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] <= timedelta(minutes=30)
