"""The transactional outbox against a real broker: nothing is lost while it is down, nothing sent twice after.

Needs Redis (REDIS_URL, as in CI): the broker and the worker are real, as in production.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import api_key_client_for
from fitcore.celery import app as celery_app
from notification.models import Notification, OutboxMessage
from notification.services import outbox_requeue_due, preferences_set
from notification.tasks import requeue_outbox
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CLOSED_PORT_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens


@pytest.fixture
def queue() -> Iterator[str]:
    """The app on a broker (down until the test says otherwise), tasks on a queue of this test's own."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL unset: the embedded default has no broker")
    name = f"test-outbox-{uuid.uuid4().hex}"
    keys = ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        task_always_eager=False, broker_url=CLOSED_PORT_BROKER, result_backend=redis_url, task_default_queue=name
    )
    reconnect()
    yield name
    celery_app.conf.update(saved)
    reconnect()


def reconnect() -> None:
    """Drop every broker connection and producer: the next publish connects to the current URL."""
    kombu.pools.reset()  # kombu's process-wide producer pools, keyed by connection
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def broker_returns() -> None:
    celery_app.conf.broker_url = os.environ["REDIS_URL"]
    reconnect()


def test_notify_survives_a_broker_outage_and_is_delivered_exactly_once_after(queue: str, tenant) -> None:
    user = UserFactory.create(tenant=tenant)
    preferences_set(
        user=user,
        matrix={"partner": {"in_app": True, "email": True, "push": False}},
        quiet_hours=None,
        daily_digest=False,
    )
    partner: APIClient = api_key_client_for(tenant, scopes=["notifications:write"])

    # The broker is down: the request still succeeds, and the rows are there.
    response = partner.post(
        "/api/v1/notifications/send/", {"user": user.pk, "title": "Broker down", "body": "…"}, format="json"
    )
    assert response.status_code == 201, response.json()
    notification = Notification.unscoped.get(pk=response.json()["id"])
    (message,) = OutboxMessage.unscoped.filter(notification=notification)
    assert (message.status, message.attempts) == ("pending", 0)
    assert mail.outbox == []

    # Back up; a minute later the periodic re-send (as beat runs it) finds the row, and a real
    # worker delivers it. Running the re-send again sends nothing more.
    broker_returns()
    OutboxMessage.unscoped.filter(pk=message.pk).update(enqueued_at=timezone.now() - timedelta(minutes=2))
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        assert requeue_outbox.apply_async(queue=queue).get(timeout=20) == 1
        for _ in range(200):
            message.refresh_from_db()
            if message.status != "pending":
                break
            time.sleep(0.05)
        assert outbox_requeue_due(now=timezone.now() + timedelta(minutes=5)) == 0

    message.refresh_from_db()
    notification.refresh_from_db()
    assert (message.status, message.attempts, notification.email_status) == ("sent", 1, "sent")
    assert [m.subject for m in mail.outbox] == ["Broker down"]


def test_two_deliveries_of_one_row_send_once(queue: str, tenant) -> None:
    """The queue's copy and the re-send's copy of one row, run by a real worker: one email."""
    from notification.services import notify
    from notification.tasks import deliver_outbox_message

    user = UserFactory.create(tenant=tenant)
    preferences_set(
        user=user,
        matrix={"system": {"in_app": True, "email": True, "push": True}},
        quiet_hours=None,
        daily_digest=False,
    )
    notification = notify(user=user, type="system", title="Twice queued", body="…")  # broker down: not queued
    message = OutboxMessage.unscoped.get(notification=notification)
    broker_returns()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        results = [deliver_outbox_message.apply_async(kwargs={"message_id": message.pk}, queue=queue) for _ in range(2)]
        assert sorted(result.get(timeout=20) for result in results) == ["gone", "sent"]
    assert [m.subject for m in mail.outbox] == ["Twice queued"]
