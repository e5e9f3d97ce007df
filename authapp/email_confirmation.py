"""Email confirmation keys bound to the exact account and address they were issued for.

allauth's signed keys carry only the EmailAddress row id. Ours also sign the user, the
tenant and the address itself, and a key confirms nothing unless all of them still
match the row: a key mailed for one account can never verify another one, nor an
address that was changed after the mail went out. Keys are single-use (only an
unverified address can be confirmed) and expire after
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from django.core import signing

SALT = "fitcore.authapp.email-confirmation"
MAX_ID = 2**63 - 1


def confirmation_key(address: EmailAddress) -> str:
    """The key for ``address``; the caller has loaded ``address.user``."""
    claims = {"a": address.pk, "u": address.user_id, "t": address.user.tenant_id, "e": address.email}
    return signing.dumps(claims, salt=SALT, compress=True)


def _id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


def address_for_key(key: str) -> EmailAddress | None:
    """The unverified address ``key`` was issued for, if the key is genuine, fresh and still matches it."""
    max_age = 60 * 60 * 24 * allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
    try:
        claims = signing.loads(key, salt=SALT, max_age=max_age)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(claims, dict):
        return None
    address_id, user_id, tenant_id, email = (
        _id(claims.get("a")),
        _id(claims.get("u")),
        _id(claims.get("t")),
        claims.get("e"),
    )
    if address_id is None or user_id is None or tenant_id is None or not isinstance(email, str):
        return None
    return (
        EmailAddress.objects.select_related("user")
        .filter(
            pk=address_id,
            user_id=user_id,
            user__tenant_id=tenant_id,
            user__is_active=True,
            email=email,
            verified=False,
        )
        .first()
    )
