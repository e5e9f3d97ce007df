"""The identity providers the mobile apps sign in with, and what their id_tokens must look like.

Provider ids are allauth's, so the SocialAccount rows we write show up under the
right provider in the admin. The Apple key URL is taken from allauth too. Google's
is the v3 JWKS document, not the PEM certificate list allauth's web flow uses,
because we verify every token the same way: an RSA key looked up by ``kid``.
"""

from dataclasses import dataclass

from allauth.socialaccount.providers.apple.provider import AppleProvider
from allauth.socialaccount.providers.apple.views import AppleOAuth2Adapter
from allauth.socialaccount.providers.google.provider import GoogleProvider
from django.conf import settings

from .errors import ProviderNotConfigured


@dataclass(frozen=True)
class IdentityProvider:
    id: str
    name: str
    jwks_url: str
    issuers: frozenset[str]
    client_ids_setting: str

    def client_ids(self) -> list[str]:
        """Audiences we accept (one per app: iOS, Android, web), read per call so tests can override them."""
        ids = [cid.strip() for cid in getattr(settings, self.client_ids_setting, []) if cid and cid.strip()]
        if not ids:
            raise ProviderNotConfigured(
                message=f"{self.name} sign-in is not configured on this server ({self.client_ids_setting} is empty)."
            )
        return ids


GOOGLE = IdentityProvider(
    id=GoogleProvider.id,
    name="Google",
    jwks_url="https://www.googleapis.com/oauth2/v3/certs",
    # Google documents both spellings and issues either.
    issuers=frozenset({"accounts.google.com", "https://accounts.google.com"}),
    client_ids_setting="GOOGLE_CLIENT_IDS",
)

APPLE = IdentityProvider(
    id=AppleProvider.id,
    name="Apple",
    jwks_url=AppleOAuth2Adapter.public_key_url,
    issuers=frozenset({"https://appleid.apple.com"}),
    client_ids_setting="APPLE_CLIENT_IDS",
)
