"""Every failure under /api/ answers in the one problem+json shape."""

import json
import logging

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.urls("fitcore.api.tests.urls")

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:fitcore:problem:{code}"
    assert body["request_id"] == response["X-Request-ID"]
    if status == 400:  # the schema documents every 400 as a validation problem
        assert body["errors"] and all(e.keys() == {"field", "code", "message"} for e in body["errors"])
    return body


def test_unknown_api_url_is_problem_404(api_client: APIClient) -> None:
    body = assert_problem(api_client.get("/api/v1/does-not-exist"), 404, "not_found")
    assert body["instance"] == "/api/v1/does-not-exist"
    assert body["title"] == "Not Found"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_unknown_api_url_is_404_for_every_method(api_client: APIClient, method: str) -> None:
    assert_problem(getattr(api_client, method)("/api/v1/nutrition/nothing-here/"), 404, "not_found")


def test_pages_outside_api_keep_djangos_html_404(api_client: APIClient) -> None:
    response = api_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_wrong_method_is_problem_405(api_client: APIClient, method: str) -> None:
    body = assert_problem(getattr(api_client, method)("/healthz"), 405, "method_not_allowed")
    assert method.upper() in body["detail"]


def test_malformed_json_is_problem_400(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/_test/meals/", data='{"name": "oats",', content_type="application/json")
    body = assert_problem(response, 400, "parse_error")
    assert "JSON" in body["detail"]


def test_unsupported_media_type_is_problem_415(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/_test/meals/", data="<meal/>", content_type="application/xml")
    assert_problem(response, 415, "unsupported_media_type")


def test_oversized_body_is_problem_413_before_parsing(api_client: APIClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = json.dumps({"name": "x" * 2000, "items": []})
    body = assert_problem(
        api_client.post("/api/v1/_test/meals/", data=payload, content_type="application/json"),
        413,
        "payload_too_large",
    )
    assert "1024" in body["detail"]


def test_body_within_limit_is_accepted(api_client: APIClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client.post("/api/v1/_test/meals/", {"name": "oats", "items": [{"food": "oat", "grams": 40}]})
    assert response.status_code == 201
    assert response.json() == {"name": "oats", "items": [{"food": "oat", "grams": 40}]}


def test_validation_errors_carry_nested_field_paths(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/_test/meals/",
        {
            "items": [{"food": "oat", "grams": 40}, {"food": "milk", "grams": 200}, {"food": "x" * 30, "grams": 0}],
            "tags": [1, "two"],
        },
    )
    body = assert_problem(response, 400, "validation_error")
    errors = {(e["field"], e["code"]) for e in body["errors"]}
    assert errors == {
        ("name", "required"),
        ("items[2].food", "max_length"),
        ("items[2].grams", "min_value"),
        ("tags[1]", "invalid"),
    }
    assert body["detail"] == "4 problems in the request; see errors."


def test_object_level_validation_error_has_null_field(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/_test/meals/", {"name": "forbidden", "items": []})
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [{"field": None, "code": "invalid", "message": "This meal name is reserved."}]
    assert body["detail"] == "This meal name is reserved."


def test_application_error_keeps_its_code_and_status(api_client: APIClient) -> None:
    body = assert_problem(api_client.post("/api/v1/_test/domain/"), 409, "meal_plan_locked")
    assert body["detail"] == "This plan is locked."
    assert "errors" not in body


def test_django_validation_error_becomes_problem_400(api_client: APIClient) -> None:
    body = assert_problem(api_client.get("/api/v1/_test/django/"), 400, "validation_error")
    assert body["errors"] == [{"field": "grams", "code": "invalid", "message": "Must be positive."}]


def test_django_http404_hides_its_message(api_client: APIClient) -> None:
    body = assert_problem(api_client.get("/api/v1/_test/django/?kind=http404"), 404, "not_found")
    assert "MealPlan" not in body["detail"]
    assert body["detail"] == "Not found."


def test_django_permission_denied_is_problem_403(api_client: APIClient) -> None:
    body = assert_problem(api_client.get("/api/v1/_test/django/?kind=permission"), 403, "permission_denied")
    assert "internal reason" not in body["detail"]


def test_missing_credentials_is_problem_401_with_challenge(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/_test/private/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_invalid_bearer_token_is_problem_401(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    body = assert_problem(api_client.get("/api/v1/_test/private/"), 401, "token_not_valid")
    assert body["detail"]


def test_throttled_request_is_problem_429_with_retry_after(api_client: APIClient) -> None:
    for _ in range(2):
        assert api_client.get("/api/v1/_test/throttled/").status_code == 200
    response = api_client.get("/api/v1/_test/throttled/")
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_unhandled_exception_is_problem_500_without_internals(api_client: APIClient, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="fitcore.errors"):
        response = api_client.get("/api/v1/_test/boom/", HTTP_X_REQUEST_ID="trace-me-123")
    body = assert_problem(response, 500, "internal_error")
    raw = response.content.decode()
    assert "hunter2" not in raw
    assert "RuntimeError" not in raw
    assert "Traceback" not in raw
    assert body["request_id"] == "trace-me-123"
    # The operator gets what the client does not: the traceback, tied to the request id.
    [record] = [r for r in caplog.records if r.name == "fitcore.errors"]
    assert record.request_id == "trace-me-123"
    assert record.exc_info[0] is RuntimeError


def test_unhandled_exception_is_reported_to_sentry_with_request_id(api_client: APIClient, sentry_events) -> None:
    api_client.get("/api/v1/_test/boom/", HTTP_X_REQUEST_ID="sentry-req-1")
    events = sentry_events.events()
    assert len(events) == 1
    assert events[0]["exception"]["values"][-1]["type"] == "RuntimeError"
    assert events[0]["tags"]["request_id"] == "sentry-req-1"


def test_deeply_nested_json_is_400_not_500(api_client: APIClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post("/api/v1/_test/meals/", data=body, content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_multipart_is_refused_where_no_files_are_taken(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/_test/meals/", {"name": "x"}, format="multipart")
    assert_problem(response, 415, "unsupported_media_type")


# --- every problem is JSON, whatever the view renders or the client accepts ---------


@pytest.mark.parametrize(
    ("method", "path", "accept", "status", "code"),
    [
        ("get", "/api/schema/?format=xml", None, 404, "not_found"),
        ("get", "/api/schema/?format=openapi-json&format=xml", None, 404, "not_found"),
        ("post", "/api/schema/", None, 405, "method_not_allowed"),
        ("delete", "/api/schema/", "application/vnd.oai.openapi", 405, "method_not_allowed"),
        ("get", "/api/schema/", "application/xml", 406, "not_acceptable"),
        ("get", "/api/schema/", "text/csv", 406, "not_acceptable"),
        ("get", "/api/docs/", "text/csv", 406, "not_acceptable"),
        ("get", "/api/docs/?format=yaml", None, 404, "not_found"),
        ("post", "/api/docs/", "text/html", 405, "method_not_allowed"),
        ("put", "/api/redoc/", None, 405, "method_not_allowed"),
        ("get", "/api/redoc/", "application/xml", 406, "not_acceptable"),
        ("get", "/api/v1/_test/throttled/", "application/xml", 406, "not_acceptable"),
        ("get", "/api/v1/_test/throttled/?format=yaml", None, 404, "not_found"),
        ("get", "/api/v1/does-not-exist/", "application/xml", 404, "not_found"),
        ("get", "/api/v1/_test/yaml/?kind=domain", None, 409, "meal_plan_locked"),
        ("get", "/api/v1/_test/yaml/?kind=invalid", "application/vnd.oai.openapi", 400, "validation_error"),
    ],
)
def test_problems_are_json_whatever_the_views_renderers_or_accept(
    api_client: APIClient, method: str, path: str, accept: str | None, status: int, code: str
) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = getattr(api_client, method)(path, **headers)
    assert_problem(response, status, code)  # parses the body as JSON


def test_problem_keeps_the_allow_header_of_a_405(api_client: APIClient) -> None:
    response = api_client.post("/api/schema/")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_problem_keeps_www_authenticate_whatever_the_accept(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/_test/private/", HTTP_ACCEPT="application/json, text/html;q=0.5")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?format=yaml", "?format=xml"])
def test_real_endpoint_refuses_unservable_formats_as_json(user_client: APIClient, query: str) -> None:
    if query:
        assert_problem(user_client.get(f"/api/v1/users/me/{query}"), 404, "not_found")
    else:
        assert_problem(user_client.get("/api/v1/users/me/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


def test_unhandled_error_in_a_yaml_view_is_a_json_500(api_client: APIClient, caplog) -> None:
    with caplog.at_level(logging.CRITICAL, logger="fitcore.errors"):
        response = api_client.get("/api/v1/_test/yaml/")
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in json.dumps(body)


def test_bad_request_outside_views_carries_errors() -> None:
    from django.test import RequestFactory

    from fitcore.api.views import handler400

    response = handler400(RequestFactory().get("/api/v1/anything/"), Exception("x"))
    body = json.loads(response.content)
    assert body["errors"] == [{"field": None, "code": "bad_request", "message": body["detail"]}]
