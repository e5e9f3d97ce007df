"""OpenAPI generation: every operation documents the problem responses it can give.

Views declare only their success shapes; the statuses below are derived from what
the view is (has a body, a path id, auth, throttles), so the schema cannot forget them.
"""

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

from .permissions import IsEndUser, ScopedAccess, ScopedAccessOrAnonymousRead


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="Path of the offending input, e.g. `items[2].grams`; null for the whole body."
    )
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `min_value`.")
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error response."""

    type = serializers.CharField(help_text="URI naming the problem type: `urn:fitcore:problem:<code>`.")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="Human-readable explanation; may change, do not parse.")
    instance = serializers.CharField(allow_null=True, help_text="The request path.")
    code = serializers.CharField(help_text="Stable snake_case error code to branch on.")
    request_id = serializers.CharField(allow_null=True, help_text="Also in the `X-Request-ID` header.")


class ValidationProblemSerializer(ProblemSerializer):
    # Declared fields are moved off the class, so this does not shadow Serializer.errors.
    errors = ProblemFieldErrorSerializer(many=True)  # type: ignore[assignment]


_DESCRIPTIONS = {
    "400": "Invalid input: `errors` lists each problem with its field path.",
    "401": "Missing or invalid credentials.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object visible to the caller.",
    "411": "Length required: send a Content-Length header (or a chunked body through a server that ends it).",
    "413": "Request body too large.",
    "414": "The path and query string are longer than the API accepts (4,096 bytes by default).",
    "415": "Unsupported media type.",
    "429": "Rate limit exceeded; see the `Retry-After` header.",
    "500": "Unexpected server error; quote `request_id` to support.",
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}

# What Python's str.strip() removes, as an ECMA-262 character class (\s differs: it lacks
# U+001C-U+001F and U+0085, which strip() removes). NUL is excluded everywhere.
_STRIPPED = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_FREE_TEXT_FIELDS = (serializers.CharField,)
_BLANK_BRANCH = {"type": "string", "maxLength": 0}


def text_pattern(*, blank: bool) -> str:
    """The pattern of a request string DRF's CharField accepts: no NUL; not only whitespace unless blank is fine."""
    if blank:
        return "^[^\\x00]*$"
    return f"^[^\\x00]*[^\\x00{_STRIPPED}][^\\x00]*$"


