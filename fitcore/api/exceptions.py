"""One error shape for the whole API: RFC 9457 problem details.

Every 4xx/5xx under /api/ is an ``application/problem+json`` document::

    {"type": "urn:fitcore:problem:validation_error", "title": "Bad Request",
     "status": 400, "detail": "...", "instance": "/api/v1/...", "code": "validation_error",
     "request_id": "...", "errors": [{"field": "items[2].grams", "code": "min_value", "message": "..."}]}

``code`` is the stable, machine-readable part; ``detail`` is for people and may change.
Every 400 carries ``errors`` (the schema documents 400 as a validation problem); a
problem about the request as a whole has one entry whose ``field`` is ``null``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any, cast

import orjson
import sentry_sdk
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousMultipartForm,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from . import renderers
from .context import request_id_var

logger = logging.getLogger("fitcore.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:fitcore:problem:"


class ApplicationError(Exception):
    """A domain failure a client can act on: ``raise ApplicationError(code=..., message=..., status=409)``.

    Subclasses may fix ``code`` and ``status`` as class attributes.
    """

    code = "application_error"
    status = 400

    def __init__(
        self,
        *,
        message: str,
        code: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors = errors


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this endpoint accepts."
    default_code = "payload_too_large"


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "This server cannot read a body sent without a Content-Length; send one."
    default_code = "length_required"


class UriTooLong(exceptions.APIException):
    status_code = status.HTTP_414_REQUEST_URI_TOO_LONG
    default_detail = "The URL is longer than this server accepts."
    default_code = "uri_too_long"


class RequestRejected(exceptions.APIException):
    """The request itself is malformed or over a limit (see ``request_rejection``): the client's doing, not a bug."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request could not be understood."
    default_code = "bad_request"


def problem_body(
    *,
    status_code: int,
    code: str,
    detail: str,
    instance: str | None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if errors is None and status_code == status.HTTP_400_BAD_REQUEST:
        errors = [{"field": None, "code": code, "message": detail}]
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id_var.get(),
    }
    if errors is not None:
        body["errors"] = errors
    return body


