"""Rate limits are per principal: each API key and each user has its own budget."""

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from conftest import api_key_client_for, jwt_client_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("fitcore.api.tests.scopeapp.urls")]

NOTES = "/api/v1/scopeapp/notes/"


@pytest.fixture
def tight_rates(monkeypatch):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "2/min", "user": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_each_api_key_has_its_own_budget(tenant, tight_rates) -> None:
    first, second = api_key_client_for(tenant), api_key_client_for(tenant)
    assert [first.get(NOTES).status_code for _ in range(2)] == [200, 200]
    limited = first.get(NOTES)
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    # Same tenant, same IP, another key: unaffected.
    assert second.get(NOTES).status_code == 200


def test_users_are_limited_by_id_not_by_ip(tenant, tight_rates) -> None:
    alice, bob = jwt_client_for(UserFactory(tenant=tenant)), jwt_client_for(UserFactory(tenant=tenant))
    for _ in range(2):
        assert alice.get(NOTES).status_code == 200
    assert alice.get(NOTES).status_code == 429
    assert bob.get(NOTES).status_code == 200


def test_a_spoofed_forwarded_for_does_not_reset_the_anonymous_budget(monkeypatch, settings) -> None:
    from rest_framework.test import APIClient

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "password_reset": "1/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/password/reset/", {"email": "nobody@example.com"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 429, 429]


def test_trusted_proxies_are_honoured_when_configured(monkeypatch) -> None:
    from django.test import RequestFactory

    from fitcore.api.client import client_address

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_address(request) == "10.0.0.1"
    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1, raising=False)
    assert client_address(request) == "203.0.113.7"


@pytest.mark.redis
def test_redis_counters_expire_with_their_window(tenant, tight_rates) -> None:
    from django.core.cache import cache

    if not hasattr(cache, "client"):
        pytest.skip("REDIS_URL unset: counters live in local memory")
    client = api_key_client_for(tenant)
    assert client.get(NOTES).status_code == 200
    assert client.get(NOTES).status_code == 200

    redis = cache.client.get_client(write=True)
    names = list(redis.scan_iter(match=cache.make_key("throttle_api_key_*")))
    assert len(names) == 1
    assert int(redis.get(names[0])) == 2  # counted twice, created once
    assert 0 < redis.ttl(names[0]) <= 61  # a minute's window, and not a second more
