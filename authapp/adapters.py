"""allauth hooks: new accounts join the tenant the request names; links in emails open the app.

We serve none of allauth's HTML pages, so nothing here may touch the session or the
messages framework: either would leave a cookie and a row behind on a JWT API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import force_str

from users.models import DEFAULT_TENANT_SLUG, Tenant


def _request_tenant(request: HttpRequest | None) -> Tenant:
    """The tenant resolved by the view (from X-Tenant), or the first-party one."""
    tenant = getattr(request, "signup_tenant", None)
    if tenant is not None:
        return tenant
    return Tenant.objects.get(slug=DEFAULT_TENANT_SLUG)


class AccountAdapter(DefaultAccountAdapter):
    def new_user(self, request: HttpRequest) -> Any:
        user = super().new_user(request)
        user.tenant = _request_tenant(request)
        return user

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        # The app's screen posts the key to /api/v1/auth/email/verify/. Our key, bound to
        # the account (authapp.email_confirmation), never allauth's row-id-only one.
        from .email_confirmation import confirmation_key

        return frontend_url("verify-email", key=confirmation_key(emailconfirmation.email_address))

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def format_email_subject(self, subject: str) -> str:
        # allauth would prefix the Sites framework's name; each tenant's templates name its brand.
        return force_str(subject)

    def add_message(self, *args: Any, **kwargs: Any) -> None:
        # Flash messages are for allauth's HTML pages, which we do not serve; storing one
        # would set a messages cookie on an API response.
        return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def new_user(self, request: HttpRequest, sociallogin: Any) -> Any:
        user = super().new_user(request, sociallogin)
        user.tenant = _request_tenant(request)
        return user


def frontend_url(screen: str, **query: str) -> str:
    """A link into the app (or web client), which calls the API itself: ``{FRONTEND_URL}/<screen>?...``."""
    return f"{settings.FRONTEND_URL.rstrip('/')}/{screen}?{urlencode(query)}"
