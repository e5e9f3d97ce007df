"""Permissions shared by every app; principals are duck-typed (users and API keys alike)."""

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .principals import acts_for_tenant, is_api_key


class ScopedAccess(BasePermission):
    """The default: any authenticated principal, and API keys only within their scopes.

    A view opens itself to API keys by naming its ``scope_area`` (``"nutrition"``):
    safe methods need ``nutrition:read``, others ``nutrition:write``. A view with no
    ``scope_area`` is closed to API keys, so a new endpoint fails closed.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not is_api_key(request):
            return True
        area = getattr(view, "scope_area", None)
        if area is None:
            raise PermissionDenied("This endpoint is not available to API keys.", code="api_key_not_allowed")
        # An action may demand a narrower scope than its area's read/write (e.g. users:tokens).
        required = getattr(view, "action_scopes", {}).get(getattr(view, "action", None))
        required = required or f"{area}:{'read' if request.method in SAFE_METHODS else 'write'}"
        if not request.user.has_scope(required):  # type: ignore[attr-defined]
            raise PermissionDenied(f"This API key lacks the {required} scope.", code="insufficient_scope")
        return True


class IsEndUser(ScopedAccess):
    """A signed-in person (JWT), not a partner's backend: /users/me/ and the like."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if is_api_key(request):
            raise PermissionDenied("This endpoint is for signed-in users, not API keys.", code="api_key_not_allowed")
        return True


class IsTenantWide(ScopedAccess):
    """Tenant-wide management: an API key (within its scopes) or a tenant admin's login."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not acts_for_tenant(request):
            raise PermissionDenied("Only tenant admins can do this.", code="tenant_admin_required")
        return True


class IsTenantAdminUser(IsEndUser):
    """A tenant admin's own login only (API keys cannot manage API keys)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not getattr(request.user, "is_tenant_admin", False):
            raise PermissionDenied("Only tenant admins can do this.", code="tenant_admin_required")
        return True


class ScopedAccessOrAnonymousRead(ScopedAccess):
    """``ScopedAccess``, and anonymous callers may read (safe methods): a public catalogue.

    The view decides what an anonymous caller sees (``anonymous_reads_global``); every
    write still needs a principal.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS and not (request.user and request.user.is_authenticated):
            return True
        return super().has_permission(request, view)
