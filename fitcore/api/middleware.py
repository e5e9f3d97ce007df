"""Request id, access log and body-size limit: the outermost layer of every request."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from .context import request_id_var, tenant_id_var, user_id_var
from .exceptions import problem_json_response

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


class BodySizeLimitMiddleware:
    """Answer 413 before any parser reads an oversized API body.

    DRF parses JSON straight from the request stream, so Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE check (done in ``request.body``) never runs for it.
    Multipart uploads get the larger API_MAX_UPLOAD_SIZE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            multipart = request.content_type == "multipart/form-data"
            limit = settings.API_MAX_UPLOAD_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > limit:
                return problem_json_response(
                    request,
                    status_code=413,
                    code="payload_too_large",
                    detail=f"The request body is {length} bytes; this endpoint accepts at most {limit}.",
                )
        return self.get_response(request)
