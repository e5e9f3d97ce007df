"""Push through FCM HTTP v1 and APNs, asserted at the HTTP layer (respx); database and tasks are real."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import respx
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from notification.delivery.push import reset_providers
from notification.models import Device, Notification, OutboxMessage
from notification.services import device_register, notify, outbox_requeue_due, preferences_set

pytestmark = pytest.mark.django_db

TOKEN_URL = "https://oauth2.googleapis.com/token"
FCM_SEND = "https://fcm.googleapis.com/v1/projects/fitcore-test/messages:send"
APNS_TOKEN = "a1" * 32
APNS_URL = f"https://api.push.apple.com/3/device/{APNS_TOKEN}"


def _pem(key, fmt) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


@pytest.fixture
def fcm(settings) -> Iterator[None]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.FCM_PROJECT_ID = "fitcore-test"
    settings.FCM_SERVICE_ACCOUNT = json.dumps(
        {
            "type": "service_account",
            "project_id": "fitcore-test",
            "private_key_id": "k1",
            "private_key": _pem(key, serialization.PrivateFormat.PKCS8),
            "client_email": "push@fitcore-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": TOKEN_URL,
        }
    )
    reset_providers()
    yield
    reset_providers()


@pytest.fixture
def apns(settings) -> Iterator[ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.APNS_TEAM_ID = "TEAM123456"
    settings.APNS_KEY_ID = "KEY1234567"
    settings.APNS_PRIVATE_KEY = _pem(key, serialization.PrivateFormat.PKCS8)
    settings.APNS_TOPIC = "com.example.fitcore"
    reset_providers()
    yield key
    reset_providers()


@pytest.fixture(autouse=True)
def _fresh_providers() -> Iterator[None]:
    reset_providers()
    yield
    reset_providers()


@pytest.fixture
def pushed(user, django_capture_on_commit_callbacks):
    """notify() the user (push only) and run what commits."""
    preferences_set(
        user=user,
        matrix={"partner": {"in_app": True, "email": False, "push": True}},
        quiet_hours=None,
        daily_digest=False,
    )

    def send(title: str = "Leg day", **kwargs) -> Notification:
        with django_capture_on_commit_callbacks(execute=True):
            notification = notify(user=user, type="partner", title=title, body="Squats at 6.", link="/w/1", **kwargs)
        notification.refresh_from_db()
        return notification

    return send


def token_route(mock: respx.MockRouter) -> respx.Route:
    return mock.post(TOKEN_URL).respond(json={"access_token": "ya29.first", "expires_in": 3600, "token_type": "Bearer"})


# --- FCM ---------------------------------------------------------------------------------------


def test_fcm_sends_one_request_per_device_with_an_oauth_token(user, fcm, pushed) -> None:
    android, _ = device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:android-1")
    web, _ = device_register(user=user, platform=Device.Platform.WEB, token="fcm:web-1")
    with respx.mock(assert_all_called=True) as mock:
        tokens = token_route(mock)
        send = mock.post(FCM_SEND).respond(json={"name": "projects/fitcore-test/messages/1"})
        notification = pushed()

    assert notification.push_status == "sent"
    assert tokens.call_count == 1  # reused for the second device
    assert b"urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in tokens.calls[0].request.content
    bodies = [json.loads(call.request.content) for call in send.calls]
    assert sorted(body["message"]["token"] for body in bodies) == ["fcm:android-1", "fcm:web-1"]
    message = bodies[0]["message"]
    assert message["notification"] == {"title": "Leg day", "body": f"{user.tenant.name}: Squats at 6."}
    assert message["data"] == {
        "notification_id": str(notification.pk), "type": "partner", "link": "http://localhost:3000/w/1"
    }  # fmt: skip
    assert all(call.request.headers["Authorization"] == "Bearer ya29.first" for call in send.calls)
    assert set(OutboxMessage.unscoped.values_list("device_id", "status")) == {(android.pk, "sent"), (web.pk, "sent")}


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (404, {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}, "unregistered"),
        (403, {"status": "PERMISSION_DENIED", "details": [{"errorCode": "SENDER_ID_MISMATCH"}]}, "sender_id_mismatch"),
        (400, {"status": "INVALID_ARGUMENT", "message": "Not a valid FCM registration token"}, "invalid_token"),
    ],
)  # fmt: skip
def test_fcm_dead_tokens_deactivate_the_device(user, fcm, pushed, status, error, reason) -> None:
    for detail in error.get("details", []):
        detail["@type"] = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
    device, _ = device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:dead")
    with respx.mock() as mock:
        token_route(mock)
        mock.post(FCM_SEND).respond(status, json={"error": {"code": status, "message": "x", **error}})
        notification = pushed()

    device.refresh_from_db()
    assert (device.active, device.deactivated_reason) == (False, reason)
    assert notification.push_status == "skipped"
    # The next notification does not try the dead token at all.
    with respx.mock(assert_all_mocked=True) as mock:
        assert pushed("Again").push_status == "skipped"
        assert not mock.calls


def test_fcm_unavailable_is_retried_after_retry_after(user, fcm, pushed, settings) -> None:
    device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:busy")
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False), respx.mock() as mock:
        token_route(mock)
        mock.post(FCM_SEND).respond(503, headers={"Retry-After": "120"}, json={"error": {"status": "UNAVAILABLE"}})
        notification = pushed()
    message = OutboxMessage.unscoped.get(notification=notification)
    assert (message.status, message.attempts, notification.push_status) == ("pending", 1, "pending")
    assert message.available_at == start + timedelta(seconds=120)
    assert "503" in message.last_error

    # Celery's own retry is due at +120 s; the periodic re-send only steps in a minute after that.
    with time_machine.travel(start + timedelta(seconds=179), tick=False):
        assert outbox_requeue_due() == 0
    with time_machine.travel(start + timedelta(seconds=180), tick=False), respx.mock() as mock:
        mock.post(FCM_SEND).respond(json={"name": "ok"})  # the access token is still valid: no new one
        assert outbox_requeue_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_fcm_fetches_a_new_access_token_after_a_401(user, fcm, pushed) -> None:
    device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:t")
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False), respx.mock() as mock:
        token_route(mock)
        mock.post(FCM_SEND).respond(401, json={"error": {"status": "UNAUTHENTICATED"}})
        notification = pushed()
    with time_machine.travel(start + timedelta(minutes=5), tick=False), respx.mock() as mock:
        fresh = mock.post(TOKEN_URL).respond(json={"access_token": "ya29.second", "expires_in": 3600})
        send = mock.post(FCM_SEND).respond(json={"name": "ok"})
        outbox_requeue_due()
    assert fresh.call_count == 1 and send.calls[0].request.headers["Authorization"] == "Bearer ya29.second"
    notification.refresh_from_db()
    assert notification.push_status == "sent"


def test_fcm_network_errors_are_retried_not_lost(user, fcm, pushed) -> None:
    device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:t")
    with respx.mock() as mock:
        token_route(mock)
        mock.post(FCM_SEND).mock(side_effect=httpx.ConnectTimeout("timed out"))
        notification = pushed()
    message = OutboxMessage.unscoped.get(notification=notification)
    assert (message.status, message.attempts) == ("pending", 1) and "ConnectTimeout" in message.last_error


def test_a_refused_service_account_fails_without_retrying(user, fcm, pushed) -> None:
    device, _ = device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:t")
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(400, json={"error": "invalid_grant", "error_description": "Invalid JWT"})
        notification = pushed()
    assert notification.push_status == "failed"
    device.refresh_from_db()
    assert device.active  # our credential is wrong, not the user's token


# --- APNs --------------------------------------------------------------------------------------


def test_apns_sends_with_a_provider_token_and_the_topic(user, apns, pushed) -> None:
    device_register(user=user, platform=Device.Platform.IOS, token=APNS_TOKEN)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(APNS_URL).respond(200)
        notification = pushed()

    assert notification.push_status == "sent"
    request = route.calls[0].request
    assert request.headers["apns-topic"] == "com.example.fitcore" and request.headers["apns-push-type"] == "alert"
    scheme, provider_token = request.headers["authorization"].split(" ")
    assert scheme == "bearer" and jwt.get_unverified_header(provider_token)["kid"] == "KEY1234567"
    claims = jwt.decode(provider_token, apns.public_key(), algorithms=["ES256"])
    assert claims["iss"] == "TEAM123456"
    payload = json.loads(request.content)
    assert payload["aps"]["alert"] == {"title": "Leg day", "body": f"{user.tenant.name}: Squats at 6."}
    assert payload["notification_id"] == str(notification.pk)


@pytest.mark.parametrize(("status", "reason"), [(410, "Unregistered"), (400, "BadDeviceToken")])
def test_apns_dead_tokens_deactivate_the_device(user, apns, pushed, status, reason) -> None:
    device, _ = device_register(user=user, platform=Device.Platform.IOS, token=APNS_TOKEN)
    with respx.mock() as mock:
        mock.post(APNS_URL).respond(status, json={"reason": reason})
        assert pushed().push_status == "skipped"
    device.refresh_from_db()
    assert (device.active, device.deactivated_reason) == (False, reason)


def test_apns_renews_an_expired_provider_token(user, apns, pushed) -> None:
    device_register(user=user, platform=Device.Platform.IOS, token=APNS_TOKEN)
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False), respx.mock() as mock:
        mock.post(APNS_URL).respond(403, json={"reason": "ExpiredProviderToken"})
        first = pushed()
    with time_machine.travel(start + timedelta(minutes=2), tick=False), respx.mock() as mock:
        route = mock.post(APNS_URL).respond(200)
        outbox_requeue_due()
    first.refresh_from_db()
    assert first.push_status == "sent"
    claims = jwt.decode(
        route.calls[0].request.headers["authorization"].split(" ")[1], apns.public_key(), algorithms=["ES256"]
    )
    assert claims["iat"] >= int((start + timedelta(minutes=2)).timestamp())


def test_an_fcm_token_on_an_iphone_goes_through_fcm_when_apns_is_not_configured(user, fcm, pushed) -> None:
    device_register(user=user, platform=Device.Platform.IOS, token="fcm:ios")
    with respx.mock(assert_all_called=True) as mock:
        token_route(mock)
        mock.post(FCM_SEND).respond(json={"name": "ok"})
        assert pushed().push_status == "sent"


def test_without_providers_pushes_are_logged(user, pushed, caplog) -> None:
    device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:logged-token-1234")
    with caplog.at_level(logging.INFO, logger="notification.delivery.push"), respx.mock(assert_all_mocked=True) as mock:
        assert pushed().push_status == "sent"
        assert not mock.calls
    assert "push not sent (no provider configured)" in caplog.text and "ken-1234" in caplog.text


def test_an_fcm_404_without_unregistered_is_not_the_tokens_fault(user, fcm, pushed) -> None:
    device, _ = device_register(user=user, platform=Device.Platform.ANDROID, token="fcm:fine")
    with respx.mock() as mock:
        token_route(mock)
        mock.post(FCM_SEND).respond(404, text="<html>Not Found</html>")  # a wrong project id, a proxy
        assert pushed().push_status == "failed"
    device.refresh_from_db()
    assert device.active


def test_with_apns_configured_an_iphones_fcm_token_still_goes_to_fcm(user, fcm, apns, pushed) -> None:
    device_register(user=user, platform=Device.Platform.IOS, token="fcm:ios-app-uses-firebase")
    device_register(user=user, platform=Device.Platform.IOS, token=APNS_TOKEN)
    with respx.mock(assert_all_called=True) as mock:
        token_route(mock)
        fcm_send = mock.post(FCM_SEND).respond(json={"name": "ok"})
        apns_send = mock.post(APNS_URL).respond(200)
        assert pushed().push_status == "sent"
    assert fcm_send.call_count == apns_send.call_count == 1


def test_httpx_does_not_log_request_urls_that_carry_device_tokens() -> None:
    from django.conf import settings

    assert settings.LOGGING["loggers"]["httpx"]["level"] == "WARNING"
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
