"""allauth hooks: new accounts join the tenant the request names; email links open the app."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest

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
        # The app's screen posts the key to /api/v1/auth/email/verify/.
        return f"{settings.FRONTEND_URL.rstrip('/')}/verify-email?key={emailconfirmation.key}"

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def new_user(self, request: HttpRequest, sociallogin: Any) -> Any:
        user = super().new_user(request, sociallogin)
        user.tenant = _request_tenant(request)
        return user