class AutoSchema(SpectacularAutoSchema):
    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        """Type an id in the path by its model field (an integer), as for an unconstrained lookup.

        TenantScopedViewSet's ``lookup_value_regex`` (ASCII digits, no leading zero) would
        otherwise make it a string with a pattern: a different type for every generated client.
        """
        kwarg = getattr(self.view, "lookup_url_kwarg", None) or getattr(self.view, "lookup_field", None)
        original = self.path_regex
        if kwarg:
            regex = getattr(self.view, "lookup_value_regex", "[0-9]+")
            self.path_regex = original.replace(f"(?P<{kwarg}>{regex})", f"(?P<{kwarg}>[^/.]+)")
        try:
            parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)
        finally:
            self.path_regex = original
        return parameters

    def _get_parameters(self) -> list[dict[str, Any]]:
        """Integer path parameters, and ``?user=``, are row ids: 1 to 2**63-1 (``parse_object_id``'s range)."""
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            is_id = parameter.get("in") == "path" or (
                parameter.get("in") == "query" and parameter.get("name") == "user"
            )
            if is_id and schema.get("type") == "integer":
                parameter["schema"] = {**schema, "minimum": 1, "maximum": 2**63 - 1}
        return parameters

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        """Filter parameters state what Django's form fields enforce: no NUL in text."""
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not ({"pattern", "format", "enum"} & schema.keys()):
                parameter["schema"] = {**schema, "pattern": text_pattern(blank=True)}
        return parameters

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        """Constraints DRF enforces that drf-spectacular does not state.

        - a list that may not be empty (``allow_empty=False``): ``minItems: 1``;
        - free text in a request: no NUL character (DRF refuses it; PostgreSQL text cannot hold
          it) and, unless blank is allowed, something besides whitespace (DRF trims first).
        """
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListField | serializers.ListSerializer) and not field.allow_empty:
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        if (
            direction == "request"
            and type(field) in _FREE_TEXT_FIELDS
            and schema.get("type") == "string"
            and not ({"pattern", "enum"} & schema.keys())
            and schema.get("format") in (None, "password")
        ):
            schema["pattern"] = text_pattern(blank=field.allow_blank or not field.trim_whitespace)
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        """Keep a blank-able string one schema when its own constraints already accept "".

        drf-spectacular offers ``oneOf: [<constraints>, {maxLength: 0}]`` for a blank-able string
        with a pattern; when the pattern matches "" (ours do: no NUL, nothing else) both
        branches match "", and ``oneOf`` then rejects the very value it meant to allow.
        """
        super()._insert_field_validators(field, schema)
        branches = schema.get("oneOf")
        if not (isinstance(branches, list) and len(branches) == 2 and branches[1] == _BLANK_BRANCH):
            return
        inner = branches[0]
        pattern = inner.get("pattern")
        if "format" in inner or inner.get("minLength", 0) > 0 or (pattern and not re.search(pattern, "")):
            return
        del schema["oneOf"]
        schema.update(inner)

    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict[str, Any]:
        """A field may state a longer minimum than "not blank" for the schema (``schema_min_length``)."""
        meta: dict[str, Any] = super()._get_serializer_field_meta(field, direction)
        minimum = getattr(field, "schema_min_length", None)
        if minimum and "minLength" in meta:
            meta["minLength"] = minimum
        return meta

    def get_auth(self) -> list[dict[str, Any]]:
        """Offer the API-key scheme only where a key can get in (see ScopedAccess); and say
        "no credentials" too where anonymous callers may read (ScopedAccessOrAnonymousRead)."""
        auth: list[dict[str, Any]] = super().get_auth()
        if not self._accepts_api_keys():
            auth = [scheme for scheme in auth if "apiKeyAuth" not in scheme]
        if self.method in permissions.SAFE_METHODS and self._reads_anonymously() and {} not in auth:
            auth.append({})
        return auth

    def _reads_anonymously(self) -> bool:
        try:
            perms = [type(permission) for permission in self.view.get_permissions()]
        except (AttributeError, TypeError):
            perms = list(getattr(self.view, "permission_classes", None) or [])
        return any(issubclass(p, ScopedAccessOrAnonymousRead) for p in perms)

    def _accepts_api_keys(self) -> bool:
        # The view's own get_permissions(): a viewset may pick them per action (view.action is set here).
        try:
            perms = [type(permission) for permission in self.view.get_permissions()]
        except (AttributeError, TypeError):  # a get_permissions() that needs a real request
            perms = list(getattr(self.view, "permission_classes", None) or [])
        if any(issubclass(p, IsEndUser) for p in perms):
            return False
        scoped = any(issubclass(p, ScopedAccess) for p in perms)
        return not scoped or getattr(self.view, "scope_area", None) is not None

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status_code, response in responses.items():
            # Under /api/ every error is a problem document; the probes (/readyz) keep their own shape.
            if status_code.isdigit() and int(status_code) >= 400 and self.path.startswith("/api/"):
                self._as_problem(status_code, response)
        for status_code in self._error_statuses():
            if status_code in responses:
                continue
            serializer = ValidationProblemSerializer if status_code == "400" else ProblemSerializer
            component = self.resolve_serializer(serializer, "response")
            responses[status_code] = {
                "content": {"application/problem+json": {"schema": component.ref}},
                "description": _DESCRIPTIONS[status_code],
            }
        return responses

    def _as_problem(self, status_code: str, response: dict[str, Any]) -> None:
        """An error a view declared itself: always ``application/problem+json``, and every 400 has ``errors``.

        Views name the problem's description (and may name ProblemSerializer); the media
        type and the shape are the exception handler's, so they are set here, once.
        """
        content: dict[str, dict[str, Any]] = response.get("content") or {}
        schema = next(iter(content.values())).get("schema") if content else None
        if status_code == "400" or schema is None:
            serializer = ValidationProblemSerializer if status_code == "400" else ProblemSerializer
            schema = self.resolve_serializer(serializer, "response").ref
        response["content"] = {"application/problem+json": {"schema": schema}}

    def _error_statuses(self) -> list[str]:
        statuses: list[str] = []
        if self.method in _BODY_METHODS or (self.method == "DELETE" and self.get_request_serializer() is not None):
            statuses += ["400", "411", "413", "415"]
        elif self._has_query_validation():
            statuses.append("400")
        if self._requires_auth():
            statuses += ["401", "403"]
        if "{" in self.path:  # a path parameter names an object that may not exist
            statuses.append("404")
        if getattr(self.view, "throttle_classes", None):
            statuses.append("429")
        if self.path.startswith("/api/"):
            statuses.append("414")  # any API URL can be too long (RequestLimitsMiddleware)
        statuses.append("500")
        return statuses

    def _requires_auth(self) -> bool:
        perms = getattr(self.view, "permission_classes", None) or []
        return any(p is not permissions.AllowAny for p in perms)

    def _has_query_validation(self) -> bool:
        """Lists validate their filters, ordering and pagination parameters: a bad value is a 400."""
        if "{" in self.path:  # filters and pages apply to lists only
            return False
        view = self.view
        return bool(
            getattr(view, "filterset_class", None)
            or getattr(view, "filterset_fields", None)
            or getattr(view, "ordering_fields", None)
            or (self._is_list_view() and getattr(view, "pagination_class", None))
        )


