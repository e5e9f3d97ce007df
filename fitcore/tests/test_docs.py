import re

import pytest
from rest_framework.test import APIClient

# Any absolute URL in a script or stylesheet tag would mean the docs need the internet.
_EXTERNAL_ASSET = re.compile(r"""(src|href)=["']?(https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_are_served_offline(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not _EXTERNAL_ASSET.search(html), _EXTERNAL_ASSET.search(html)


def test_sidecar_assets_are_served(api_client: APIClient) -> None:
    html = api_client.get("/api/docs/").content.decode()
    asset = re.search(r'src="(/static/drf_spectacular_sidecar/[^"]+\.js)"', html)
    assert asset, "no sidecar script in the Swagger UI page"
    response = api_client.get(asset.group(1))
    assert response.status_code == 200


@pytest.mark.urls("fitcore.api.tests.urls")  # includes an endpoint with a request body
def test_schema_declares_both_security_schemes_and_the_problem_shape(api_client: APIClient) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"]["scheme"] == "bearer"
    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["apiKeyAuth"]["description"],
    }
    problem = schema["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "code", "request_id"} <= problem.keys()
    errors = schema["components"]["schemas"]["ValidationProblem"]["properties"]["errors"]
    assert errors["items"]["$ref"].endswith("/ProblemFieldError")


@pytest.mark.django_db
def test_admin_login_is_the_jazzmin_page(api_client: APIClient) -> None:
    response = api_client.get("/admin/login/")
    assert response.status_code == 200
    assert "jazzmin" in response.content.decode().lower()


@pytest.mark.django_db
def test_every_operation_documents_its_auth_and_problem_responses(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 20
    for method, path, op in operations:
        where = f"{method} {path}"
        problem = op["responses"]["500"]["content"]
        assert list(problem) == ["application/problem+json"], where
        schemes = {name for entry in op.get("security", []) for name in entry}
        if schemes:
            assert {"401", "403"} <= op["responses"].keys(), where
        if "apiKeyAuth" in schemes:
            assert "jwtAuth" in schemes, where
        if method in {"POST", "PUT", "PATCH"}:
            assert "400" in op["responses"], where
        if "{" in path:
            assert "404" in op["responses"], where
    # Endpoints that refuse API keys do not advertise them.
    me = schema["paths"]["/api/v1/users/me/"]["get"]["security"]
    assert {name for entry in me for name in entry} == {"jwtAuth"}


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
@pytest.mark.parametrize("method", ["options", "post", "put", "patch", "delete"])
def test_docs_pages_take_only_get(api_client: APIClient, path: str, method: str) -> None:
    response = getattr(api_client, method)(path)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
