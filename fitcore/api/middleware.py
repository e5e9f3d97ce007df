"""Request id, access log and request limits: the outermost layer of every request."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty
from django.views import defaults
from rest_framework.exceptions import APIException

from .context import request_id_var, tenant_id_var, user_id_var
from .exceptions import PayloadTooLarge, log_rejection, problem_json_response, request_rejection

access_logger = logging.getLogger("fitcore.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is short and harmless in logs and headers.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _authenticated_user_id(request: HttpRequest) -> int | str | None:
    # Only report a user DRF already resolved; evaluating Django's lazy session
    # user here would add a session query to requests that never needed one.
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None) or getattr(user, "principal_id", None)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens = (request_id_var.set(request_id), user_id_var.set(None), tenant_id_var.set(None))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            tenant = getattr(request, "tenant", None)
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": _authenticated_user_id(request),
                    "tenant_id": getattr(tenant, "pk", None),
                },
            )
            return response
        finally:
            request_id_var.reset(tokens[0])
            user_id_var.reset(tokens[1])
            tenant_id_var.reset(tokens[2])


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refusal_response(request: HttpRequest, rejection: APIException) -> HttpResponse:
    """A request refused before any view: a problem under /api/, Django's own plain answer elsewhere."""
    detail = str(rejection.detail)
    if _is_api(request):
        return problem_json_response(
            request, status_code=rejection.status_code, code=str(rejection.get_codes()), detail=detail
        )
    if rejection.status_code == 400:
        return defaults.bad_request(request, rejection)
    return HttpResponse(detail, status=rejection.status_code, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    """Refuse, before any view, what Django would otherwise refuse lazily deep inside one.

    - The Host header and the query string are checked once, here. Django raises
      DisallowedHost and TooManyFieldsSent only when ``get_host()`` or ``request.GET`` is
      first used: in a DRF view that is inside the view, elsewhere in Django's handler,
      which logs a traceback at ERROR (and so reaches Sentry). Views reuse the parsed
      ``request.GET``.
    - Outside /api/, a POST form is parsed here for the same reason (CSRF middleware would
      read it first). DRF views parse their own bodies from the stream; what goes wrong
      there reaches the exception handler, which maps the same exceptions the same way.
    - A body over its limit is a 413 before any parser reads it. DRF parses JSON from the
      stream, so Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check (in ``request.body``)
      never runs for it. Multipart uploads get the larger API_MAX_UPLOAD_SIZE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = _is_api(request)
        try:
            request.get_host()
            request.GET  # noqa: B018 -- parsed now, while a refusal is clean and cheap
            if api:
                self._check_declared_length(request)
            elif request.method == "POST":
                request.POST  # noqa: B018
        except APIException as exc:  # our own limits
            return refusal_response(request, exc)
        except Exception as exc:
            rejection = request_rejection(exc)
            if rejection is None:
                raise
            log_rejection(exc, rejection)
            return refusal_response(request, rejection)
        return self.get_response(request)

    @staticmethod
    def _check_declared_length(request: HttpRequest) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request)
        if limit is not None and length > limit:
            raise PayloadTooLarge(f"The request body is {length} bytes; this endpoint accepts at most {limit}.")


def body_limit(request: HttpRequest) -> int | None:
    """The most body bytes an API request may send; None when unlimited."""
    multipart = request.content_type == "multipart/form-data"
    limit: int | None = settings.API_MAX_UPLOAD_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit
