"""A correctly signed token with a missing or malformed claim is a 401 ``token_not_valid``, never a 500.

With the signing key (a leaked one, or a public development default) anyone can sign any
payload, so every claim's type is checked before anything reads it: as an access token on
an authenticated endpoint, and as a refresh token at token/refresh/ and logout/.
"""

from typing import Any

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from authapp.tokens import issue_token_pair
from users.models import Tenant, User

from .test_auth_support import LOGOUT, PROBE, REFRESH, assert_problem, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:The HMAC key is")]

_BAD_IDS = ["abc", "", "-1", "0", " 1", "1.0", "\uff11", "\u0661", 1.5, True, None, [1], {"id": 1}, 2**64, -5]
_BAD_INTS = ["1", 1.5, True, None, [1], {}, -1, 2**64]

MALFORMED: list[tuple[str, Any]] = [
    *(("user_id", value) for value in _BAD_IDS),
    *(("tenant_id", value) for value in _BAD_INTS),
    *(("gen", value) for value in _BAD_INTS),
    *(("auth_time", value) for value in ["2026-01-01", 1.5, True, None, [], -1, 10**12, 2**63 - 1]),
    # Times simplejwt turns into datetimes: out of a datetime's range, or not whole seconds.
    *(("exp", value) for value in ["99999999999", 10**14, 1e20, 2**63, True, None]),
    *(("iat", value) for value in [True, 1.5, -1e300, "0", 10**14]),
    *(("nbf", value) for value in [True, 1.5, "0"]),
    *(("jti", value) for value in [None, "", 123, ["a"], {"a": 1}, "x" * 300]),
    *(("hash_password", value) for value in [None, 123, ["x"]]),
]
_MISSING = object()
MISSING = [(claim, _MISSING) for claim in ("user_id", "tenant_id", "gen", "auth_time", "jti", "hash_password", "exp")]


def _payload(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def forged(token: str, claim: str, value: Any) -> str:
    payload = _payload(token)
    if value is _MISSING:
        del payload[claim]
    else:
        payload[claim] = value
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.fixture
def admin(tenant: Tenant) -> User:
    return make_user(tenant=tenant, role=User.Role.TENANT_ADMIN)


CASES = MALFORMED + MISSING
IDS = [f"{claim}={'missing' if value is _MISSING else repr(value)[:20]}" for claim, value in CASES]


@pytest.mark.parametrize(("claim", "value"), CASES, ids=IDS)
def test_malformed_claim_in_an_access_token_is_401(admin: User, claim: str, value: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged(issue_token_pair(admin)['access'], claim, value)}")

    assert_problem(client.get(PROBE), 401, "token_not_valid")


@pytest.mark.parametrize(("claim", "value"), CASES, ids=IDS)
@pytest.mark.parametrize("endpoint", [REFRESH, LOGOUT])
def test_malformed_claim_in_a_refresh_token_is_401(admin: User, endpoint: str, claim: str, value: Any) -> None:
    token = forged(issue_token_pair(admin)["refresh"], claim, value)

    assert_problem(APIClient().post(endpoint, {"refresh": token}), 401, "token_not_valid")


def test_the_genuine_tokens_still_work(admin: User) -> None:
    pair = issue_token_pair(admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    assert client.get(PROBE).status_code == 200
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200
