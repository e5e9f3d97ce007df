"""WebSocket ``/ws/notifications/``: new inbox rows as they are written, without polling.

Protocol (JSON text frames):

- Authenticate with the access token, either as ``Authorization: Bearer <access>`` on the
  upgrade request (native apps) or, from a browser, which cannot set headers, as the first
  frame: ``{"type": "authenticate", "token": "<access>"}`` within 10 seconds.
- The server answers ``{"type": "ready", "unread": <count>}``, then sends
  ``{"type": "notification", "notification": {...}}`` (the shape of ``GET /notifications/{id}/``)
  for each new inbox row of that user. ``{"type": "ping"}`` gets ``{"type": "pong"}``.
- The server closes with 4401 when the token is missing, invalid or expires, or the user
  is signed out, deactivated or suspended (checked again before every event), and with
  4400 for a frame it does not understand. Reconnect with a fresh token and read
  ``GET /notifications/`` for anything missed while offline.

The token is the credential (no cookies), so a page on another origin gains nothing by
opening the socket: no Origin check is needed, and native apps send none.

Events come through the channel layer (Redis when REDIS_URL is set). Without Redis the
layer lives in one process, and ``make run`` serves HTTP (gunicorn) and WebSocket
(uvicorn) from two: then the consumer also looks for new rows every few seconds, so the
embedded default works too, a little later.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from rest_framework import exceptions

from authapp.authentication import TenantJWTAuthentication, user_for_token

from . import realtime, selectors
from .models import Notification
from .serializers import NotificationSerializer

AUTH_TIMEOUT_SECONDS = 10
POLL_SECONDS = 3.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_FRAME = 4400


class AuthRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _authenticate(raw: Any) -> tuple[Any, Any]:
    """(user, validated token) for an access token, by the same rules as the HTTP API."""
    if not isinstance(raw, str) or not raw:
        raise AuthRefused("not_authenticated")
    try:
        token = TenantJWTAuthentication().get_validated_token(raw.encode())
        user = user_for_token(token)
    except exceptions.APIException as error:  # an invalid or expired token, a revoked session...
        code = getattr(error.detail, "code", None)
        raise AuthRefused(code if isinstance(code, str) else "token_not_valid") from None
    return user, token


def _still_allowed(token: Any) -> bool:
    try:
        user_for_token(token)
    except exceptions.APIException:
        return False
    return True


def _bearer(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, credential = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and credential.strip():
                return credential.strip()
    return None


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    user: Any = None
    token: Any = None
    group: str | None = None
    last_id = 0

    async def connect(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self.sent: set[Any] = set()
        await self.accept()
        raw = _bearer(self.scope)
        if raw is not None:
            await self._sign_in(raw)
        else:
            self._tasks.append(asyncio.ensure_future(self._close_if_anonymous()))

    async def disconnect(self, code: int) -> None:
        for task in self._tasks:
            task.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "authenticate" and self.user is None:
            await self._sign_in(content.get("token"))
        else:
            await self.send_json({"type": "error", "code": "bad_frame", "detail": "Unknown or unexpected frame."})
            await self.close(code=CLOSE_BAD_FRAME)

    async def decode_json(self, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    # --- events from the channel layer ---------------------------------------------------

    async def notification_created(self, event: dict[str, Any]) -> None:
        await self._forward(event["notification"])

    # --- internals ------------------------------------------------------------------------

    async def _sign_in(self, raw: Any) -> None:
        try:
            self.user, self.token = await database_sync_to_async(_authenticate)(raw)
        except AuthRefused as refused:
            await self._refuse(refused.code)
            return
        self.group = realtime.user_group(self.user.tenant_id, self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last_id, unread = await database_sync_to_async(self._snapshot)()
        await self.send_json({"type": "ready", "unread": unread})
        self._tasks.append(asyncio.ensure_future(self._close_at_expiry()))
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            self._tasks.append(asyncio.ensure_future(self._poll()))

    def _snapshot(self) -> tuple[int, int]:
        newest = (
            Notification.objects.for_tenant(self.user.tenant_id)
            .filter(user=self.user)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        return newest or 0, selectors.unread_count(user=self.user)

    async def _forward(self, notification: dict[str, Any]) -> None:
        # By id seen, not by "newer than the last": two transactions may commit out of id order.
        identifier = notification.get("id")
        if self.user is None or identifier in self.sent:
            return  # not signed in yet, or already sent (the poll and an event can meet)
        if not await database_sync_to_async(_still_allowed)(self.token):
            await self._refuse("token_revoked")
            return
        self.sent.add(identifier)
        if len(self.sent) > 1000:
            self.sent = set(sorted(self.sent)[-500:])
        self.last_id = max(self.last_id, identifier or 0)
        await self.send_json({"type": "notification", "notification": notification})

    async def _refuse(self, code: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": "Sign in again."})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _close_if_anonymous(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT_SECONDS)
        if self.user is None:
            await self._refuse("not_authenticated")

    async def _close_at_expiry(self) -> None:
        expires = self.token.get("exp") if self.token is not None else None
        if isinstance(expires, int | float):
            await asyncio.sleep(max(0.0, expires - time.time()))
            await self._refuse("token_expired")

    async def _poll(self) -> None:
        """Without a shared channel layer: new rows of this user, every few seconds."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            for row in await database_sync_to_async(self._newer_rows)():
                await self._forward(row)

    def _newer_rows(self) -> list[dict[str, Any]]:
        plan = NotificationSerializer.row_plan()
        rows = (
            Notification.objects.for_tenant(self.user.tenant_id)
            .filter(user=self.user, in_app=True, id__gt=self.last_id)
            .order_by("id")
            .values(*plan.scoped_columns)[:50]
        )
        return plan.render_many(rows, self.user.tenant)
