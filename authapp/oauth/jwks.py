"""Providers' signing keys: fetched over HTTPS, cached, refetched when a provider rotates them.

Why not allauth's ``jwtkit.verify_and_decode``: it downloads the key set on every
call (no cache, so no way to follow rotation cheaply), takes the algorithm from the
token's own header, and folds every failure into one "Invalid id_token". We keep
allauth's HTTP helper (its requests session carries SOCIALACCOUNT_REQUESTS_TIMEOUT)
and do the rest here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import jwt
import requests
from allauth.socialaccount.adapter import get_adapter
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from django.core.cache import cache

from .errors import ProviderUnavailable, SocialErrorCode, rejected

if TYPE_CHECKING:
    from .providers import IdentityProvider

logger = logging.getLogger(__name__)

CACHE_KEY = "authapp:oauth:jwks:{provider}"
REFETCH_GUARD_KEY = "authapp:oauth:jwks-refetched:{provider}"
DEFAULT_CACHE_SECONDS = 3600
# An unknown kid forces at most one refetch per provider in this window, so tokens
# with made-up kids cannot turn our sign-in endpoint into a fetch loop against Google or Apple.
REFETCH_COOLDOWN_SECONDS = 60


def signing_key(provider: IdentityProvider, kid: str) -> RSAPublicKey:
    """The provider's RS256 public key named ``kid``.

    The key set is cached for ``SOCIAL_JWKS_CACHE_SECONDS``. A kid missing from a
    cached set means the provider rotated its keys (or the token is forged): fetch
    the set again once, then give up with ``id_token_unknown_key``.
    """
    document = cache.get(CACHE_KEY.format(provider=provider.id))
    fresh = document is None
    if fresh:
        document = _fetch_and_cache(provider)
    key = _find_key(document, kid)
    if (
        key is None
        and not fresh
        and cache.add(REFETCH_GUARD_KEY.format(provider=provider.id), True, REFETCH_COOLDOWN_SECONDS)
    ):
        key = _find_key(_fetch_and_cache(provider), kid)
    if key is None:
        raise rejected(
            SocialErrorCode.UNKNOWN_KEY, f"The id_token is signed with a key {provider.name} does not publish."
        )
    return key


def fetch_jwks(provider: IdentityProvider) -> dict[str, Any]:
    """GET the provider's key set. The only outbound call of social sign-in."""
    try:
        with get_adapter().get_requests_session() as session:
            response = session.get(provider.jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
    except requests.RequestException as exc:  # includes timeouts, HTTP errors and invalid JSON
        logger.warning("Fetching %s signing keys failed: %s", provider.name, exc)
        raise _unavailable(provider) from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        logger.warning("%s returned a key set without a 'keys' list", provider.name)
        raise _unavailable(provider)
    return document


def _fetch_and_cache(provider: IdentityProvider) -> dict[str, Any]:
    document = fetch_jwks(provider)
    # The JSON document, not key objects: it pickles the same in every cache backend.
    cache.set(CACHE_KEY.format(provider=provider.id), document, _cache_seconds())
    return document


def _find_key(document: dict[str, Any], kid: str) -> RSAPublicKey | None:
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kid") != kid:
            continue
        # Only RSA signing keys are of use: we accept RS256 tokens and nothing else.
        if entry.get("kty") != "RSA" or entry.get("alg", "RS256") != "RS256" or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry, algorithm="RS256").key
        except jwt.PyJWTError as exc:
            logger.warning("Ignoring an unreadable key %r in a provider's key set: %s", kid, exc)
            continue
        if isinstance(key, RSAPublicKey):
            return key
    return None


def _cache_seconds() -> int:
    return int(getattr(settings, "SOCIAL_JWKS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def _unavailable(provider: IdentityProvider) -> ProviderUnavailable:
    return ProviderUnavailable(message=f"Could not reach {provider.name} to check the sign-in; try again shortly.")
