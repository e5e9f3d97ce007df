"""Test-only views that raise each kind of failure, mounted before the real URLconf."""

from typing import Any

from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    DisallowedRedirect,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousFileOperation,
    SuspiciousMultipartForm,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import path
from drf_spectacular.renderers import OpenApiYamlRenderer
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from fitcore.api.exceptions import ApplicationError
from fitcore.urls import handler400, handler403, handler404, handler500
from fitcore.urls import urlpatterns as real_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class ItemSerializer(serializers.Serializer):
    food = serializers.CharField(max_length=20)
    grams = serializers.IntegerField(min_value=1)


class MealSerializer(serializers.Serializer):
    name = serializers.CharField()
    items = ItemSerializer(many=True)
    tags = serializers.ListField(child=serializers.IntegerField(), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["name"] == "forbidden":
            raise serializers.ValidationError("This meal name is reserved.")
        return attrs


class OpenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []


class EchoMealView(OpenView):
    def post(self, request: Request) -> Response:
        serializer = MealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class FormEchoView(OpenView):
    """A view that reads urlencoded forms, which no API endpoint does today."""

    parser_classes = [FormParser]

    def post(self, request: Request) -> Response:
        return Response({"fields": len(request.data)})


class BoomView(OpenView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals: password=hunter2")


class DomainErrorView(OpenView):
    def post(self, request: Request) -> Response:
        raise ApplicationError(code="meal_plan_locked", message="This plan is locked.", status=409)


class DjangoErrorsView(OpenView):
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind")
        if kind == "http404":
            raise Http404("No MealPlan matches the given query.")
        if kind == "permission":
            raise PermissionDenied("internal reason")
        raise DjangoValidationError({"grams": ["Must be positive."]})


REQUEST_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        TooManyFieldsSent,
        TooManyFilesSent,
        RequestDataTooBig,
        SuspiciousMultipartForm,
        MultiPartParserError,
        UnreadablePostError,
        BadRequest,
        DisallowedHost,
        DisallowedRedirect,
        SuspiciousFileOperation,
        SuspiciousOperation,
    )
}


class RequestErrorView(OpenView):
    """Raises, inside the view, an error Django raises lazily while reading a request."""

    def get(self, request: Request, kind: str) -> Response:
        raise REQUEST_ERRORS[kind]("raised while reading the request")


class YamlErrorsView(OpenView):
    """Renders YAML, as the schema view does: its errors must still be JSON problems."""

    renderer_classes = [OpenApiYamlRenderer]

    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind")
        if kind == "domain":
            raise ApplicationError(code="meal_plan_locked", message="This plan is locked.", status=409)
        if kind == "invalid":
            raise serializers.ValidationError({"grams": ["Must be positive."]})
        raise RuntimeError("secret internals")


class TightThrottle(AnonRateThrottle):
    rate = "2/min"
    scope = "test-tight"


class ThrottledView(OpenView):
    throttle_classes = [TightThrottle]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class AuthRequiredView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/_test/meals/", EchoMealView.as_view()),
    path("api/v1/_test/form/", FormEchoView.as_view()),
    path("api/v1/_test/boom/", BoomView.as_view()),
    path("api/v1/_test/domain/", DomainErrorView.as_view()),
    path("api/v1/_test/django/", DjangoErrorsView.as_view()),
    path("api/v1/_test/yaml/", YamlErrorsView.as_view()),
    path("api/v1/_test/request-error/<str:kind>/", RequestErrorView.as_view()),
    path("api/v1/_test/throttled/", ThrottledView.as_view()),
    path("api/v1/_test/private/", AuthRequiredView.as_view()),
    *real_urlpatterns,
]
