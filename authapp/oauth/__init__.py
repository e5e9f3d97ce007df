"""Google and Apple sign-in for the mobile apps: verify an id_token, then find or create the tenant's user.

- providers.py  which providers, their key URLs, issuers and configured client ids
- jwks.py       their signing keys, fetched over HTTPS and cached
- id_tokens.py  id_token verification, one error code per failed check
- accounts.py   tenant-scoped linking and user creation
"""

from .accounts import SocialSignIn, social_account_uid, social_sign_in
from .errors import IdTokenRejected, ProviderNotConfigured, ProviderUnavailable, SignInRefused, SocialErrorCode
from .id_tokens import VerifiedIdentity, verify_id_token
from .providers import APPLE, GOOGLE, IdentityProvider

__all__ = [
    "APPLE",
    "GOOGLE",
    "IdTokenRejected",
    "IdentityProvider",
    "ProviderNotConfigured",
    "ProviderUnavailable",
    "SignInRefused",
    "SocialErrorCode",
    "SocialSignIn",
    "VerifiedIdentity",
    "social_account_uid",
    "social_sign_in",
    "verify_id_token",
]
