"""The claims our JWTs carry, and the check that every one of them is well-formed.

A token's signature proves we issued it, not that its claims have the types the code
reading them assumes: with a leaked or default signing key, or a bug in a future
minter, a token could say ``"user_id": "abc"`` or ``"jti": {}`` and reach an ORM filter
as such (a 500). So a token is refused, 401 ``token_not_valid``, unless each claim
below has exactly its documented type, before anything looks at it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

TENANT_CLAIM = "tenant_id"
# OpenID Connect's name: when the user last proved who they are (a real sign-in).
AUTH_TIME_CLAIM = "auth_time"
# users.User.auth_generation at issue time; a bump retires every older token.
GENERATION_CLAIM = "gen"

MAX_ID = 2**63 - 1  # bigint primary keys
# Times are whole seconds since the epoch that a datetime can hold (up to 9999-12-31).
MAX_TIMESTAMP = 253_402_300_799
# auth_time may not lie in the future by more than clock skew between our own servers.
AUTH_TIME_SKEW = 300
MAX_GENERATION = 2**31 - 1  # PositiveIntegerField
MAX_JTI_LENGTH = 255  # OutstandingToken.jti's column


def parse_user_id(value: Any) -> int | None:
    """simplejwt writes the id as a string of digits; ASCII digits only (``int()`` accepts others)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _valid(payload: Mapping[str, Any]) -> bool:
    jti = payload.get(jwt_settings.JTI_CLAIM)
    revoke = payload.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    optional_times = ("iat", "nbf")
    return (
        _int_in(payload.get("exp"), 0, MAX_TIMESTAMP)
        and all(name not in payload or _int_in(payload[name], 0, MAX_TIMESTAMP) for name in optional_times)
        and _int_in(payload.get(AUTH_TIME_CLAIM), 0, int(time.time()) + AUTH_TIME_SKEW)
        and isinstance(jti, str)
        and 0 < len(jti) <= MAX_JTI_LENGTH
        and parse_user_id(payload.get(jwt_settings.USER_ID_CLAIM)) is not None
        and _int_in(payload.get(TENANT_CLAIM), 1, MAX_ID)
        and _int_in(payload.get(GENERATION_CLAIM), 0, MAX_GENERATION)
        and (isinstance(revoke, str) or not jwt_settings.CHECK_REVOKE_TOKEN)
    )


def check_claims(payload: Mapping[str, Any]) -> None:
    """Raise ``TokenError`` (401 ``token_not_valid`` at the API) unless every claim is well-formed."""
    if not _valid(payload):
        raise TokenError("Token has missing or malformed claims")
