"""WebSocket /ws/notifications/: open it, notify(), receive the event; and who may listen.

Through the project's channel layer: Redis when REDIS_URL is set (CI), in memory otherwise.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from authapp.tokens import issue_token_pair
from fitcore.asgi import application
from notification.services import notify
from users.services import user_sign_out_everywhere
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"


def connect_with_header(token: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, PATH, headers=[(b"authorization", f"Bearer {token}".encode())])


async def _notify(user, title: str) -> Any:
    return await database_sync_to_async(notify)(user=user, type="system", title=title, body="…")


def test_a_new_notification_arrives_on_the_open_socket(tenant) -> None:
    user = UserFactory(tenant=tenant)
    teammate = UserFactory(tenant=tenant)
    access = issue_token_pair(user)["access"]

    async def scenario() -> None:
        socket = connect_with_header(access)
        connected, _ = await socket.connect()
        assert connected
        assert await socket.receive_json_from(timeout=5) == {"type": "ready", "unread": 0}

        await _notify(teammate, "not for you")
        sent = await _notify(user, "Your plan is ready")

        event = await socket.receive_json_from(timeout=5)
        assert event["type"] == "notification"
        assert event["notification"]["id"] == sent.pk and event["notification"]["title"] == "Your plan is ready"
        assert event["notification"]["read_at"] is None
        assert await socket.receive_nothing(timeout=0.3)  # the teammate's stayed with the teammate
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
        await socket.disconnect()

    async_to_sync(scenario)()


def test_browsers_authenticate_with_the_first_frame(tenant) -> None:
    user = UserFactory(tenant=tenant)
    access = issue_token_pair(user)["access"]

    async def scenario() -> None:
        socket = WebsocketCommunicator(application, PATH)
        assert (await socket.connect())[0]
        await _notify(user, "before sign-in")  # counted, not sent: the inbox has it
        await socket.send_json_to({"type": "authenticate", "token": access})
        assert await socket.receive_json_from(timeout=5) == {"type": "ready", "unread": 1}
        sent = await _notify(user, "after sign-in")
        assert (await socket.receive_json_from(timeout=5))["notification"]["id"] == sent.pk
        await socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("token", ["not-a-jwt", "", None])
def test_bad_tokens_are_closed_with_4401(tenant, token) -> None:
    async def scenario() -> None:
        socket = WebsocketCommunicator(application, PATH)
        await socket.connect()
        await socket.send_json_to({"type": "authenticate", "token": token})
        error = await socket.receive_json_from(timeout=5)
        assert error["type"] == "error" and error["code"] in {"token_not_valid", "not_authenticated"}
        assert (await socket.receive_output(timeout=5))["code"] == 4401

    async_to_sync(scenario)()


def test_a_signed_out_user_stops_receiving_at_once(tenant) -> None:
    user = UserFactory(tenant=tenant)
    access = issue_token_pair(user)["access"]

    async def scenario() -> None:
        socket = connect_with_header(access)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        await database_sync_to_async(user_sign_out_everywhere)(user=user)
        await _notify(user, "after sign-out")
        error = await socket.receive_json_from(timeout=5)
        assert error == {"type": "error", "code": "token_revoked", "detail": "Sign in again."}
        assert (await socket.receive_output(timeout=5))["code"] == 4401

    async_to_sync(scenario)()


def test_unknown_frames_close_with_4400(tenant) -> None:
    access = issue_token_pair(UserFactory(tenant=tenant))["access"]

    async def scenario() -> None:
        socket = connect_with_header(access)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        await socket.send_to(text_data="{not json")
        assert (await socket.receive_json_from(timeout=5))["code"] == "bad_frame"
        assert (await socket.receive_output(timeout=5))["code"] == 4400

    async_to_sync(scenario)()


def test_silence_without_a_token_is_closed(tenant, monkeypatch) -> None:
    from notification import consumers

    monkeypatch.setattr(consumers, "AUTH_TIMEOUT_SECONDS", 0.1)

    async def scenario() -> None:
        socket = WebsocketCommunicator(application, PATH)
        await socket.connect()
        await asyncio.sleep(0.2)
        assert (await socket.receive_json_from(timeout=5))["code"] == "not_authenticated"

    async_to_sync(scenario)()
