"""Stable ``code`` values of authapp's errors (clients branch on them), and the errors that carry them."""

from enum import StrEnum

from rest_framework import exceptions, serializers


class AuthErrorCode(StrEnum):
    """Stable ``code`` values of this module's errors; clients branch on them."""

    EMAIL_TAKEN = "email_taken"
    INVALID_CREDENTIALS = "invalid_credentials"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    # Error codes, not secrets (ruff's S105 matches on the names).
    PASSWORD_INCORRECT = "password_incorrect"  # noqa: S105
    PASSWORD_MISMATCH = "password_mismatch"  # noqa: S105
    INVALID_TOKEN = "invalid_token"  # noqa: S105
    INVALID_KEY = "invalid_key"


class InvalidCredentials(exceptions.AuthenticationFailed):
    # One answer for a wrong password, an unknown email, another tenant's user, a
    # disabled account and a locked-out client: none of them may be told apart.
    default_detail = "Unable to sign in with the email and password given."
    default_code = AuthErrorCode.INVALID_CREDENTIALS.value


class EmailNotVerified(exceptions.PermissionDenied):
    default_detail = "Confirm your email address first: follow the link we emailed you, or ask for a new one."
    default_code = AuthErrorCode.EMAIL_NOT_VERIFIED.value


EMAIL_TAKEN_MESSAGE = "An account with this email address already exists."


def field_error(field: str, message: str, code: AuthErrorCode) -> serializers.ValidationError:
    return serializers.ValidationError({field: [serializers.ErrorDetail(message, code=code.value)]})
