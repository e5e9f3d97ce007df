"""Who is calling: a user's JWT or a partner's API key. Both set the tenant the request acts for."""

import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from fitcore.api.context import tenant_id_var, user_id_var

from . import keys, principal_cache
from .claims import GENERATION_CLAIM, TENANT_CLAIM, parse_user_id
from .models import ApiKey
from .principals import ApiKeyPrincipal

User = get_user_model()

__all__ = ["TENANT_CLAIM", "ApiKeyAuthentication", "TenantJWTAuthentication", "TenantSuspended", "user_for_token"]
# last_used_at is informational: one write a minute per key, never one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TenantSuspended(exceptions.PermissionDenied):
    default_detail = "This tenant is suspended. Contact FitCore support."
    default_code = "tenant_suspended"


def _bind_tenant(request: Request, tenant: Any, principal_id: Any) -> None:
    # On the Django request too, so the access log and middleware can see it; and in the
    # log context, so every line logged for this request names its tenant and caller.
    request._request.tenant = tenant  # type: ignore[attr-defined]
    tenant_id_var.set(getattr(tenant, "pk", None))
    user_id_var.set(principal_id)


def user_for_token(token: Token) -> Any:
    """The user a verified token (access or refresh) still speaks for, or a 401/403.

    One rule for authentication and refresh: the user exists and is active, the token
    was issued for the user's tenant, in the user's current ``auth_generation`` (a
    deactivation, a role change or "sign out everywhere" bumps it, for good), and
    under the current password; and the tenant is not suspended. The token classes in
    authapp.tokens have already checked that every claim is well-formed.
    """
    user_id = parse_user_id(token.get(jwt_settings.USER_ID_CLAIM))
    tenant_id = token.get(TENANT_CLAIM)
    if user_id is None or not isinstance(tenant_id, int):  # unreachable through our token classes
        raise InvalidToken("Token has missing or malformed claims")
    user = principal_cache.cached(
        principal_cache.user_entry(tenant_id, user_id),
        # The profile rides along: most user-facing endpoints show it (forgotten on its saves too).
        lambda: User._default_manager.select_related("tenant", "profile").filter(pk=user_id).first(),
        tenant_id=tenant_id,
    )
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed("User not found or inactive.", code="user_inactive")
    if token.get(TENANT_CLAIM) != user.tenant_id:
        raise exceptions.AuthenticationFailed("Token was not issued for this tenant.", code="token_tenant_mismatch")
    if token.get(GENERATION_CLAIM) != user.auth_generation:
        raise exceptions.AuthenticationFailed(
            "This session was signed out (deactivation, role change or sign-out everywhere); sign in again.",
            code="token_revoked",
        )
    if jwt_settings.CHECK_REVOKE_TOKEN and token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
        user.password
    ):
        raise exceptions.AuthenticationFailed(
            "The password changed since this token was issued.", code="password_changed"
        )
    if not user.tenant.is_active:
        raise TenantSuspended()
    return user


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt, plus the checks of ``user_for_token``."""

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            _bind_tenant(request, getattr(result[0], "tenant", None), result[0].pk)
        return result

    def get_user(self, validated_token: Token) -> Any:
        # From the principal cache, profile included: no query on the hot path.
        return user_for_token(validated_token)


class ApiKeyAuthentication(BaseAuthentication):
    """``X-API-Key: fc_live_…`` → ``request.user`` = ApiKeyPrincipal, ``request.auth`` = the ApiKey."""

    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        raw = request.META.get(self.header)
        if raw is None:
            return None
        try:
            prefix = keys.parse(raw.strip())
        except keys.KeyFormatError as exc:
            raise exceptions.AuthenticationFailed(str(exc), code="api_key_malformed") from None
        digest = keys.hash_key(raw.strip())
        # Keyed by the hash of the whole key: finding an entry is itself the proof of the secret.
        api_key = principal_cache.cached(principal_cache.api_key_entry(digest), lambda: self._load(prefix, digest))
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.", code="api_key_invalid")
        if api_key.is_revoked:
            raise exceptions.AuthenticationFailed("This API key was revoked.", code="api_key_revoked")
        if api_key.is_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.", code="api_key_expired")
        if not api_key.tenant.is_active:
            raise TenantSuspended()
        self._touch(api_key)
        principal = ApiKeyPrincipal(api_key)
        _bind_tenant(request, api_key.tenant, principal.principal_id)
        return principal, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey header="X-API-Key"'

    @staticmethod
    def _load(prefix: str, digest: str) -> ApiKey | None:
        # Unscoped on purpose: the key is what tells us the tenant.
        candidates = ApiKey.unscoped.select_related("tenant").filter(prefix=prefix)
        return next((c for c in candidates if keys.constant_time_equal(c.key_hash, digest)), None)

    @staticmethod
    def _touch(api_key: ApiKey) -> None:
        """Keep ``last_used_at`` to the minute: at most one conditional UPDATE per key, worker and minute.

        The cached copy keeps the time it was loaded with, so this process remembers when it
        last wrote instead (writing it back into the shared cache could race a revocation).
        """
        now = timezone.now()
        if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
            return
        if not _touched.due(api_key.pk):
            return
        # Conditional, so concurrent workers write at most once per minute between them.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ApiKey.unscoped.filter(stale, pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


class _TouchClock:
    """When this process last recorded each key's use (monotonic), so it writes once a minute."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: int) -> bool:
        now = self.clock()
        with self._lock:
            if now - self._last.get(key_id, -math.inf) < LAST_USED_RESOLUTION.total_seconds():
                return False
            if len(self._last) > 100_000:
                self._last.clear()
            self._last[key_id] = now
            return True

    def clear(self) -> None:
        with self._lock:
            self._last.clear()


_touched = _TouchClock()
