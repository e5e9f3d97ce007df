"""django-axes hooks: who a sign-in attempt is for, and a lockout that answers like every other API error.

Axes counts failures per (username, IP) and locks that pair for AXES_COOLOFF_TIME once
AXES_FAILURE_LIMIT is reached. For our DRF login view to take part, the view hands
``django.contrib.auth.authenticate`` the Django ``HttpRequest`` (not DRF's wrapper): axes
flags ``axes_locked_out`` on the object it is given, and ``AxesMiddleware`` reads the flag
from the ``HttpRequest`` to swap the view's 401 for ``lockout_response``.
"""

from collections.abc import Mapping
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse

from fitcore.api.exceptions import problem_json_response
from users.emails import canonical_email_or_none

LOCKOUT_CODE = "too_many_failed_logins"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 problem+json with ``Retry-After``.

    Axes restarts the cool-off with every attempt made during a lockout (its default
    ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the whole cool-off is exactly
    how long this client must now wait.
    """
    cool_off = get_cool_off(request)
    if cool_off is None:  # a permanent lock (AXES_COOLOFF_TIME = None): only support can lift it
        return problem_json_response(
            request,
            status_code=429,
            code=LOCKOUT_CODE,
            detail="Too many failed sign-in attempts. Reset your password or contact support.",
        )
    retry_after = max(int(cool_off.total_seconds()), 1)
    return problem_json_response(
        request,
        status_code=429,
        code=LOCKOUT_CODE,
        detail=(
            f"Too many failed sign-in attempts. Try again in {max(retry_after // 60, 1)} minutes "
            "or reset your password."
        ),
        headers={"Retry-After": str(retry_after)},
    )


def normalise_username(email: str | None) -> str | None:
    """Every spelling of one address (any case, fullwidth letters…) shares one failure counter.

    Input with no canonical form matches no account; it is counted under its own
    stripped, lower-cased text, so hammering garbage still locks the client out.
    """
    if not email:
        return None
    return canonical_email_or_none(email) or email.strip().lower()


def client_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the email of the attempt, case-folded.

    Failures arrive with the credentials given to ``authenticate(email=...)``; a success
    (``user_logged_in``) arrives with the stored email. Folding both the same way is what
    lets AXES_RESET_ON_SUCCESS find the failures to clear.
    """
    if credentials:
        # The API passes email=...; Django's admin login form passes username=...
        return normalise_username(credentials.get("email") or credentials.get("username"))
    data = getattr(request, "data", None) or request.POST
    email = (data.get("email") or data.get("username")) if isinstance(data, Mapping) else None
    return normalise_username(email if isinstance(email, str) else None)


def lockout_reset(*, email: str) -> int:
    """Lift every lock on ``email`` (all IPs): a password reset proves the person owns the inbox."""
    username = normalise_username(email)
    if not username:
        return 0
    return AxesProxyHandler.reset_attempts(username=username)
