"""Fallbacks that keep the problem+json shape for URLs and errors outside any API view."""

from collections.abc import Iterable
from typing import Any, NoReturn

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.views import defaults
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView


class _FirstRenderer(DefaultContentNegotiation):
    """No negotiation: a view that only ever answers with a problem has nothing to negotiate."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, str(first.media_type)


class ApiNotFoundView(APIView):
    """Catch-all under /api/: an unknown URL answers 404 in the problem shape, for any method."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []
    # An unknown URL is a 404 whatever the Accept header or ?format= asks for.
    content_negotiation_class = _FirstRenderer
    schema = None  # not an endpoint

    @property
    def default_response_headers(self) -> dict[str, str]:
        # No Allow header: there is no resource here to allow anything on.
        return {"Vary": "Accept"}

    # No handler methods: every method falls through to this, so an unknown URL
    # answers 404 rather than 405.
    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotFound("No endpoint at this URL.")

    def options(self, request: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotFound("No endpoint at this URL.")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _problem(request: HttpRequest, status_code: int, code: str, detail: str) -> HttpResponse:
    from .exceptions import problem_json_response

    return problem_json_response(request, status_code=status_code, code=code, detail=detail)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _problem(request, 400, "bad_request", "The request could not be understood.")
    # Not Django's default page: its CSRF decorator reads the body again, and a body that
    # could not be read (the usual reason for a 400) then raises inside the error handler.
    return HttpResponseBadRequest("<h1>Bad Request (400)</h1>")


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _problem(request, 403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _problem(request, 404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _problem(
            request,
            500,
            "internal_error",
            "Something went wrong on our side. Quote the request_id if you contact support.",
        )
    # A plain page for the same reason as handler400: the default one runs a CSRF check.
    return HttpResponseServerError("<h1>Server Error (500)</h1>")
