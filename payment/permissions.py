"""``HasActiveAccess``: the premium gate every app puts on its paid endpoints."""

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from fitcore.api.permissions import ScopedAccess
from fitcore.api.principals import is_api_key

from .selectors import has_active_access


class SubscriptionRequired(PermissionDenied):
    default_detail = "This needs an active subscription: see GET /api/v1/payments/plans/."
    default_code = "subscription_required"


class HasActiveAccess(ScopedAccess):
    """Signed-in users with premium access (403 ``subscription_required`` otherwise).

    API keys pass on their scopes alone: a partner's backend acts for the tenant, which
    decides itself whom it serves; the premium check is about end users' own logins.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if is_api_key(request):
            return True
        if not has_active_access(request.user):  # type: ignore[arg-type]
            raise SubscriptionRequired()
        return True
