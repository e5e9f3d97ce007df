"""Rate limits per principal: users by id, partner backends by API key. Business policy, not security."""

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request


class UserRateThrottle(throttling.UserRateThrottle):
    """Signed-in users (JWT); API keys have their own budget below."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if getattr(request.user, "is_api_key", False):
            return None
        return super().get_cache_key(request, view)


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not getattr(request.user, "is_api_key", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
