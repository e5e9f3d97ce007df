"""schemathesis hooks for fuzz/run.py: authenticate every request as the principal under test.

FUZZ_PRINCIPAL names it (anon, key, member, admin); FUZZ_WORLD is the JSON seed.py printed;
FUZZ_BASE_URL is the server. Tokens are fetched again every few seconds: the fuzzer itself
calls "sign out everywhere", which (rightly) retires the principal's tokens for good.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import schemathesis

PRINCIPAL = os.environ.get("FUZZ_PRINCIPAL", "anon")
WORLD: dict[str, Any] = json.loads(os.environ.get("FUZZ_WORLD", "{}")).get(PRINCIPAL, {})
BASE_URL = os.environ.get("FUZZ_BASE_URL", "")


def _member_token() -> str:
    # Minted by a key of the member's tenant: the member's password may be locked out by the fuzzing.
    response = httpx.post(
        f"{BASE_URL}/api/v1/users/{WORLD['user_id']}/tokens/", headers={"X-API-Key": WORLD["minter"]}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access"])


def _admin_token() -> str:
    # Nobody mints tokens for a tenant admin: it signs in like a person.
    response = httpx.post(
        f"{BASE_URL}/api/v1/auth/login/",
        json={"email": WORLD["email"], "password": WORLD["password"]},
        headers={"X-Tenant": WORLD["tenant"]},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access"])


if PRINCIPAL in {"key", "member", "admin"}:

    @schemathesis.auth(refresh_interval=3)
    class Principal:
        def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
            if PRINCIPAL == "key":
                return str(WORLD["api_key"])
            return _member_token() if PRINCIPAL == "member" else _admin_token()

        def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
            if PRINCIPAL == "key":
                case.headers["X-API-Key"] = data
            else:
                case.headers["Authorization"] = f"Bearer {data}"
