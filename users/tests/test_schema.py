import pytest
from rest_framework.test import APIClient

EXPECTED = {
    ("/api/v1/users/", "get"),
    ("/api/v1/users/", "post"),
    ("/api/v1/users/{id}/", "get"),
    ("/api/v1/users/{id}/", "patch"),
    ("/api/v1/users/{id}/", "delete"),
    ("/api/v1/users/{id}/tokens/", "post"),
    ("/api/v1/users/{id}/sign-out/", "post"),
    ("/api/v1/users/me/", "get"),
    ("/api/v1/users/me/", "patch"),
    ("/api/v1/users/me/", "delete"),
    ("/api/v1/users/me/settings/", "get"),
    ("/api/v1/users/me/settings/", "patch"),
    ("/api/v1/users/me/image/", "post"),
    ("/api/v1/users/me/image/", "delete"),
    ("/api/v1/users/me/dashboard/", "get"),
    ("/api/v1/users/me/export/", "get"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_every_users_endpoint_is_documented_under_the_users_tag(schema):
    found = {
        (path, method)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/users/")
        for method in operations
        if method in {"get", "post", "patch", "put", "delete"}
    }

    assert found == EXPECTED
    for path, method in EXPECTED:
        operation = schema["paths"][path][method]
        assert operation["tags"] == ["users"], (path, method)
        assert "500" in operation["responses"]


def test_account_deletion_documents_its_password_body(schema):
    body = schema["paths"]["/api/v1/users/me/"]["delete"]["requestBody"]

    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/AccountDeleteInputRequest")


def test_image_upload_is_multipart(schema):
    content = schema["paths"]["/api/v1/users/me/image/"]["post"]["requestBody"]["content"]

    assert set(content) == {"multipart/form-data"}


def test_image_upload_answers_202_with_the_profile_and_its_image_status(schema):
    operation = schema["paths"]["/api/v1/users/me/image/"]["post"]
    profile = schema["components"]["schemas"]["Profile"]["properties"]

    assert set(operation["responses"]) >= {"202", "400", "413"} and "200" not in operation["responses"]
    assert operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/Profile")
    assert "image_status" in operation["description"]
    assert "Location" in operation["responses"]["202"]["headers"]
    status = schema["components"]["schemas"][profile["image_status"]["allOf"][0]["$ref"].split("/")[-1]]
    assert status["enum"] == ["none", "processing", "ready", "failed"]
    assert profile["image_error"]["nullable"] is True
