"""Apple Push Notification service over HTTP/2, with a JWT provider token (ES256, the .p8 key).

One provider token is reused for 50 minutes (Apple refuses tokens older than an hour and
throttles ones renewed more often than every 20 minutes). Responses follow Apple's
documented reasons:

- 410 ``Unregistered``, 400 ``BadDeviceToken`` / ``DeviceTokenNotForTopic``: the token is
  dead, the device is deactivated;
- 429 and 5xx: retried; 403 ``ExpiredProviderToken``: a new provider token, retried;
- anything else (``InvalidProviderToken``, ``PayloadTooLarge``, ``TopicDisallowed``…): failed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import jwt

from . import DeliveryFailed, InvalidTarget, RetryableDeliveryError
from .push import APNS_TOKEN, PushMessage

PRODUCTION = "https://api.push.apple.com"
SANDBOX = "https://api.sandbox.push.apple.com"
TOKEN_LIFETIME_SECONDS = 50 * 60
_DEAD_TOKEN_REASONS = {"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"}


class ApnsProvider:
    name = "apns"

    def __init__(
        self,
        *,
        team_id: str,
        key_id: str,
        private_key: str,
        topic: str,
        sandbox: bool = False,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._team_id = team_id
        self._key_id = key_id
        self._private_key = private_key
        self._topic = topic
        self._base = SANDBOX if sandbox else PRODUCTION
        self._client = client or httpx.Client(http2=True, timeout=timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_issued = 0.0

    def _provider_token(self) -> str:
        with self._lock:
            now = time.time()
            if self._token is None or now - self._token_issued > TOKEN_LIFETIME_SECONDS:
                self._token = jwt.encode(
                    {"iss": self._team_id, "iat": int(now)},
                    self._private_key,
                    algorithm="ES256",
                    headers={"kid": self._key_id},
                )
                self._token_issued = now
            return self._token

    def _forget_provider_token(self) -> None:
        with self._lock:
            self._token = None

    def send(self, token: str, message: PushMessage) -> None:
        if not APNS_TOKEN.fullmatch(token):
            raise InvalidTarget("Not an APNs device token (hexadecimal).", reason="invalid_token")
        payload: dict[str, Any] = {
            "aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"},
            **message.data,
        }
        headers = {
            "authorization": f"bearer {self._provider_token()}",
            "apns-topic": self._topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
        }
        try:
            response = self._client.post(f"{self._base}/3/device/{token}", json=payload, headers=headers)
        except httpx.HTTPError as error:
            raise RetryableDeliveryError(f"APNs: {type(error).__name__}: {error}") from error
        if response.status_code == 200:
            return
        try:
            reason = str(response.json().get("reason", ""))
        except ValueError:
            reason = ""
        summary = f"APNs {response.status_code} {reason or response.reason_phrase}"
        if reason in _DEAD_TOKEN_REASONS or response.status_code == 410:
            raise InvalidTarget(summary, reason=(reason or "Unregistered")[:64])
        if reason == "ExpiredProviderToken":
            self._forget_provider_token()
            raise RetryableDeliveryError(summary)
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after", "")
            raise RetryableDeliveryError(summary, retry_after=int(retry_after) if retry_after.isdigit() else None)
        raise DeliveryFailed(summary)
