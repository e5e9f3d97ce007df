"""Who a request acts for. Kept free of DRF view imports: permissions load while DRF itself loads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request

from .models import TenantScopeError

if TYPE_CHECKING:
    from users.models import Tenant


def principal_tenant(request: Request) -> Tenant:
    """The tenant the authenticated caller acts for (a user's tenant, or an API key's)."""
    tenant = getattr(request.user, "tenant", None)
    if tenant is None:
        raise TenantScopeError("request has no authenticated tenant principal")
    return tenant


def is_api_key(request: Request) -> bool:
    return bool(getattr(request.user, "is_api_key", False))


def acts_for_tenant(request: Request) -> bool:
    """Tenant-wide access: a partner's API key or a tenant admin's login."""
    return is_api_key(request) or bool(getattr(request.user, "is_tenant_admin", False))
