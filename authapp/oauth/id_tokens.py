"""Verify a Google or Apple id_token the way OpenID Connect asks, with one error code per failed check."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import jwt

from .errors import SocialErrorCode, rejected
from .jwks import signing_key
from .providers import IdentityProvider

ALGORITHM = "RS256"
# Our clock against Google's/Apple's, not the phone's: a minute is plenty.
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat"]
# allauth's SocialAccount.uid holds 191 characters and we prefix the tenant id (see accounts.py).
MAX_SUBJECT_LENGTH = 160
NAME_MAX_LENGTH = 150  # users.User.first_name / last_name


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider vouches for. Only ever built from a token that passed every check."""

    provider: IdentityProvider
    subject: str
    email: str | None
    email_verified: bool
    first_name: str = ""
    last_name: str = ""
    claims: dict[str, Any] = field(default_factory=dict)


def verify_id_token(*, provider: IdentityProvider, token: str, nonce: str | None = None) -> VerifiedIdentity:
    """Signature (RS256 only, key from the provider's JWKS), issuer, audience, expiry, iat, nonce.

    ``nonce``: when the app sends one, the token's ``nonce`` claim must equal either
    the value itself or its SHA-256 hex digest. The native SDKs differ: Google's
    (Credential Manager, GoogleSignIn-iOS) put the nonce in the token as given;
    Apple's ``ASAuthorizationAppleIDRequest.nonce`` is, by Apple's and Firebase's
    recipe, set to sha256(raw nonce), and the app then sends us the raw value. Both
    forms prove the same thing, and a hash preimage cannot be forged, so both are
    accepted for either provider. A token that carries a nonce is only accepted with
    its nonce: without that rule a captured token could be replayed until it expires.
    """
    kid = _unverified_kid(token)  # a token that is not even a JWT is refused first, whatever the setup
    audiences = provider.client_ids()  # before any network: an unconfigured provider cannot verify anything
    key = signing_key(provider, kid)
    claims = _decode(token, key=key, provider=provider, audiences=audiences)
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip():
        raise rejected(SocialErrorCode.MISSING_CLAIM, "The id_token has an empty subject (sub).")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise rejected(SocialErrorCode.MALFORMED, "The id_token's subject (sub) is implausibly long.")
    token_nonce = claims.get("nonce")
    if nonce is None and token_nonce is not None:
        raise rejected(SocialErrorCode.NONCE_MISMATCH, "This id_token was issued with a nonce; send it as `nonce`.")
    if nonce is not None and not _nonce_matches(token_nonce, nonce):
        raise rejected(SocialErrorCode.NONCE_MISMATCH, "The id_token was not issued for this sign-in request (nonce).")
    email = claims.get("email")
    verified = claims.get("email_verified")
    return VerifiedIdentity(
        provider=provider,
        subject=subject,
        email=email.strip() if isinstance(email, str) and email.strip() else None,
        # Google sends a boolean, Apple has sent both a boolean and the string "true".
        email_verified=verified is True or verified == "true",
        first_name=_name(claims.get("given_name")),
        last_name=_name(claims.get("family_name")),
        claims=claims,
    )


def _unverified_kid(token: str) -> str:
    """Read the header only to pick the key; nothing in it is trusted beyond that."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise rejected(SocialErrorCode.MALFORMED, "The id_token is not a well-formed JWT.") from None
    # Refuse "none", HS256 (which would use the public key as a shared secret) and anything else up front.
    if header.get("alg") != ALGORITHM:
        raise rejected(SocialErrorCode.UNSUPPORTED_ALGORITHM, "The id_token must be signed with RS256.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise rejected(SocialErrorCode.MALFORMED, "The id_token header names no signing key (kid).")
    return kid


def _decode(token: str, *, key: Any, provider: IdentityProvider, audiences: list[str]) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key=key,
            algorithms=[ALGORITHM],
            audience=audiences,
            issuer=provider.issuers,
            leeway=LEEWAY_SECONDS,
            options={
                "require": REQUIRED_CLAIMS,
                "verify_signature": True,
                "verify_exp": True,
                "verify_iat": True,
                "verify_nbf": True,
                "verify_iss": True,
                "verify_aud": True,
                "verify_sub": True,
            },
        )
    # Subclasses before their bases: InvalidSignatureError is a DecodeError, all are PyJWTErrors.
    except jwt.InvalidSignatureError:
        raise rejected(SocialErrorCode.INVALID_SIGNATURE, "The id_token's signature does not verify.") from None
    except jwt.ExpiredSignatureError:
        raise rejected(SocialErrorCode.EXPIRED, "The id_token has expired; sign in again.") from None
    except jwt.ImmatureSignatureError:
        raise rejected(
            SocialErrorCode.NOT_YET_VALID, "The id_token is not valid yet (iat or nbf in the future)."
        ) from None
    except jwt.InvalidIssuerError:
        raise rejected(SocialErrorCode.WRONG_ISSUER, f"The id_token was not issued by {provider.name}.") from None
    except jwt.InvalidAudienceError:
        raise rejected(SocialErrorCode.WRONG_AUDIENCE, "The id_token was issued for another app.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise rejected(SocialErrorCode.MISSING_CLAIM, f"The id_token has no {exc.claim!r} claim.") from None
    except jwt.InvalidAlgorithmError:
        raise rejected(SocialErrorCode.UNSUPPORTED_ALGORITHM, "The id_token must be signed with RS256.") from None
    except jwt.PyJWTError:
        raise rejected(SocialErrorCode.MALFORMED, "The id_token is not a well-formed JWT.") from None


def _nonce_matches(claim: object, nonce: str) -> bool:
    if not isinstance(claim, str):
        return False
    actual = claim.encode()
    raw = nonce.encode()
    hashed = hashlib.sha256(raw).hexdigest().encode()
    return hmac.compare_digest(actual, raw) or hmac.compare_digest(actual, hashed)


def _name(value: object) -> str:
    return value.strip()[:NAME_MAX_LENGTH] if isinstance(value, str) else ""
