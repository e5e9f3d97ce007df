"""JWT pairs that carry the user's tenant, and refresh rotation that a race cannot double-spend."""

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from .authentication import TENANT_CLAIM, TenantSuspended

User = get_user_model()


class TenantTokenObtainSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        token = super().get_token(user)
        token[TENANT_CLAIM] = user.tenant_id  # copied into every access token minted from it
        return token  # type: ignore[return-value]


AUTH_TIME_CLAIM = "auth_time"


def issue_token_pair(user: Any, *, auth_time: int | None = None) -> dict[str, str]:
    """The one place tokens are minted (login, social sign-in, partner-minted user tokens).

    ``auth_time`` (OpenID Connect's name) is when the user last proved who they are. A
    refresh carries it over unchanged, so "signed in recently" cannot be renewed by
    refreshing; only a real sign-in sets it.
    """
    refresh = TenantTokenObtainSerializer.get_token(user)
    refresh[AUTH_TIME_CLAIM] = auth_time if auth_time is not None else int(time.time())
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
            raise exceptions.ValidationError({"refresh": ["This field is required."]}, code="required")
        try:
            refresh = RefreshToken(raw, verify=True)
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
                user = self._user_for(refresh)
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

    @staticmethod
    def _user_for(refresh: RefreshToken) -> Any:
        user = User._default_manager.select_related("tenant").filter(pk=refresh.get(jwt_settings.USER_ID_CLAIM)).first()
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("No active account for this token.", code="no_active_account")
        if refresh.get(TENANT_CLAIM) != user.tenant_id:
            raise exceptions.AuthenticationFailed("Token was not issued for this tenant.", code="token_tenant_mismatch")
        if jwt_settings.CHECK_REVOKE_TOKEN and refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise exceptions.AuthenticationFailed(
                "The password changed since this token was issued.", code="password_changed"
            )
        if not user.tenant.is_active:
            raise TenantSuspended()
        return user