class ProblemResponse(JsonResponse):
    """A problem document, serialised once, here.

    DRF renders its own ``Response`` with whatever renderer the view negotiated (YAML for
    the schema view, HTML for the docs), or, when negotiation itself failed, the view's
    first one; a plain ``HttpResponse`` it passes through untouched. So every problem is
    JSON whatever the view renders and whatever the client's Accept asks for. Encoded as
    every JSON answer is (fitcore.api.renderers); what orjson refuses falls back to the
    standard encoder, ASCII-escaped: a problem body must never fail to encode.
    """

    def __init__(self, body: dict[str, Any], *, headers: dict[str, str] | None = None) -> None:
        HttpResponse.__init__(
            self, _problem_bytes(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE, headers=headers
        )
        self.data = body  # as on DRF's Response, for tests and middleware that inspect it


def _problem_bytes(body: dict[str, Any]) -> bytes:
    """orjson, as for every JSON answer; the standard encoder, ASCII-escaped, for what orjson refuses."""
    try:
        return renderers.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(body, separators=(",", ":"), default=str, ensure_ascii=True).encode()


def problem_json_response(
    request: HttpRequest, *, status_code: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> ProblemResponse:
    """For the few places outside DRF views: URL resolver fallbacks, middleware."""
    body = problem_body(status_code=status_code, code=code, detail=detail, instance=request.path)
    return ProblemResponse(body, headers=headers)


def request_rejection(exc: Exception) -> exceptions.APIException | None:
    """The client error for an exception Django raises while reading the request, else None.

    Django raises these lazily, when ``request.GET``, ``POST``, ``FILES`` or the body is
    first read: often inside a view, where they would otherwise look like bugs (a 500,
    a traceback, a Sentry event). Subclasses come before the classes they extend.
    """
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return RequestRejected(f"More than {limit} query parameters or form fields.", code="too_many_fields")
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return RequestRejected(f"More than {limit} files in one request.", code="too_many_files")
    if isinstance(exc, SuspiciousMultipartForm | MultiPartParserError):
        # The code DRF's own MultiPartParser gives a malformed body.
        return RequestRejected("Multipart form parse error - the body is malformed.", code="parse_error")
    if isinstance(exc, DisallowedHost):
        return RequestRejected("The Host header names a host this server does not serve.", code="disallowed_host")
    if isinstance(exc, UnreadablePostError):
        return RequestRejected("The request body could not be read to its end.", code="unreadable_body")
    if isinstance(exc, SuspiciousOperation | BadRequest):
        return RequestRejected()
    return None


def log_rejection(exc: Exception, rejection: exceptions.APIException) -> None:
    """One line, no traceback: a refused request is routine, and must not page anyone through Sentry."""
    logger.warning("Refused the request: %s (%s)", rejection.get_codes(), type(exc).__name__)


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested error structure into ``[{field, code, message}]`` with paths like ``items[2].grams``.

    Object-level (non-field) errors carry the path of their object; at the top level that is ``null``.
    """
    if isinstance(detail, dict):
        flat: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                child = path
            elif isinstance(key, int):  # ListField reports item errors keyed by index
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            flat.extend(flatten_errors(value, child))
        return flat
    if isinstance(detail, list):
        flat = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                # A ListSerializer reports one entry per item, empty for valid ones.
                flat.extend(flatten_errors(item, f"{path}[{index}]"))
            else:
                flat.extend(flatten_errors(item, path))
        return flat
    return [{"field": path or None, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)}]


def _normalise(exc: Exception) -> Exception:
    """Map Django and domain exceptions onto DRF's, so one code path shapes them all."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        # Never echo Http404's message: it names the model and would tell a missing
        # object from another tenant's.
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    rejection = request_rejection(exc)
    if rejection is not None:
        log_rejection(exc, rejection)
        return rejection
    return exc


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """DRF's EXCEPTION_HANDLER. Returns a finished ``ProblemResponse`` that DRF sends as it is."""
    request = context.get("request")
    instance = request.path if request is not None else None
    exc = _normalise(exc)

    if isinstance(exc, ApplicationError):
        set_rollback()
        body = problem_body(
            status_code=exc.status, code=exc.code, detail=exc.message, instance=instance, errors=exc.errors
        )
        return ProblemResponse(body)

    # DRF's handler sets WWW-Authenticate and Retry-After and rolls the transaction back.
    response = drf_exception_handler(exc, context)
    if response is None:
        return _unhandled(exc, context, instance)

    exc = cast(exceptions.APIException, exc)  # DRF answers only its own exceptions
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = errors[0]["message"] if len(errors) == 1 else f"{len(errors)} problems in the request; see errors."
        body = problem_body(
            status_code=response.status_code, code="validation_error", detail=detail, instance=instance, errors=errors
        )
    else:
        detail, code = _detail_and_code(exc)
        body = problem_body(status_code=response.status_code, code=code, detail=detail, instance=instance)
    # Keep the headers DRF's handler set (WWW-Authenticate, Retry-After); the body is ours.
    headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
    return ProblemResponse(body, headers=headers)


def _detail_and_code(exc: exceptions.APIException) -> tuple[str, str]:
    detail: Any = exc.detail
    # Some libraries (simplejwt) raise with a dict: {"detail": ..., "code": ...}.
    if isinstance(detail, dict):
        message = detail.get("detail", exc.default_detail)
        code = detail.get("code") or getattr(message, "code", None) or exc.default_code
        return str(message), str(code)
    first = (detail[0] if detail else exc.default_detail) if isinstance(detail, list) else detail
    return str(first), str(getattr(first, "code", None) or exc.default_code)


def _unhandled(exc: Exception, context: dict[str, Any], instance: str | None) -> ProblemResponse:
    """A bug: log it with the request id, report it, and tell the client nothing about it."""
    set_rollback()
    # We answer the 500 ourselves, so Sentry's Django integration never sees the
    # exception: report it here (a no-op unless SENTRY_DSN initialised the SDK).
    # Before the log line, whose own Sentry event the dedupe integration then drops.
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("request_id", request_id_var.get())
        sentry_sdk.capture_exception(exc)
    view = context.get("view")
    logger.error(
        "Unhandled exception in %s",
        type(view).__name__ if view is not None else "view",
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    body = problem_body(
        status_code=500,
        code="internal_error",
        detail="Something went wrong on our side. Quote the request_id if you contact support.",
        instance=instance,
    )
    response = ProblemResponse(body)
    # Logged above with the traceback; stop django.request logging it a second time.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
