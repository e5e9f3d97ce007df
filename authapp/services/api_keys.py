"""API key lifecycle: create (secret returned once), revoke, rotate."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fitcore.api.exceptions import ApplicationError
from fitcore.api.scopes import DEFAULT_SCOPES, is_valid
from users.models import Tenant

from .. import keys, principal_cache
from ..models import ApiKey


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the only copy; never stored, never logged


def _clean_scopes(scopes: list[str] | None) -> list[str]:
    if scopes is None:
        # Like a Stripe secret key, restricted keys being the option; but never the
        # explicit-only scopes (users:tokens), which must be asked for by name.
        return list(DEFAULT_SCOPES)
    unknown = sorted({s for s in scopes if not is_valid(s)})
    if unknown:
        raise ApplicationError(
            code="invalid_scope",
            message=f"Unknown scope(s): {', '.join(unknown)}.",
            status=400,
            errors=[{"field": "scopes", "code": "invalid_scope", "message": f"Unknown scope {s!r}."} for s in unknown],
        )
    if not scopes:
        raise ApplicationError(code="invalid_scope", message="A key needs at least one scope.", status=400)
    return sorted(set(scopes))


def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    scopes: list[str] | None = None,
    created_by: Any = None,
    expires_at: datetime | None = None,
    rotated_from: ApiKey | None = None,
) -> IssuedKey:
    clean = _clean_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(code="invalid_expiry", message="expires_at must be in the future.", status=400)
    for _ in range(3):  # an 8-character prefix collision is astronomically rare; retry anyway
        new = keys.generate()
        try:
            with transaction.atomic():
                api_key = ApiKey.unscoped.create(
                    tenant=tenant,
                    name=name,
                    prefix=new.prefix,
                    key_hash=new.key_hash,
                    scopes=clean,
                    created_by=created_by if getattr(created_by, "pk", None) else None,
                    expires_at=expires_at,
                    rotated_from=rotated_from,
                )
        except IntegrityError:
            continue
        return IssuedKey(api_key=api_key, secret=new.key)
    raise RuntimeError("could not generate a unique API key prefix")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Takes effect on the next request: authentication reads the row every time."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def api_key_rotate(*, api_key: ApiKey, grace: timedelta = timedelta(hours=24), created_by: Any = None) -> IssuedKey:
    """A replacement with the same name, scopes and expiry policy; the old key keeps working for ``grace``.

    Expiry policy: a key that expires gets a replacement with the same lifetime,
    counted from now (a 90-day key is replaced by a 90-day key); a key without expiry
    gets one without. A key is rotated once: the claim on it is a conditional UPDATE,
    so of two concurrent rotations exactly one succeeds and the other is a 409, and the
    old key can never father a second live replacement.
    """
    if not api_key.is_usable:
        raise ApplicationError(code="api_key_not_usable", message="Only a live key can be rotated.", status=409)
    now = timezone.now()
    lifetime = api_key.expires_at - api_key.created_at if api_key.expires_at is not None else None
    with transaction.atomic():
        grace_end = now + grace
        old_expiry = grace_end if api_key.expires_at is None else min(api_key.expires_at, grace_end)
        claimed = ApiKey.unscoped.filter(
            pk=api_key.pk, tenant_id=api_key.tenant_id, rotated_at__isnull=True, revoked_at__isnull=True
        ).update(rotated_at=now, expires_at=old_expiry, updated_at=now)
        if claimed:
            # The old key's expiry changed behind save(): its cached copy must go.
            principal_cache.forget(principal_cache.api_key_entry(api_key.key_hash))
        else:
            raise ApplicationError(
                code="api_key_already_rotated",
                message="This key was rotated already; rotate its replacement instead.",
                status=409,
            )
        issued = api_key_create(
            tenant=api_key.tenant,
            name=api_key.name,
            scopes=list(api_key.scopes),
            created_by=created_by,
            expires_at=now + lifetime if lifetime is not None else None,
            rotated_from=api_key,
        )
    api_key.rotated_at, api_key.expires_at = now, old_expiry
    return issued
