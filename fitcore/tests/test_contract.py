"""The contract findings of the schemathesis and generated-client runs, one test per class.

The fuzzer (make fuzz) finds new instances; these keep the known ones from coming back
without it.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return dict(response.json())


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def component(schema: dict[str, Any], ref: str | dict[str, Any]) -> dict[str, Any]:
    """A component by its $ref, or the component a property refers to (directly or through allOf)."""
    name = ref if isinstance(ref, str) else (ref.get("$ref") or ref["allOf"][0]["$ref"])
    return dict(schema["components"]["schemas"][str(name).rsplit("/", 1)[-1]])


# --- problems: one media type, and every 400 carries errors -------------------------------


def test_every_error_response_is_documented_as_a_problem(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400 or not path.startswith("/api/"):
                continue
            assert list(response["content"]) == [PROBLEM], (method, path, status)
            ref = response["content"][PROBLEM]["schema"]["$ref"]
            expected = "ValidationProblem" if status == "400" else "Problem"
            assert ref.endswith(f"/{expected}"), (method, path, status, ref)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/tenant/api-keys/", {"name": "k", "expires_at": "2000-01-01T00:00:00Z"}),  # ApplicationError
        ("post", "/api/v1/tenant/api-keys/", '{"name": '),  # parse error
        ("get", "/api/v1/users/?limit=abc", None),  # query validation
    ],
)
def test_every_400_has_errors(tenant_admin, method: str, path: str, body: Any) -> None:
    client = jwt_client_for(tenant_admin)
    if isinstance(body, str):
        response = client.generic(method.upper(), path, body, content_type="application/json")
    else:
        response = getattr(client, method)(path, body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"], response.json()


# --- "not set" is null --------------------------------------------------------------------

CHOICES = ["sex", "activity_level", "fitness_goal", "dietary_pattern"]


def test_unset_choices_are_null_in_every_output(user, user_client) -> None:
    me = user_client.get("/api/v1/users/me/").json()["profile"]
    dashboard = user_client.get("/api/v1/users/me/dashboard/").json()["profile"]
    export = user_client.get("/api/v1/users/me/export/").json()["sections"]["profile"]

    for name in CHOICES:
        assert me[name] is None and dashboard[name] is None and export[name] is None, name


def test_unset_choices_are_nullable_enums_without_a_blank_member(schema: dict[str, Any]) -> None:
    profile = component(schema, "Profile")["properties"]
    for name in CHOICES:
        members = profile[name]["oneOf"]
        refs = [component(schema, member["$ref"]) for member in members]
        assert any(ref.get("enum") == [None] for ref in refs), name
        assert all("" not in (ref.get("enum") or []) for ref in refs), name


def test_null_clears_a_choice_and_blank_is_refused(user, user_client) -> None:
    assert user_client.patch("/api/v1/users/me/", {"profile": {"sex": "male"}}, format="json").status_code == 200

    cleared = user_client.patch("/api/v1/users/me/", {"profile": {"sex": None}}, format="json")
    assert cleared.status_code == 200 and cleared.json()["profile"]["sex"] is None
    blank = user_client.patch("/api/v1/users/me/", {"profile": {"sex": ""}}, format="json")
    assert blank.status_code == 400 and blank.json()["errors"][0]["field"] == "profile.sex"


# --- constraints the server enforces are stated in the schema ------------------------------


def test_the_schema_states_what_the_server_enforces(schema: dict[str, Any]) -> None:
    profile = component(schema, "ProfileInputRequest")["properties"]
    assert (profile["height_cm"]["minimum"], profile["height_cm"]["maximum"]) == (50, 272)
    assert (profile["weight_kg"]["minimum"], profile["weight_kg"]["maximum"]) == (20, 500)
    timezones = component(schema, profile["timezone"])["enum"]
    assert "Europe/Berlin" in timezones and "CET" in timezones and "Mars/Olympus_Mons" not in timezones
    assert "en" in component(schema, profile["language"])["enum"]

    password = component(schema, "RegisterRequest")["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (8, 128) and password["pattern"]
    assert component(schema, "ApiKeyCreateRequest")["properties"]["scopes"]["minItems"] == 1
    name = component(schema, "ApiKeyCreateRequest")["properties"]["name"]
    assert "\\x00" in name["pattern"]  # NUL refused, and not only whitespace

    image = schema["paths"]["/api/v1/users/me/image/"]["post"]["requestBody"]["content"]
    assert list(image) == ["multipart/form-data"]


def test_measurements_are_rounded_not_refused(user, user_client) -> None:
    response = user_client.patch(
        "/api/v1/users/me/", {"profile": {"height_cm": 50.300000000000004, "weight_kg": 61.255}}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["profile"]["height_cm"], response.json()["profile"]["weight_kg"]) == (50.3, 61.26)


def test_every_generated_client_can_name_every_enum_member(schema: dict[str, Any]) -> None:
    for name, item in schema["components"]["schemas"].items():
        names = item.get("x-enum-varnames")
        if names is not None:
            assert len(set(names)) == len(item["enum"]), name
            assert all(n.isidentifier() for n in names), name


# --- JSON types are kept -------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"last_name": 0},
        {"first_name": ["Ann"]},
        {"profile": {"marketing_opt_in": 0}},
        {"profile": {"marketing_opt_in": "true"}},
        {"profile": {"weight_kg": "80"}},
        {"profile": {"height_cm": True}},
        {"profile": {"excluded_foods": [1]}},
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused(user, user_client, payload: dict[str, Any]) -> None:
    response = user_client.patch("/api/v1/users/me/", payload, format="json")

    assert response.status_code == 400, response.content


def test_a_string_boolean_is_not_a_boolean(tenant) -> None:
    response = APIClient().post(
        "/api/v1/auth/login/",
        {"email": "a@acme.example", "password": "x" * 12, "cookie": "yes"},
        format="json",
        HTTP_X_TENANT="acme",
    )

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cookie"


# --- list parameters are validated, not ignored ----------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0.5", "limit"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=\uff15", "limit"),
        ("offset=false", "offset"),
        ("offset=-1", "offset"),
        ("is_active=banana", "is_active"),
        ("is_active=", "is_active"),
        ("joined_after=yesterday", "joined_after"),
        ("joined_before=", "joined_before"),
        ("role=owner", "role"),
        ("ordering=password", "ordering"),
        ("ordering=", "ordering"),
        ("ordering=email,,id", "ordering"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(tenant, query: str, field: str) -> None:
    response = api_key_client_for(tenant, scopes=["users:read"]).get(f"/api/v1/users/?{query}")

    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_good_list_parameters_still_filter(tenant) -> None:
    UserFactory.create(tenant=tenant, email="active@acme.example")
    UserFactory.create(tenant=tenant, email="gone@acme.example", is_active=False)
    client = api_key_client_for(tenant, scopes=["users:read"])

    rows = client.get("/api/v1/users/?is_active=false&ordering=-email&limit=1&offset=0").json()

    assert [row["email"] for row in rows["results"]] == ["gone@acme.example"] and rows["count"] == 1


def test_a_string_longer_than_its_limit_is_refused_even_if_trimming_would_shorten_it(tenant_admin) -> None:
    response = jwt_client_for(tenant_admin).post("/api/v1/tenant/api-keys/", {"name": "  " + "k" * 99}, format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "name"


def test_no_one_of_admits_the_same_value_twice(schema: dict[str, Any]) -> None:
    """oneOf rejects a value two branches accept: a blank-able string must not offer "" twice."""
    import re as regex

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            branches = node.get("oneOf") or []
            accepting_blank = [
                b
                for b in branches
                if b.get("type") == "string"
                and "format" not in b
                and b.get("minLength", 0) == 0
                and (not b.get("pattern") or regex.search(b["pattern"], ""))
            ]
            assert len(accepting_blank) <= 1, where
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(schema, "schema")
