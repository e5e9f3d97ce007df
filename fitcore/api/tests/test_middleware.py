import json
import logging

import pytest
from rest_framework.test import APIClient

from fitcore.api.logging import JsonFormatter, RequestContextFilter


def test_request_id_is_created_when_absent(api_client: APIClient) -> None:
    first = api_client.get("/healthz")["X-Request-ID"]
    second = api_client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_callers_request_id_is_echoed(api_client: APIClient) -> None:
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID="mobile-7f3a.42")["X-Request-ID"] == "mobile-7f3a.42"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "new\nline", "<script>"])
def test_unsafe_request_ids_are_replaced(api_client: APIClient, bad: str) -> None:
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"] != bad


def test_access_log_is_one_json_line_with_request_fields(api_client: APIClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="fitcore.access"):
        api_client.get("/healthz", HTTP_X_REQUEST_ID="log-check-1")
    [record] = [r for r in caplog.records if r.name == "fitcore.access"]
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "log-check-1"
    assert line["level"] == "INFO"


def test_log_lines_outside_requests_still_format() -> None:
    record = logging.LogRecord("fitcore.test", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world"
    assert line["request_id"] == "-"


@pytest.mark.django_db
def test_log_lines_inside_a_request_carry_tenant_and_caller(caplog) -> None:
    from authapp.tests.factories import make_api_key
    from users.tests.factories import TenantFactory

    tenant = TenantFactory.create()
    issued = make_api_key(tenant)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.secret)
    with caplog.at_level(logging.INFO, logger="fitcore.access"):
        client.get("/api/v1/users/")
    [record] = [r for r in caplog.records if r.name == "fitcore.access"]
    assert record.tenant_id == tenant.pk
    assert record.user_id == f"api_key:{issued.api_key.pk}"
