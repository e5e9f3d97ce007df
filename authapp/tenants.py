"""Which tenant an unauthenticated request (register, login, social sign-in) is for."""

from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from users.models import DEFAULT_TENANT_SLUG, Tenant

from .authentication import TenantSuspended

TENANT_HEADER = "X-Tenant"


def tenant_from_header(request: Request) -> Tenant:
    """``X-Tenant: <slug>``; our own app sends none and gets the first-party tenant."""
    slug = (request.headers.get(TENANT_HEADER) or DEFAULT_TENANT_SLUG).strip().lower()
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"Unknown tenant {slug!r} in the {TENANT_HEADER} header.", code="tenant_not_found")
    if not tenant.is_active:
        raise TenantSuspended()
    return tenant
