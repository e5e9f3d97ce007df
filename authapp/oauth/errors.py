"""Why a Google/Apple sign-in was refused: one stable code per reason, never a 500.

Statuses follow one rule the apps can rely on:

- 401: the id_token itself was not accepted (forged, expired, for another app...). Get a fresh one.
- 403: the token is genuine, but we will not sign this person in (unverified email, disabled user).
- 503: we cannot check tokens right now (provider's keys unreachable, or the provider is not set up).
"""

from enum import StrEnum

from fitcore.api.exceptions import ApplicationError


class SocialErrorCode(StrEnum):
    MALFORMED = "id_token_malformed"
    UNSUPPORTED_ALGORITHM = "id_token_unsupported_algorithm"
    UNKNOWN_KEY = "id_token_unknown_key"
    INVALID_SIGNATURE = "id_token_invalid_signature"
    EXPIRED = "id_token_expired"
    NOT_YET_VALID = "id_token_not_yet_valid"
    WRONG_ISSUER = "id_token_wrong_issuer"
    WRONG_AUDIENCE = "id_token_wrong_audience"
    MISSING_CLAIM = "id_token_missing_claim"
    NONCE_MISMATCH = "id_token_nonce_mismatch"
    EMAIL_UNVERIFIED = "id_token_email_unverified"
    EMAIL_MISSING = "id_token_email_missing"
    USER_INACTIVE = "user_inactive"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"


class IdTokenRejected(ApplicationError):
    """The id_token failed verification; ``code`` says which check."""

    status = 401


class SignInRefused(ApplicationError):
    """A genuine token, but this sign-in is not allowed (see ``code``)."""

    status = 403


class ProviderUnavailable(ApplicationError):
    """The provider's signing keys could not be fetched; retrying later may work."""

    code = SocialErrorCode.PROVIDER_UNAVAILABLE
    status = 503


class ProviderNotConfigured(ApplicationError):
    """No client ids are configured for this provider, so no audience can be checked."""

    code = SocialErrorCode.PROVIDER_NOT_CONFIGURED
    status = 503


def rejected(code: SocialErrorCode, message: str) -> IdTokenRejected:
    return IdTokenRejected(code=code, message=message)


def refused(code: SocialErrorCode, message: str) -> SignInRefused:
    return SignInRefused(code=code, message=message)
