"""Password authentication where an email is unique only within a tenant."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from users.emails import canonical_email_or_none
from users.models import DEFAULT_TENANT_SLUG, Tenant

User = get_user_model()


class TenantEmailBackend(ModelBackend):
    """``authenticate(request, email=..., password=..., tenant=...)``.

    Without a tenant it looks in the first-party tenant, which is where staff
    (the admin login) and our own app's users live.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        tenant: Tenant | None = None,
        **kwargs: Any,
    ) -> Any:
        email = kwargs.get("email") or username
        if not email or password is None:
            return None
        canonical = canonical_email_or_none(email)
        users = User._default_manager.filter(email=canonical)
        users = users.filter(tenant=tenant) if tenant is not None else users.filter(tenant__slug=DEFAULT_TENANT_SLUG)
        user = users.select_related("tenant").first() if canonical is not None else None
        if user is None:
            # Hash anyway so a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
