"""Staff: the notification admin pages, broadcasts from the admin (a task with progress) and the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from notification.models import Broadcast, DeliveryStatus, Device, Notification, OutboxMessage
from notification.services import broadcast_run, device_register, notify
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(tenant, other_tenant) -> list[User]:
    members = [UserFactory.create(tenant=tenant) for _ in range(5)]
    UserFactory(tenant=tenant, is_active=False)
    UserFactory(tenant=other_tenant)
    return members


def test_staff_broadcast_from_the_admin_reaches_each_active_user_once(
    staff_client: Client, tenant, crowd, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/notification/broadcast/add/",
            {"tenant": tenant.pk, "title": "Maintenance tonight", "body": "22:00-23:00 UTC.", "link": ""},
        )

    assert response.status_code == 302, response.content[:2000]
    broadcast = Broadcast.unscoped.get()
    assert (broadcast.status, broadcast.total, broadcast.sent) == ("done", 5, 5)
    assert broadcast.created_by is not None and broadcast.created_by.email == "staff@fitcore.test"
    received = Notification.unscoped.filter(type="system", title="Maintenance tonight")
    assert sorted(received.values_list("user_id", flat=True)) == sorted(u.pk for u in crowd)
    page = staff_client.get("/admin/notification/broadcast/")
    assert b"5 / 5 (100%)" in page.content


def test_a_broadcast_that_runs_again_sends_nobody_a_second_copy(tenant, crowd) -> None:
    broadcast = Broadcast.objects.create(tenant=tenant, title="Once", body="…")
    notify(user=crowd[0], type="system", title="Once", body="…", dedupe_key=broadcast.dedupe_key)  # a crashed run
    Broadcast.unscoped.filter(pk=broadcast.pk).update(status="running")

    result = broadcast_run(broadcast_id=broadcast.pk)

    assert (result.status, result.sent) == ("done", 5)
    assert Notification.unscoped.filter(title="Once").count() == 5
    assert broadcast_run(broadcast_id=broadcast.pk).sent == 5  # done: nothing more
    assert Notification.unscoped.filter(title="Once").count() == 5


def test_a_sent_broadcast_cannot_be_edited_or_deleted(staff_client: Client, tenant, crowd) -> None:
    broadcast = Broadcast.objects.create(tenant=tenant, title="Fixed", body="…")
    page = staff_client.get(f"/admin/notification/broadcast/{broadcast.pk}/change/")
    assert page.status_code == 200 and b'name="title"' not in page.content
    assert (
        staff_client.post(f"/admin/notification/broadcast/{broadcast.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_the_command_shows_progress_and_refuses_bad_input(tenant, crowd) -> None:
    out = StringIO()
    call_command("broadcast", tenant=tenant.slug, title="From the shell", body="Hello", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-2] == f"[{'#' * 40}] 5/5 (100%)"
    assert lines[-1].endswith("5 of 5 users notified.")
    assert Notification.unscoped.filter(title="From the shell").count() == 5
    with pytest.raises(CommandError, match="No tenant"):
        call_command("broadcast", tenant="nope", title="t", body="b", stdout=StringIO())
    with pytest.raises(CommandError, match="title"):
        call_command("broadcast", tenant=tenant.slug, title="t" * 201, body="b", stdout=StringIO())
    with pytest.raises(CommandError, match="--body"):
        call_command("broadcast", tenant=tenant.slug, title="t", stdout=StringIO())


@pytest.mark.usefixtures("beat_entries")
def test_admin_pages_list_and_show_without_tokens(
    staff_client: Client, user, django_capture_on_commit_callbacks
) -> None:
    device, _ = device_register(user=user, platform=Device.Platform.ANDROID, token="secret-push-token-123")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=user, type="system", title="Seen by staff", body="…")
    for path in (
        "/admin/notification/notification/",
        f"/admin/notification/notification/{notification.pk}/change/",
        "/admin/notification/outboxmessage/",
        "/admin/notification/device/",
        f"/admin/notification/device/{device.pk}/change/",
        "/admin/notification/notificationpreference/",
        "/admin/notification/notificationsettings/",
        "/admin/notification/broadcast/add/",
        "/admin/django_celery_beat/periodictask/",
    ):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert b"secret-push-token-123" not in response.content, path
    beat = staff_client.get("/admin/django_celery_beat/periodictask/")
    assert b"notification: re-send the outbox" in beat.content and b"notification: local-time tick" in beat.content


def test_staff_can_retry_failed_deliveries(staff_client: Client, user, settings) -> None:
    notification = notify(user=user, type="system", title="t", body="b")
    message = OutboxMessage.unscoped.get(notification=notification)
    OutboxMessage.unscoped.filter(pk=message.pk).update(status=DeliveryStatus.FAILED, attempts=6)

    response = staff_client.post(
        "/admin/notification/outboxmessage/", {"action": "retry", "_selected_action": [str(message.pk)]}
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", settings.NOTIFICATION_MAX_ATTEMPTS - 1)
