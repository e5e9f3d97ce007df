import os

import pytest
from django.db.utils import ConnectionHandler
from rest_framework.test import APIClient

from fitcore.api import health


@pytest.mark.django_db
def test_healthz_is_constant_and_touches_no_database(api_client: APIClient, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readyz_reports_each_dependency(api_client: APIClient) -> None:
    response = api_client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_postgres_is_unreachable(api_client: APIClient, monkeypatch) -> None:
    # A real PostgreSQL connection attempt against a port nothing listens on.
    unreachable = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": "1",
                "NAME": "fitcore",
                "USER": "postgres",
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    monkeypatch.setattr(health, "connections", unreachable)
    response = api_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {"status": "error", "error": "OperationalError"}
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_checks_the_broker_when_one_is_configured(api_client: APIClient, settings) -> None:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("no broker configured (REDIS_URL unset)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    assert api_client.get("/readyz").json()["checks"]["broker"]["status"] == "ok"

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_probes_need_no_credentials_and_ignore_bad_ones(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert api_client.get("/healthz").status_code == 200
