"""django-axes hooks: a lockout answers like every other API error."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from fitcore.api.exceptions import problem_json_response


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    retry_after = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return problem_json_response(
        request,
        status_code=429,
        code="too_many_failed_logins",
        detail=f"Too many failed sign-in attempts. Try again in {retry_after // 60} minutes or reset your password.",
        headers={"Retry-After": str(retry_after)},
    )


def client_ip(request: HttpRequest) -> str:
    # The proxy in front of gunicorn must set REMOTE_ADDR to the client; we do not
    # trust X-Forwarded-For, which any client can forge to dodge the lockout.
    return str(request.META.get("REMOTE_ADDR", ""))
