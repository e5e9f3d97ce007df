"""Request id, access log and request limits: the outermost layer of every request."""

import logging
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.contrib.auth import middleware as _auth
from django.contrib.messages import middleware as _messages
from django.contrib.sessions import middleware as _session
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.utils.functional import SimpleLazyObject, empty
from rest_framework.exceptions import APIException

from .context import request_id_var, tenant_id_var, user_id_var
from .exceptions import (
    LengthRequired,
    PayloadTooLarge,
    UriTooLong,
    log_rejection,
    problem_json_response,
    request_rejection,
)

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
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens = (request_id_var.set(request_id), user_id_var.set(None), tenant_id_var.set(None))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if not access_logger.isEnabledFor(logging.INFO):
                return response  # ACCESS_LOG_LEVEL above INFO: not even the record's fields are built
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
    return HttpResponse(detail, status=rejection.status_code, content_type="text/plain; charset=utf-8")


def _utf8_query(request: HttpRequest) -> QueryDict:
    """The query string decoded as UTF-8, as URLs are, whatever charset the body declares.

    Django decodes it with the request's encoding, which a client sets through the body's
    Content-Type: ``charset=utf-7`` turned ``?email=%2B2AA-`` into a lone surrogate.
    Undecodable bytes become U+FFFD.
    """
    raw = request.META.get("QUERY_STRING", "")
    if isinstance(raw, str):
        raw = raw.encode("iso-8859-1")  # how WSGI and ASGI hand the raw bytes over (PEP 3333)
    return QueryDict(raw, encoding="utf-8")


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
    - An API URL (path and query string) over API_MAX_URL_LENGTH bytes is a 414.
    - An API body declared over its limit is a 413 before any parser reads it. DRF parses
      JSON from the stream, so Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check (in
      ``request.body``) never runs for it. Multipart uploads get the larger
      API_MAX_UPLOAD_SIZE.
    - A body without a Content-Length (``Transfer-Encoding: chunked``), on any path, is
      read here within the same limits and handed on as if it had one (see
      ``_buffer_unframed_body``), or refused with 411: Django would otherwise read no
      body at all, and the view would answer as if the client had sent nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = _is_api(request)
        with ExitStack() as cleanup:
            try:
                if api:
                    self._check_url_length(request)
                request.get_host()
                request.GET = _utf8_query(request)  # type: ignore[assignment]  # parsed now, while a refusal is clean
                if request.META.get("HTTP_TRANSFER_ENCODING"):
                    _buffer_unframed_body(request, cleanup)
                elif api:
                    self._check_declared_length(request)
                    _read_raised_json_body(request)
                if not api and request.method == "POST":
                    request.POST  # noqa: B018
            except APIException as exc:  # our own limits
                return refusal_response(request, exc)
            except Exception as exc:
                rejection = request_rejection(exc)
                if rejection is None:
                    raise
                log_rejection(exc, rejection)
                # Django raises again on every later read of a body it could not parse (the
                # CSRF check of an error page would): from now on it reads as empty.
                request._mark_post_parse_error()  # type: ignore[attr-defined]
                return refusal_response(request, rejection)
            return self.get_response(request)

    @staticmethod
    def _check_url_length(request: HttpRequest) -> None:
        # WSGI hands both over as latin-1 strings of the raw bytes: their length is the bytes'.
        size = len(request.META.get("PATH_INFO", "")) + len(request.META.get("QUERY_STRING", ""))
        if size > settings.API_MAX_URL_LENGTH:
            raise UriTooLong(
                f"The path and query string are {size} bytes; this API accepts at most {settings.API_MAX_URL_LENGTH}."
            )

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
    """The most body bytes this request may send (by its content type); None when unlimited."""
    multipart = request.content_type == "multipart/form-data"
    limit: int | None = settings.API_MAX_UPLOAD_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # Endpoints built for larger bodies: health batches (JSON) and device exports (multipart).
    path = request.path_info
    if path == "/api/v1/health/data/batch/" and not multipart:
        limit = max(limit or 0, settings.HEALTH_BATCH_MAX_BYTES)
    elif path == "/api/v1/health/imports/" and multipart:
        limit = max(limit or 0, settings.HEALTH_IMPORT_MAX_BYTES)
    return limit


def _read_raised_json_body(request: HttpRequest) -> None:
    """Read a JSON body now when its endpoint allows more than DATA_UPLOAD_MAX_MEMORY_SIZE.

    DRF's JSON parsing goes through ``request.body``, where Django refuses anything over
    DATA_UPLOAD_MAX_MEMORY_SIZE whatever the endpoint; the declared length was checked against
    the endpoint's own limit just before, so the body is read here, once.
    """
    if request.content_type == "multipart/form-data" or request.method not in {"POST", "PUT", "PATCH"}:
        return
    limit = body_limit(request)
    if limit is not None and limit > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and not hasattr(request, "_body"):
        request._body = request.read()


_COPY_CHUNK = 64 * 1024


def _buffer_unframed_body(request: HttpRequest, cleanup: ExitStack) -> None:
    """Read a body that came without a Content-Length, and give it one.

    Django sizes a request body by CONTENT_LENGTH alone (absent means 0), so a chunked
    body would be silently dropped. Reading to the end of the stream is only safe when
    the server promises the stream ends where the body does: gunicorn decodes the
    chunks and sets ``wsgi.input_terminated``; an ASGI server hands Django the whole
    body. Anything else is a 411. The body is read up to its limit plus one byte (more
    is a 413) into a buffer that spills to disk past FILE_UPLOAD_MAX_MEMORY_SIZE and is
    closed with ``cleanup``; it becomes the request's stream, with a matching
    CONTENT_LENGTH, for Django and DRF to read as usual.
    """
    source: Any
    if isinstance(request, ASGIRequest):
        source = request._stream
    elif request.META.get("wsgi.input_terminated"):
        source = request.META["wsgi.input"]
    else:
        raise LengthRequired()
    limit = body_limit(request)
    buffer = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    spool = cleanup.enter_context(buffer)  # lives until the response is ready
    size = 0
    try:
        while limit is None or size <= limit:
            chunk = source.read(_COPY_CHUNK if limit is None else min(_COPY_CHUNK, limit + 1 - size))
            if not chunk:
                break
            spool.write(chunk)
            size += len(chunk)
    except OSError as exc:  # the client went away mid-body; Django wraps it the same way
        raise UnreadablePostError(*exc.args) from exc
    if limit is not None and size > limit:
        raise PayloadTooLarge(f"The request body is larger than the {limit} bytes this endpoint accepts.")
    spool.seek(0)
    request.META["CONTENT_LENGTH"] = str(size)
    request._stream = cast(BinaryIO, spool)  # read to its end, as ASGIRequest reads its buffered body


# --- Django's browser middleware, kept off the API -------------------------------------------
# Sessions, the session user and flash messages serve the staff admin (a browser with a
# session cookie). API views authenticate per request (JWT, API key) and never read a
# session; measured on this stack the three cost ~50 us per request (a fifth of /healthz).
# These subclasses run their parent everywhere but under /api/: subclasses, so Django's
# admin checks still find the middleware they require. (CSRF stays as it is: the deploy
# check wants Django's own, and DRF's views are exempt from it anyway.)


class OutsideApiOnly:
    """Mixin for a MiddlewareMixin-based middleware: skip it for /api/ requests."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return self.get_response(request)  # type: ignore[attr-defined]
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(OutsideApiOnly, _session.SessionMiddleware):
    pass


class AuthenticationMiddleware(OutsideApiOnly, _auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(OutsideApiOnly, _messages.MessageMiddleware):
    pass
