"""Bodies sent without a Content-Length (Transfer-Encoding: chunked) are read, or refused with 411.

The test client cannot send chunked framing, so these requests are what a WSGI server
hands Django after decoding it: no CONTENT_LENGTH, the decoded body as ``wsgi.input``,
and, from servers that guarantee it (gunicorn), ``wsgi.input_terminated``.
"""

import io
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from rest_framework.test import APIClient

from authapp.tokens import issue_token_pair
from users.models import Profile
from users.tests.helpers import noisy_png

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
IMAGE = "/api/v1/users/me/image/"


@pytest.fixture(autouse=True)
def _no_server_errors(logged_errors):
    yield
    assert not logged_errors(), [r.getMessage() for r in logged_errors()]


def chunked(client: APIClient, method: str, path: str, body: bytes, content_type: str, **environ):
    """The request gunicorn builds from a chunked one; ``environ`` overrides or adds keys."""
    request = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        **environ,
    }
    return client.generic(method, path, body, content_type=content_type, **request)


def multipart(fields: dict) -> tuple[bytes, str]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["code"] == code and body["status"] == status
    return body


# --- read when the server guarantees the end of the stream ---------------------------


def test_a_chunked_patch_really_changes_the_row(user, user_client) -> None:
    body = json.dumps({"first_name": "Chunky", "profile": {"sex": "female"}}).encode()
    response = chunked(user_client, "PATCH", ME, body, "application/json")
    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Chunky"
    user.refresh_from_db()
    assert user.first_name == "Chunky"
    assert Profile.unscoped.get(user=user).sex == "female"


def test_transfer_encoding_wins_over_a_content_length(user, user_client) -> None:
    # RFC 9112 6.3: with Transfer-Encoding, Content-Length is not the body's length.
    body = json.dumps({"first_name": "Framed"}).encode()
    assert chunked(user_client, "PATCH", ME, body, "application/json", CONTENT_LENGTH="2").status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Framed"


def test_a_chunked_body_at_the_limit_is_read(user, user_client, settings) -> None:
    body = json.dumps({"first_name": "Edge"}).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    assert chunked(user_client, "PATCH", ME, body, "application/json").status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Edge"


def test_an_oversized_chunked_body_is_413_and_changes_nothing(user, user_client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"first_name": "x" * 30, "last_name": "y" * 2000}).encode()
    body_json = assert_problem(chunked(user_client, "PATCH", ME, body, "application/json"), 413, "payload_too_large")
    assert "1024" in body_json["detail"]
    user.refresh_from_db()
    assert user.first_name != "x" * 30


class EndlessStream:
    """A client that never stops sending: only the limit ends the read."""

    def __init__(self) -> None:
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read of an endless body"
        self.sent += size
        return b" " * size

    readline = read


def test_a_chunked_body_is_never_read_past_its_limit(user_client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    stream = EndlessStream()
    response = chunked(user_client, "PATCH", ME, b"", "application/json", **{"wsgi.input": stream})
    assert_problem(response, 413, "payload_too_large")
    assert stream.sent == 100_001


def test_a_chunked_image_upload_gets_the_upload_limit(
    user, user_client, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # the JSON limit; the image is bigger
    picture = noisy_png((40, 40))
    assert len(picture) > 1000
    body, content_type = multipart({"image": io.BytesIO(picture)})
    with django_capture_on_commit_callbacks(execute=True):  # the worker's part: decode and store
        response = chunked(user_client, "POST", IMAGE, body, content_type)
    assert response.status_code == 202, response.content
    profile = user_client.get(ME).json()["profile"]
    assert profile["image_status"] == "ready" and profile["image"].endswith(".webp")

    settings.API_MAX_UPLOAD_SIZE = len(body) - 1
    assert_problem(chunked(user_client, "POST", IMAGE, body, content_type), 413, "payload_too_large")


def test_a_chunked_body_cut_off_is_400(user_client) -> None:
    class DroppedConnection:
        def read(self, size: int = -1) -> bytes:
            raise OSError("connection reset by peer")

        readline = read

    response = chunked(user_client, "PATCH", ME, b"", "application/json", **{"wsgi.input": DroppedConnection()})
    assert_problem(response, 400, "unreadable_body")


# --- refuse when it does not ---------------------------------------------------------


@pytest.mark.parametrize("content_length", ["", "22"])
def test_without_input_terminated_a_chunked_body_is_411(user, user_client, content_length: str) -> None:
    body = json.dumps({"first_name": "Lost"}).encode()
    response = chunked(
        user_client,
        "PATCH",
        ME,
        body,
        "application/json",
        CONTENT_LENGTH=content_length,
        **{"wsgi.input_terminated": False},
    )
    assert_problem(response, 411, "length_required")
    user.refresh_from_db()
    assert user.first_name != "Lost"


def test_an_anonymous_chunked_request_is_411_before_authentication(api_client: APIClient) -> None:
    response = chunked(
        api_client, "POST", "/api/v1/auth/login/", b"{}", "application/json", **{"wsgi.input_terminated": False}
    )
    assert_problem(response, 411, "length_required")


def test_outside_the_api_an_unreadable_chunked_body_is_a_plain_411(api_client: APIClient) -> None:
    response = chunked(
        api_client,
        "POST",
        "/admin/login/",
        b"a=1",
        "application/x-www-form-urlencoded",
        **{"wsgi.input_terminated": False},
    )
    assert response.status_code == 411
    assert response["Content-Type"].startswith("text/plain")


# --- ASGI: the server hands over the whole body, without a Content-Length -----------


def test_a_chunked_patch_under_asgi_changes_the_row(user) -> None:
    from django.test.client import FakePayload

    body = json.dumps({"first_name": "Async"}).encode()
    token = issue_token_pair(user)["access"]
    headers = [
        (b"host", b"testserver"),
        (b"transfer-encoding", b"chunked"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
    ]
    response = async_to_sync(AsyncClient().request)(
        method="PATCH", path=ME, query_string="", headers=headers, _body_file=FakePayload(body)
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.first_name == "Async"
