"""JWT pairs that carry the user's tenant, and refresh rotation that a race cannot double-spend."""

import time
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .authentication import user_for_token
from .claims import AUTH_TIME_CLAIM, GENERATION_CLAIM, TENANT_CLAIM, check_claims


class _CheckedClaims:
    """Refuses a token whose claims are missing or malformed, before anything reads them."""

    payload: dict[str, Any]

    def verify(self) -> None:
        check_claims(self.payload)
        try:
            super().verify()  # type: ignore[misc]  # expiry, token type, and (refresh) the blacklist
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            # A claim simplejwt turns into a datetime and cannot: still the token's fault.
            raise TokenError("Token has missing or malformed claims") from exc


class FitcoreAccessToken(_CheckedClaims, AccessToken):
    """SIMPLE_JWT["AUTH_TOKEN_CLASSES"]: what authentication accepts."""


class FitcoreRefreshToken(_CheckedClaims, RefreshToken):  # type: ignore[misc]  # simplejwt's own MRO
    """Every refresh token we mint, rotate or revoke."""

    access_token_class = FitcoreAccessToken


class TenantTokenObtainSerializer(TokenObtainPairSerializer):
    token_class = FitcoreRefreshToken

    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        token = super().get_token(user)
        # Copied into every access token minted from it.
        token[TENANT_CLAIM] = user.tenant_id
        token[GENERATION_CLAIM] = user.auth_generation
        token[AUTH_TIME_CLAIM] = int(time.time())  # a sign-in; a refresh carries the original over
        return token  # type: ignore[return-value]


def issue_token_pair(user: Any, *, auth_time: int | None = None) -> dict[str, str]:
    """The one place tokens are minted (login, social sign-in, partner-minted user tokens).

    ``auth_time`` (OpenID Connect's name) is when the user last proved who they are. A
    refresh carries it over unchanged, so "signed in recently" cannot be renewed by
    refreshing; only a real sign-in sets it.
    """
    refresh = TenantTokenObtainSerializer.get_token(user)
    if auth_time is not None:
        refresh[AUTH_TIME_CLAIM] = auth_time
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class TenantTokenRefreshSerializer(serializers.Serializer):
    """Rotate a refresh token: the old one is blacklisted, a new pair is returned.

    The outstanding-token row is locked while we check and blacklist it, so of several
    concurrent refreshes with the same token exactly one succeeds.
    """

    refresh = serializers.CharField(required=False, help_text="Omit to use the refresh cookie.")
    access = serializers.CharField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        raw = attrs.get("refresh") or self.context.get("refresh_cookie")
        if not raw:
            # No credential at all (neither in the body nor as the cookie): like any request
            # without one, a 401; the body's schema cannot say "one of the two".
            raise exceptions.NotAuthenticated("Send the refresh token in the body, or the refresh cookie.")
        try:
            refresh = FitcoreRefreshToken(raw, verify=True)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from None
        try:
            with transaction.atomic():
                outstanding = (
                    OutstandingToken.objects.select_for_update()
                    .filter(jti=refresh[jwt_settings.JTI_CLAIM])
                    # The model orders by its nullable user FK; that outer join makes
                    # PostgreSQL refuse FOR UPDATE. Lock the token row alone.
                    .order_by()
                    .first()
                )
                if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
                    raise InvalidToken("Token is blacklisted")
                user = user_for_token(refresh)
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            # The blacklist row is unique per token: another refresh blacklisted it first.
            raise InvalidToken("Token is blacklisted") from None
        except OperationalError as exc:
            # SQLite (the embedded default) has no row locks: a concurrent refresh finds the
            # table locked instead of waiting. It lost the race, like any second refresh.
            if connection.vendor == "sqlite" and "locked" in str(exc):
                raise InvalidToken("Token is being refreshed by another request") from None
            raise
        return issue_token_pair(user, auth_time=refresh.get(AUTH_TIME_CLAIM))
