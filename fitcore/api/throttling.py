"""Rate limits per principal: users by id, partner backends by API key. Business policy, not security.

DRF's SimpleRateThrottle keeps one timestamp per request of the window in the cache,
so at a partner's 3,000/min every request would read and rewrite a list of up to
3,000 floats. These throttles count in fixed windows instead: one atomic INCR per
request, whatever the rate (on Redis, SET NX and INCR pipelined: django-redis's own
incr() sends a Lua script every time). The price is that a burst may straddle two windows
(up to twice the rate for a moment), which is fine for quota-style limits.
"""

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings


def _redis_client(cache: Any) -> Any:
    """The raw client behind django-redis, or None for other caches (local memory)."""
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


class FixedWindowRateThrottle(throttling.SimpleRateThrottle):
    """``rate`` requests per fixed window of the rate's period, counted with cache.incr()."""

    _window_end = 0.0
    # Set by SimpleRateThrottle.__init__ from the rate ("600/min" -> 600, 60).
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = self.timer()
        window_start = int(now) - int(now) % self.duration
        self._window_end = window_start + self.duration
        key = f"{ident}:{window_start}"
        redis = _redis_client(self.cache)
        if redis is not None:
            # SET NX creates the window's counter with its lifetime (once); INCR counts. One round
            # trip, and any Redis since 2.6.12 (EXPIRE ... NX would need 7.0).
            name = self.cache.make_and_validate_key(key)
            pipe = redis.pipeline(transaction=False)
            pipe.set(name, 0, ex=self.duration + 1, nx=True)
            pipe.incr(name)
            count = int(pipe.execute()[1])
            return count <= self.num_requests
        try:
            count = self.cache.incr(key)
        except ValueError:  # first request of the window (or the key just expired)
            # add() fails only if another worker created the key in between.
            count = 1 if self.cache.add(key, 1, timeout=self.duration + 1) else self.cache.incr(key)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self._window_end - self.timer())


class UserRateThrottle(FixedWindowRateThrottle):
    """Signed-in users (JWT), by user id; API keys have their own budget below."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not (user and user.is_authenticated) or getattr(user, "is_api_key", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class ApiKeyRateThrottle(FixedWindowRateThrottle):
    """Partner backends, by API key."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not getattr(request.user, "is_api_key", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PasswordCheckThrottle(UserRateThrottle):
    """One strict budget per user for the endpoints that check a signed-in user's password.

    Password change and account deletion both compare a password, so a stolen access
    token could guess with either; they share this budget (and the sign-in lockout).
    Fixed here rather than in settings: a security limit, not a business rate.
    """

    scope = "password_check"
    rate = "10/hour"


class GenerationThrottle(FixedWindowRateThrottle):
    """Plan and program generation: a quota per user, and per API key across its tenant's users."""

    scope = "generation"

    def __init__(self) -> None:
        # The rate depends on the caller, known only per request: resolved in allow_request.
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        from .principals import is_api_key

        self.scope = "generation_api_key" if is_api_key(request) else "generation"
        # Read per request, so a changed setting (and a test's override) applies at once.
        self.rate = str(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        requests, duration = self.parse_rate(self.rate)
        self.num_requests, self.duration = int(requests or 0), int(duration or 1)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        from .principals import is_api_key

        ident = f"key{request.auth.pk}" if is_api_key(request) else f"user{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
