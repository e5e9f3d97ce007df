"""Requests Django refuses to read (too many fields or files, malformed or cut-off bodies) are 4xx
problems, never 500s: no traceback in the log, no Sentry event, before or inside any view."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("fitcore.api.tests.urls")]

PROBLEM = "application/problem+json"
IMAGE = "/api/v1/users/me/image/"
# DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000; short fields, so the URL stays under API_MAX_URL_LENGTH.
TOO_MANY = "&".join(["p"] * 1001)


@pytest.fixture(autouse=True)
def _quiet(logged_errors, sentry_events):
    """Every test here: nothing at ERROR or with a traceback, and nothing sent to Sentry."""
    yield
    assert not logged_errors(), [r.getMessage() for r in logged_errors()]
    assert not sentry_events.events()


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:fitcore:problem:{code}"
    if status == 400:
        assert body["errors"] == [{"field": None, "code": code, "message": body["detail"]}]
    return body


# --- the query string, before any view ----------------------------------------------


@pytest.fixture
def clients(tenant, user, tenant_admin) -> dict[str, APIClient]:
    return {
        "anonymous": APIClient(),
        "member": jwt_client_for(user),
        "tenant admin": jwt_client_for(tenant_admin),
        "api key": api_key_client_for(tenant),
    }


@pytest.mark.parametrize("who", ["anonymous", "member", "tenant admin", "api key"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/users/"),
        ("get", "/api/v1/users/{user}/"),
        ("post", "/api/v1/users/{user}/tokens/"),
        ("get", "/api/v1/users/me/"),
        ("patch", "/api/v1/users/me/"),
        ("get", "/api/v1/tenant/api-keys/"),
        ("delete", "/api/v1/tenant/api-keys/1/"),
        ("post", "/api/v1/auth/login/"),
        ("get", "/api/schema/"),
        ("get", "/api/docs/"),
        ("get", "/api/v1/no-such-endpoint/"),
        ("options", "/api/v1/nutrition/nothing-here/"),
    ],
)
def test_too_many_query_parameters_is_400_on_every_kind_of_route(clients, user, who, method, path) -> None:
    url = path.format(user=user.pk) + "?" + TOO_MANY
    body = assert_refused(getattr(clients[who], method)(url), 400, "too_many_fields")
    assert "1000" in body["detail"]


def test_the_same_parameter_repeated_counts_too(api_client: APIClient) -> None:
    assert_refused(api_client.get("/api/v1/users/?" + "&".join(["u=1"] * 1001)), 400, "too_many_fields")


def test_a_thousand_query_parameters_are_still_fine(user_client: APIClient) -> None:
    assert user_client.get("/api/v1/users/me/?" + "&".join(["p"] * 1000)).status_code == 200


# --- the URL's length ------------------------------------------------------------------


def padded(path: str, size: int) -> str:
    """``path`` with a query string that brings path plus query to ``size`` bytes."""
    return f"{path}?pad={'x' * (size - len(path) - len('pad='))}"


@pytest.mark.parametrize("who", ["anonymous", "member", "api key"])
@pytest.mark.parametrize("path", ["/api/v1/users/me/", "/api/v1/tenant/api-keys/", "/api/v1/no-such-endpoint/"])
def test_an_api_url_over_the_limit_is_414(clients, who, path) -> None:
    body = assert_refused(clients[who].get(padded(path, 4097)), 414, "uri_too_long")
    assert "4097" in body["detail"] and "4096" in body["detail"]


def test_an_api_url_at_the_limit_is_served(user_client: APIClient) -> None:
    assert user_client.get(padded("/api/v1/users/me/", 4096)).status_code == 200


def test_multibyte_characters_count_as_their_bytes(user_client: APIClient) -> None:
    path = "/api/v1/users/me/"
    query = "pad=" + "%C3%A9" * ((4096 - len(path) - 4) // 6 + 1)  # percent-encoded: 6 bytes a character
    assert_refused(user_client.get(f"{path}?{query}"), 414, "uri_too_long")


def test_the_limit_is_a_setting(user_client: APIClient, settings) -> None:
    settings.API_MAX_URL_LENGTH = 100
    assert_refused(user_client.get(padded("/api/v1/users/me/", 101)), 414, "uri_too_long")
    assert user_client.get(padded("/api/v1/users/me/", 100)).status_code == 200


def test_outside_the_api_the_app_sets_no_url_limit(api_client: APIClient) -> None:
    assert api_client.get(padded("/healthz", 6000)).status_code == 200


def test_gunicorn_lets_every_url_the_api_answers_itself_reach_it(settings) -> None:
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parents[3] / "gunicorn.conf.py"))
    request_line = len("GET ") + settings.API_MAX_URL_LENGTH + 1 + len(" HTTP/1.1")
    assert config["limit_request_line"] >= request_line


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/"])
def test_too_many_query_parameters_outside_the_api_is_a_plain_400(api_client: APIClient, path: str) -> None:
    response = api_client.get(f"{path}?{TOO_MANY}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")  # no page that could itself need the body


def test_too_many_fields_in_a_form_outside_the_api_is_a_plain_400(api_client: APIClient) -> None:
    response = api_client.post("/admin/login/", data=TOO_MANY, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_a_disallowed_host_is_a_problem_without_a_traceback(api_client: APIClient) -> None:
    assert_refused(api_client.get("/api/v1/users/", HTTP_HOST="evil.example"), 400, "disallowed_host")


def test_the_view_reuses_the_query_string_parsed_before_it(user_client: APIClient, tenant, user) -> None:
    response = api_key_client_for(tenant).get(f"/api/v1/users/?email={user.email}&ordering=-id")
    assert [row["id"] for row in response.json()["results"]] == [user.pk]


# --- inside a view: the exception handler maps the same errors -----------------------


def test_too_many_query_parameters_inside_a_view_is_400_too(user_client: APIClient, settings) -> None:
    # Without the middleware, DRF's content negotiation is the first to read request.GET.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RequestLimitsMiddleware")]
    assert_refused(user_client.get(f"/api/v1/users/me/?{TOO_MANY}"), 400, "too_many_fields")
    assert_refused(APIClient().get(f"/api/schema/?{TOO_MANY}"), 400, "too_many_fields")


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("TooManyFieldsSent", 400, "too_many_fields"),
        ("TooManyFilesSent", 400, "too_many_files"),
        ("RequestDataTooBig", 413, "payload_too_large"),
        ("SuspiciousMultipartForm", 400, "parse_error"),
        ("MultiPartParserError", 400, "parse_error"),
        ("UnreadablePostError", 400, "unreadable_body"),
        ("BadRequest", 400, "bad_request"),
        ("DisallowedHost", 400, "disallowed_host"),
        ("DisallowedRedirect", 400, "bad_request"),
        ("SuspiciousFileOperation", 400, "bad_request"),
        ("SuspiciousOperation", 400, "bad_request"),
    ],
)
def test_request_errors_raised_inside_a_view_are_client_errors(
    api_client: APIClient, caplog, kind: str, status: int, code: str
) -> None:
    body = assert_refused(api_client.get(f"/api/v1/_test/request-error/{kind}/"), status, code)
    assert "raised while reading" not in body["detail"]  # Django's wording stays in the log
    [warning] = [r for r in caplog.records if r.name == "fitcore.errors"]
    assert warning.levelname == "WARNING" and kind in warning.getMessage()


# --- bodies: the image upload (multipart + form) and JSON ----------------------------


def test_too_many_urlencoded_form_fields_is_400(user_client: APIClient) -> None:
    response = user_client.post("/api/v1/_test/form/", data=TOO_MANY, content_type="application/x-www-form-urlencoded")
    assert_refused(response, 400, "too_many_fields")


def test_the_image_upload_takes_multipart_only(user_client: APIClient) -> None:
    # A urlencoded body cannot carry a file: the endpoint does not offer to parse one.
    response = user_client.post(IMAGE, data="image=x", content_type="application/x-www-form-urlencoded")
    assert_refused(response, 415, "unsupported_media_type")


def test_too_many_multipart_fields_is_400(user_client: APIClient) -> None:
    response = user_client.post(IMAGE, {"note": [str(i) for i in range(1001)]}, format="multipart")
    assert_refused(response, 400, "too_many_fields")


@pytest.mark.parametrize("field", ["image", "other"])
def test_more_files_than_allowed_is_400(user_client: APIClient, settings, field: str) -> None:
    files = [
        SimpleUploadedFile(f"{i}.png", b"x", content_type="image/png")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    body = assert_refused(user_client.post(IMAGE, {field: files}, format="multipart"), 400, "too_many_files")
    assert str(settings.DATA_UPLOAD_MAX_NUMBER_FILES) in body["detail"]


def test_oversized_form_fields_in_a_multipart_body_are_413(user_client: APIClient, settings) -> None:
    # Within API_MAX_UPLOAD_SIZE, but the non-file part is over DATA_UPLOAD_MAX_MEMORY_SIZE.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert_refused(user_client.post(IMAGE, {"note": "x" * 2000}, format="multipart"), 413, "payload_too_large")


def test_multipart_without_a_boundary_is_400(user_client: APIClient) -> None:
    assert_refused(user_client.post(IMAGE, data=b"--x--", content_type="multipart/form-data"), 400, "parse_error")


class _DroppedConnection:
    """A request body whose client went away half-way."""

    def read(self, *args: object) -> bytes:
        raise OSError("connection reset by peer")

    readline = read


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/v1/users/me/", "application/json"), (IMAGE, "multipart/form-data; boundary=x")],
)
def test_a_body_cut_off_mid_upload_is_400(user_client: APIClient, path: str, content_type: str) -> None:
    method = user_client.patch if path.endswith("/me/") else user_client.post
    response = method(path, CONTENT_LENGTH="100", CONTENT_TYPE=content_type, **{"wsgi.input": _DroppedConnection()})
    assert_refused(response, 400, "unreadable_body")


# --- the query string is UTF-8, whatever charset the body declares -----------------------


@pytest.mark.parametrize("charset", ["utf-7", "utf-16", "latin-1"])
def test_a_body_charset_does_not_change_how_the_query_is_read(tenant, charset) -> None:
    from users.tests.factories import UserFactory

    UserFactory.create(tenant=tenant, email="plus+2aa-@acme.example")
    client = api_key_client_for(tenant, scopes=["users:read"])

    # In UTF-7 "+2AA-" is a lone surrogate; read as the URL it is, it is five ASCII characters.
    response = client.get("/api/v1/users/?email=%2B2AA-", CONTENT_TYPE=f"text/plain; charset={charset}")

    assert response.status_code == 200, response.content
    assert [row["email"] for row in response.json()["results"]] == ["plus+2aa-@acme.example"]


# --- outside the API: a body Django cannot decode is a plain 400 -------------------------


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/", "/"])
@pytest.mark.parametrize("charset", ["latin-1", "utf-7", "utf-16"])
def test_an_undecodable_form_outside_the_api_is_a_plain_400(path, charset) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "abcdefghijklmnopqrstuvwxyzABCDEF"
    response = client.post(path, data="a=1", content_type=f"application/x-www-form-urlencoded; charset={charset}")

    assert response.status_code in {400, 403, 405}, response.content
    assert response.status_code != 500
