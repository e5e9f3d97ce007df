"""Local-time work: the windows hooks see, the daily digest, and the sections users' export and dashboard get."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from conftest import jwt_client_for
from notification.models import NotificationSettings
from notification.schedule import (
    LocalTimeWindow,
    register_local_time_hook,
    run_local_time_hooks,
    send_daily_digests,
    unregister_local_time_hook,
)
from notification.services import QuietHoursInput, notification_mark_read, notify, preferences_set
from notification.tasks import local_time_tick
from users.tests.factories import ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def window(start: datetime) -> LocalTimeWindow:
    return LocalTimeWindow(start=start, end=start + timedelta(minutes=15))


def test_a_tick_covers_the_previous_quarter_hour() -> None:
    assert LocalTimeWindow.before(datetime(2026, 3, 2, 8, 7, 31, tzinfo=UTC)) == LocalTimeWindow(
        start=datetime(2026, 3, 2, 7, 45, tzinfo=UTC), end=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    )


def test_zones_at_a_local_time_and_weekday(user, tenant) -> None:
    ProfileFactory(user=user, timezone="Asia/Kolkata")  # UTC+5:30
    ProfileFactory(user=UserFactory(tenant=tenant), timezone="America/New_York")
    # Monday 2026-03-02 08:00 in Kolkata is 02:30 UTC.
    monday = window(datetime(2026, 3, 2, 2, 30, tzinfo=UTC))

    assert monday.zones_at(time(8)) == ["Asia/Kolkata"]
    assert monday.zones_at(time(8), weekday=0) == ["Asia/Kolkata"]
    assert monday.zones_at(time(8), weekday=1) == []
    assert window(datetime(2026, 3, 2, 2, 45, tzinfo=UTC)).zones_at(time(8)) == []  # the next window: once


def test_local_times_across_daylight_saving_changes() -> None:
    zone = "America/New_York"
    # Spring forward, 2026-03-08: 02:30 does not exist; it happens at 03:30 EDT (07:30 UTC).
    assert window(datetime(2026, 3, 8, 7, 30, tzinfo=UTC)).local_occurrence(zone, time(2, 30)) is not None
    # Fall back, 2026-11-01: 01:30 happens twice; the first one (EDT, 05:30 UTC) counts.
    assert window(datetime(2026, 11, 1, 5, 30, tzinfo=UTC)).local_occurrence(zone, time(1, 30)) is not None
    assert window(datetime(2026, 11, 1, 6, 30, tzinfo=UTC)).local_occurrence(zone, time(1, 30)) is None


def test_hooks_run_on_their_own_and_a_failing_one_is_logged(caplog) -> None:
    seen: list[LocalTimeWindow] = []

    def counting(w: LocalTimeWindow) -> int:
        seen.append(w)
        return 3

    def broken(w: LocalTimeWindow) -> int:
        raise RuntimeError("a bug in another app")

    register_local_time_hook("test_counting", counting)
    register_local_time_hook("test_broken", broken)
    try:
        with time_machine.travel(datetime(2026, 3, 2, 8, 1, tzinfo=UTC), tick=False):
            results = local_time_tick()
        with pytest.raises(ValueError, match="already registered"):
            register_local_time_hook("test_counting", broken)
    finally:
        unregister_local_time_hook("test_counting")
        unregister_local_time_hook("test_broken")
    assert results["test_counting"] == 3 and results["test_broken"] == -1 and "daily_digest" in results
    assert seen == [
        LocalTimeWindow(start=datetime(2026, 3, 2, 7, 45, tzinfo=UTC), end=datetime(2026, 3, 2, 8, tzinfo=UTC))
    ]
    assert "local-time hook test_broken failed" in caplog.text


# --- the daily digest ------------------------------------------------------------------------


def digest_user(tenant, zone: str = "Europe/Berlin", quiet: tuple[time, time] | None = None):
    reader = UserFactory(tenant=tenant, first_name="Lena")
    ProfileFactory(user=reader, timezone=zone)
    preferences_set(
        user=reader,
        matrix={},
        quiet_hours=QuietHoursInput(start=quiet[0], end=quiet[1]) if quiet else None,
        daily_digest=True,
    )
    return reader


def test_the_digest_lists_the_days_unread_once_a_local_day(tenant, settings) -> None:
    settings.NOTIFICATION_DIGEST_HOUR = 8
    reader = digest_user(tenant)
    with time_machine.travel(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), tick=False):
        notify(user=reader, type="workout_reminder", title="Leg day tomorrow", body="…")
        read = notify(user=reader, type="achievement_unlocked", title="Already read", body="…")
        notification_mark_read(notification=read)
    mail.outbox.clear()

    # 07:45 in Berlin (UTC+1): not yet. 08:00: yes. Again at 08:15: no, once a day.
    assert send_daily_digests(window(datetime(2026, 3, 2, 6, 30, tzinfo=UTC))) == 0
    assert send_daily_digests(window(datetime(2026, 3, 2, 6, 45, tzinfo=UTC))) == 1
    assert send_daily_digests(window(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))) == 0

    (email,) = mail.outbox
    assert email.subject == f"1 unread notification from {tenant.name}" and email.to == [reader.email]
    assert "Hi Lena," in email.body and "Leg day tomorrow" in email.body and "Already read" not in email.body
    assert str(NotificationSettings.unscoped.get(user=reader).last_digest_on) == "2026-03-02"


def test_no_unread_no_digest_and_opted_out_users_get_none(tenant) -> None:
    digest_user(tenant)  # nothing unread
    other = UserFactory(tenant=tenant)
    notify(user=other, type="system", title="t", body="b")  # has unread, but never asked for digests
    mail.outbox.clear()

    assert send_daily_digests(window(datetime(2026, 3, 2, 7, 45, tzinfo=UTC))) == 0
    assert mail.outbox == []


def test_quiet_hours_postpone_the_digest(tenant, settings) -> None:
    settings.NOTIFICATION_DIGEST_HOUR = 8
    reader = digest_user(tenant, zone="UTC", quiet=(time(22), time(9, 30)))
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
        notify(user=reader, type="system", title="Overnight news", body="…")
    mail.outbox.clear()

    assert send_daily_digests(window(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))) == 0
    assert send_daily_digests(window(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))) == 1
    assert [m.subject for m in mail.outbox] == [f"1 unread notification from {tenant.name}"]


def test_hooks_are_called_with_the_tick_window() -> None:
    with time_machine.travel(datetime(2026, 3, 2, 8, 1, tzinfo=UTC), tick=False):
        results = run_local_time_hooks(LocalTimeWindow.before(datetime.now(tz=UTC)))
    # Every registered hook ran (later apps add theirs), none failed (-1), and nothing was due.
    assert results["daily_digest"] == 0
    assert set(results.values()) == {0}


# --- sections in users' export and dashboard --------------------------------------------------


def test_the_export_and_dashboard_carry_the_users_notifications(user) -> None:
    from notification.services import device_register

    notify(user=user, type="system", title="Exported", body="…", data={"k": 1})
    device_register(user=user, platform="ios", token="ff" * 32, app_version="3.1")
    client = jwt_client_for(user)

    export = client.get("/api/v1/users/me/export/").json()["sections"]["notifications"]
    assert [n["title"] for n in export["notifications"]] == ["Exported"]
    assert export["notifications"][0]["data"] == {"k": 1}
    assert export["devices"][0]["platform"] == "ios" and "token" not in export["devices"][0]
    assert export["preferences"]["types"]["account"]["email"] is True
    dashboard = client.get("/api/v1/users/me/dashboard/").json()["sections"]["notifications"]
    assert dashboard == {"unread": 1}


def test_one_refused_address_does_not_stop_the_other_digests(tenant, settings, monkeypatch, caplog) -> None:
    import smtplib

    settings.NOTIFICATION_DIGEST_HOUR = 8
    first, second = digest_user(tenant, zone="UTC"), digest_user(tenant, zone="UTC")
    for reader in (first, second):
        with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
            notify(user=reader, type="system", title="News", body="…")
    mail.outbox.clear()
    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages

    def refuse_first(self, messages):
        if messages[0].to == [first.email]:
            raise smtplib.SMTPRecipientsRefused({first.email: (550, b"no such user")})
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_first)

    assert send_daily_digests(window(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))) == 1
    assert [m.to for m in mail.outbox] == [[second.email]]
    assert f"daily digest for user {first.pk} failed" in caplog.text
