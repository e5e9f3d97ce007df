"""Firebase Cloud Messaging, HTTP v1 API: one POST per device token.

Authentication is an OAuth2 access token for the service account (google-auth signs
the assertion and exchanges it; the token is reused until it nears expiry). Both the
token exchange and the send go through one ``httpx.Client``, which tests replace at the
transport (respx). Error handling follows FCM's documented error codes:

- ``UNREGISTERED`` (404), ``SENDER_ID_MISMATCH`` (403), and ``INVALID_ARGUMENT`` (400)
  about the registration token: the token is dead, the device is deactivated;
- ``QUOTA_EXCEEDED`` (429), ``UNAVAILABLE`` (503), ``INTERNAL`` (500): retried, after
  ``Retry-After`` when given;
- an expired access token (401): a fresh one on the retry;
- anything else (``THIRD_PARTY_AUTH_ERROR``, other invalid arguments): failed, not retried.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from . import DeliveryFailed, InvalidTarget, RetryableDeliveryError
from .push import PushMessage

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
ENDPOINT = "https://fcm.googleapis.com/v1/projects/{project_id}/messages:send"
_FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


class _HttpxResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return dict(self._response.headers)

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxAuthRequest(google.auth.transport.Request):
    """google-auth's transport interface over an httpx client (google-auth ships requests/urllib3 ones)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _HttpxResponse:
        try:
            response = self._client.request(
                method, url, content=body, headers=dict(headers or {}), timeout=timeout or self._client.timeout
            )
        except httpx.HTTPError as error:
            raise google.auth.exceptions.TransportError(str(error)) from error
        return _HttpxResponse(response)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


class FcmProvider:
    name = "fcm"

    def __init__(
        self,
        *,
        project_id: str,
        service_account_info: dict[str, Any],
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._url = ENDPOINT.format(project_id=project_id)
        self._credentials = service_account.Credentials.from_service_account_info(service_account_info, scopes=[SCOPE])
        self._client = client or httpx.Client(timeout=timeout)
        self._lock = threading.Lock()

    def _access_token(self) -> str:
        with self._lock:
            if not self._credentials.valid:
                try:
                    self._credentials.refresh(HttpxAuthRequest(self._client))
                except google.auth.exceptions.TransportError as error:
                    raise RetryableDeliveryError(f"FCM: could not reach Google's token endpoint: {error}") from error
                except google.auth.exceptions.RefreshError as error:
                    if getattr(error, "retryable", False):
                        raise RetryableDeliveryError(f"FCM: token endpoint: {error}") from error
                    raise DeliveryFailed(f"FCM: the service account was refused: {error}") from error
            return str(self._credentials.token)

    def _forget_access_token(self) -> None:
        with self._lock:
            self._credentials.token = None

    def send(self, token: str, message: PushMessage) -> None:
        payload = {
            "message": {
                "token": token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
                "android": {"priority": "high"},
                "apns": {"payload": {"aps": {"sound": "default"}}},
            }
        }
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        try:
            response = self._client.post(self._url, json=payload, headers=headers)
        except httpx.HTTPError as error:
            raise RetryableDeliveryError(f"FCM: {type(error).__name__}: {error}") from error
        if response.is_success:
            return
        self._raise_for(response)

    def _raise_for(self, response: httpx.Response) -> None:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        status = str(error.get("status", ""))
        text = str(error.get("message", response.text[:200]))
        codes = {
            str(detail.get("errorCode"))
            for detail in error.get("details", [])
            if isinstance(detail, dict) and detail.get("@type") == _FCM_ERROR_TYPE
        }
        code = next(iter(codes), status)
        summary = f"FCM {response.status_code} {code}: {text}"
        if code == "UNREGISTERED":  # by FCM's code only: a wrong project id or a proxy's 404 is not the token's fault
            raise InvalidTarget(summary, reason="unregistered")
        if code == "SENDER_ID_MISMATCH":
            raise InvalidTarget(summary, reason="sender_id_mismatch")
        if code == "INVALID_ARGUMENT" and "token" in text.lower():
            raise InvalidTarget(summary, reason="invalid_token")
        if response.status_code == 401 and code != "THIRD_PARTY_AUTH_ERROR":
            self._forget_access_token()
            raise RetryableDeliveryError(summary)
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableDeliveryError(summary, retry_after=_retry_after(response))
        raise DeliveryFailed(summary)
