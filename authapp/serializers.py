"""Request and response shapes of /api/v1/auth/. Validation only; the flows live in ``authapp.services``.

REST_AUTH names several of these classes (REGISTER_, LOGIN_, PASSWORD_RESET_ and
PASSWORD_RESET_CONFIRM_SERIALIZER), so dj-rest-auth's views and its OpenAPI extensions
resolve them. Register is email-only: there is no username field at all.

Cookie mode: a web client sends ``"cookie": true`` (login, register, refresh, password
change) to receive the refresh token as an httpOnly cookie instead of in the body.
"""

from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import url_str_to_user_pk
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from users.models import User
from users.serializers import PASSWORD_MAX_LENGTH, CanonicalEmailField, NewPasswordField, UserSerializer

from .error_codes import EMAIL_TAKEN_MESSAGE, AuthErrorCode, field_error
from .tokens import TenantTokenRefreshSerializer


def _password_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        trim_whitespace=False,  # a password is exactly what was typed
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        **kwargs,
    )


def _cookie_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        default=False,
        write_only=True,
        help_text=(
            "Web clients: also set the refresh token as an httpOnly cookie (path /api/v1/auth/) "
            "and leave it out of the response body. Refresh and logout then read the cookie."
        ),
    )


def check_password_strength(password: str, user: User, field: str) -> None:
    """Django's AUTH_PASSWORD_VALIDATORS, reported on ``field`` with their own codes (password_too_short, ...)."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        details = [
            serializers.ErrorDetail(message, code=error.code or "invalid")
            for error in exc.error_list
            for message in error.messages
        ]
        raise serializers.ValidationError({field: details}) from None


def _check_new_passwords(attrs: dict[str, Any], user: User) -> None:
    if attrs["new_password1"] != attrs["new_password2"]:
        raise field_error("new_password2", "The two passwords do not match.", AuthErrorCode.PASSWORD_MISMATCH)
    check_password_strength(attrs["new_password1"], user, "new_password1")


# --- requests ------------------------------------------------------------------------


class RegisterSerializer(serializers.Serializer):
    # Needs context["tenant"]: emails are unique per tenant. (Docstrings here become schema text.)

    email = CanonicalEmailField()
    password = NewPasswordField()
    first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    cookie = _cookie_field()

    def validate_email(self, value: str) -> str:
        # ``value`` is canonical already (CanonicalEmailField): every spelling of an address meets here.
        if User.objects.for_tenant(self.context["tenant"]).filter(email=value).exists():
            raise serializers.ValidationError(EMAIL_TAKEN_MESSAGE, code=AuthErrorCode.EMAIL_TAKEN.value)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # An unsaved user, so UserAttributeSimilarityValidator can compare the password with the names.
        candidate = User(
            tenant=self.context["tenant"],
            email=attrs["email"],
            first_name=attrs["first_name"],
            last_name=attrs["last_name"],
        )
        check_password_strength(attrs["password"], candidate, "password")
        return attrs


class LoginSerializer(serializers.Serializer):
    # Plain: an address with no canonical form matches no account, and is answered like one.
    email = serializers.EmailField(max_length=254)
    password = _password_field()
    cookie = _cookie_field()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(required=False, help_text="The refresh token to revoke; omit to use the cookie.")


class SessionRefreshSerializer(TenantTokenRefreshSerializer):
    # TenantTokenRefreshSerializer's rotation (lock, blacklist, new pair), plus cookie mode.

    cookie = _cookie_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**super().validate(attrs), "cookie": attrs.get("cookie", False)}


class PasswordChangeSerializer(serializers.Serializer):
    # Needs context["request"] with the signed-in user. The old password is checked by
    # the view, through authapp.services.account_password_check (counted by the lockout).

    old_password = _password_field()
    new_password1 = NewPasswordField()
    new_password2 = NewPasswordField()
    cookie = _cookie_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_new_passwords(attrs, self.context["request"].user)
        return attrs


class PasswordResetSerializer(serializers.Serializer):
    # Plain: an address with no canonical form matches no account, and is answered like one.
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    # validated_data["user"] is the user the link was made for.

    uid = serializers.CharField(max_length=64, help_text="The `uid` query parameter of the emailed link.")
    token = serializers.CharField(max_length=128, help_text="The `token` query parameter of the emailed link.")
    new_password1 = NewPasswordField()
    new_password2 = NewPasswordField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            pk = url_str_to_user_pk(attrs["uid"])
            user = User.objects.filter(pk=pk, is_active=True).first()
        except (TypeError, ValueError, OverflowError, DjangoValidationError):
            user = None
        # One answer for "no such user" and "bad token": anything else would let anyone
        # probe which user ids exist.
        if user is None or not default_token_generator.check_token(user, attrs["token"]):
            raise field_error("token", "This reset link is invalid or has expired.", AuthErrorCode.INVALID_TOKEN)
        _check_new_passwords(attrs, user)
        return {**attrs, "user": user}


class EmailVerifySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=512, help_text="The `key` query parameter of the emailed link.")


class EmailResendSerializer(serializers.Serializer):
    # Plain: an address with no canonical form matches no account, and is answered like one.
    email = serializers.EmailField(max_length=254)


# --- responses -----------------------------------------------------------------------


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`; short-lived.")
    refresh = serializers.CharField(
        required=False,
        help_text="Single use: trade it at token/refresh/ for a new pair. Absent in cookie mode.",
    )


class AuthTokensSerializer(TokenPairSerializer):
    user = UserSerializer()


class AuthMessageSerializer(serializers.Serializer):
    detail = serializers.CharField()
