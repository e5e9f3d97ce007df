"""The JSON parser refuses what nothing downstream can handle, once, for every field and key.

Bodies are written as raw bytes so that escapes like ``\\ud800`` reach the parser as the client sent them.
"""

import json

import pytest
from rest_framework.test import APIClient

from authapp.models import ApiKey
from users.models import Profile, User

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
USERS = "/api/v1/users/"
KEYS = "/api/v1/tenant/api-keys/"
PREFIX = "JSON parse error - "

LONE_SURROGATES = [
    pytest.param(r"\ud800", id="high"),
    pytest.param(r"\udbff", id="last-high"),
    pytest.param(r"\udc00", id="low"),
    pytest.param(r"\udfff", id="last-low"),
    pytest.param(r"\ude00\ud83d", id="pair-reversed"),
    pytest.param(r"ok\ud800ok", id="high-inside-text"),
]


@pytest.fixture(autouse=True)
def _no_server_errors(logged_errors):
    yield
    assert not logged_errors(), [r.getMessage() for r in logged_errors()]


def send(client: APIClient, method: str, path: str, body: bytes, content_type: str = "application/json"):
    return getattr(client, method)(path, data=body, content_type=content_type)


def assert_parse_error(response) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["code"] == "parse_error"
    assert body["detail"].startswith(PREFIX)
    assert body["errors"] == [{"field": None, "code": "parse_error", "message": body["detail"]}]
    return body


# --- lone surrogates: every kind of field, keys, nesting ------------------------------


@pytest.mark.parametrize("escape", LONE_SURROGATES)
@pytest.mark.parametrize(
    "template",
    [
        pytest.param('{"profile": {"sex": "ESC"}}', id="choice"),
        pytest.param('{"profile": {"activity_level": "ESC"}}', id="choice-2"),
        pytest.param('{"profile": {"allergens": ["milk", "ESC"]}}', id="choice-in-list"),
        pytest.param('{"profile": {"excluded_foods": ["ESC"]}}', id="text-in-list"),
        pytest.param('{"first_name": "ESC"}', id="text"),
        pytest.param('{"ESC": "x"}', id="key"),
        pytest.param('{"profile": {"ESC": 1}}', id="nested-key"),
        pytest.param('[[{"a": ["ESC"]}]]', id="deep-in-lists"),
    ],
)
def test_lone_surrogates_in_my_profile_are_parse_errors(user, user_client, template: str, escape: str) -> None:
    assert_parse_error(send(user_client, "patch", ME, template.replace("ESC", escape).encode()))
    profile = Profile.unscoped.get(user=user)
    assert profile.sex == "" and profile.allergens == []


@pytest.mark.parametrize("escape", LONE_SURROGATES)
def test_lone_surrogate_in_a_role_is_a_parse_error(admin_client_jwt, user, escape: str) -> None:
    body = '{"email": "new@example.com", "role": "ESC"}'.replace("ESC", escape).encode()
    assert_parse_error(send(admin_client_jwt, "post", USERS, body))
    assert_parse_error(
        send(admin_client_jwt, "patch", f"{USERS}{user.pk}/", '{"role": "ESC"}'.replace("ESC", escape).encode())
    )
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("escape", LONE_SURROGATES)
def test_lone_surrogate_in_api_key_scopes_is_a_parse_error(admin_client_jwt, escape: str) -> None:
    body = '{"name": "backend", "scopes": ["users:read", "ESC"]}'.replace("ESC", escape).encode()
    assert_parse_error(send(admin_client_jwt, "post", KEYS, body))
    assert not ApiKey.unscoped.filter(name="backend").exists()


def test_lone_surrogate_is_refused_before_authentication(api_client: APIClient) -> None:
    response = send(api_client, "post", "/api/v1/auth/login/", rb'{"email": "a@b.c", "password": "\ud800"}')
    assert_parse_error(response)


def test_encoded_surrogate_bytes_are_refused_too(user_client) -> None:
    assert_parse_error(send(user_client, "patch", ME, b'{"first_name": "\xed\xa0\x80"}'))  # CESU-8 U+D800


def test_a_surrogate_pair_is_one_character_and_accepted(user, user_client) -> None:
    response = send(user_client, "patch", ME, rb'{"first_name": "Ann \ud83d\ude00", "profile": {"sex": "female"}}')
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.first_name == "Ann \N{GRINNING FACE}"
    assert response.json()["first_name"] == "Ann \N{GRINNING FACE}"


# --- what stays as DRF had it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "name"),
    [("utf-8", "Zoë"), ("UTF8", "Zoë"), ("utf-16", "Zoë 😀"), ("latin-1", "Zoë"), ("utf-8-sig", "Zoë")],
)
def test_other_charsets_are_decoded_first(user, user_client, charset: str, name: str) -> None:
    body = json.dumps({"first_name": name}, ensure_ascii=False).encode(charset)
    response = send(user_client, "patch", ME, body, f"application/json; charset={charset}")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.first_name == name


def test_non_text_charsets_are_refused(user_client) -> None:
    response = send(user_client, "patch", ME, b'{"first_name": "x"}', "application/json; charset=bz2_codec")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_an_unknown_charset_is_ignored_as_django_does(user, user_client) -> None:
    response = send(user_client, "patch", ME, '{"first_name": "Zoë"}'.encode(), "application/json; charset=nope")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Zoë"


def test_bytes_invalid_in_the_declared_charset_are_a_parse_error(user_client) -> None:
    assert_parse_error(send(user_client, "patch", ME, b'{"first_name": "\xff"}', "application/json; charset=utf-16"))


@pytest.mark.parametrize(
    "document",
    [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b'{"profile": {"weight_kg": 1e400}}', b'{"a": nan}'],
)
def test_nan_and_infinity_are_refused(user_client, document: bytes) -> None:
    assert_parse_error(send(user_client, "patch", ME, document))


@pytest.mark.parametrize("document", [b'{"first_name": "x",', b"  ", b"\xef\xbb\xbf{}", b"{'a': 1}", b"[1,]"])
def test_malformed_json_is_a_parse_error(user_client, document: bytes) -> None:
    assert_parse_error(send(user_client, "patch", ME, document))


def test_an_empty_body_is_an_empty_update(user, user_client) -> None:
    response = user_client.patch(ME, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["first_name"] == user.first_name


def test_nesting_is_limited_without_recursion(user_client) -> None:
    depth_ok, depth_too_deep = 1000, 1100
    ok = user_client.patch(ME, data="[" * depth_ok + "]" * depth_ok, content_type="application/json")
    assert ok.status_code == 400 and ok.json()["code"] == "validation_error"  # parsed; just not an object
    assert_parse_error(send(user_client, "patch", ME, b"[" * depth_too_deep + b"]" * depth_too_deep))


def test_big_numbers_are_never_a_server_error(user_client) -> None:
    response = send(user_client, "patch", ME, b'{"profile": {"height_cm": 123456789012345678901234567890}}')
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "profile.height_cm"