# The two parameters every per-user area documents alike (nutrition, workouts, health).
OBJECT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The object's id.")
ACTING_USER = OpenApiParameter(
    "user", OpenApiTypes.INT, required=False, description="API keys: whose data (required); users: leave it out."
)


def problem_response(description: str, *, validation: bool = False) -> OpenApiResponse:
    """A documented error response: ``responses={409: problem_response("... (`code`).")}``."""
    return OpenApiResponse(ValidationProblemSerializer if validation else ProblemSerializer, description=description)


def enum_member_name(value: str) -> str:
    """An identifier for an enum value: ``Etc/GMT+1`` -> ``ETC_GMT_PLUS_1``, ``users:*`` -> ``USERS_ALL``."""
    text = value.replace("*", " all ").replace("+", " plus ")
    name = "_".join(re.findall(r"[A-Za-z0-9]+", text)).upper() or "EMPTY"
    return f"V_{name}" if name[0].isdigit() else name


def name_enum_members(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Give every string enum whose values are not plain identifiers an ``x-enum-varnames`` list.

    Client generators turn values into member names by dropping what an identifier cannot hold,
    and then ``GMT+0``, ``GMT-0`` and ``GMT0`` (all IANA zone names) collide: openapi-python-client
    refuses to generate at all. ``x-enum-varnames`` (read by openapi-generator and
    openapi-python-client alike) names each member once, here, uniquely.
    """
    schemas = result.get("components", {}).get("schemas", {})
    _shorten_long_choice_lists(schemas)
    for schema in schemas.values():
        values = schema.get("enum")
        if schema.get("type") != "string" or not values or all(_IDENTIFIER.fullmatch(v) for v in values):
            continue
        names: list[str] = []
        for value in values:
            name = enum_member_name(value)
            while name in names:
                name = f"{name}_"
            names.append(name)
        schema["x-enum-varnames"] = names
    return result


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
# drf-spectacular appends "* `value` - label" for every choice to a field's description; for
# the ~600 IANA zones that is 600 lines per field. Past this many members the enum says it all.
_LONGEST_LISTED_ENUM = 50


def _shorten_long_choice_lists(schemas: dict[str, Any]) -> None:
    long_enums = {
        f"#/components/schemas/{name}" for name, s in schemas.items() if len(s.get("enum") or []) > _LONGEST_LISTED_ENUM
    }
    for schema in schemas.values():
        for prop in (schema.get("properties") or {}).values():
            refs = {part.get("$ref") for part in prop.get("allOf", []) + prop.get("oneOf", [])} | {prop.get("$ref")}
            if refs & long_enums and "\n\n* `" in prop.get("description", ""):
                prop["description"] = prop["description"].split("\n\n* `", 1)[0]
