"""notify() and delivery: triggers, dedupe, preferences per channel, quiet hours, email content, retries."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from rest_framework.test import APIClient

from authapp.tests.test_social import google_sign_in, idp  # noqa: F401 - idp is a fixture
from conftest import jwt_client_for
from notification import services
from notification.models import DeliveryStatus, Device, Notification, OutboxMessage
from notification.services import QuietHoursInput, device_register, notify, outbox_requeue_due, preferences_set
from users.tests.factories import TEST_PASSWORD, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "a-Quite-long-passphrase-42"


def everything_on(user, *, quiet: tuple[time, time] | None = None) -> None:
    preferences_set(
        user=user,
        matrix={kind: {"in_app": True, "email": True, "push": True} for kind in ("partner", "system", "weekly_report")},
        quiet_hours=QuietHoursInput(start=quiet[0], end=quiet[1]) if quiet else None,
        daily_digest=False,
    )


def html_of(email: Any) -> str:
    assert isinstance(email, EmailMultiAlternatives)
    return str(email.alternatives[0][0])


def account_notes(user) -> list[Notification]:
    return list(Notification.unscoped.filter(user=user, type="account").order_by("id"))


# --- triggers: exactly one notification each ------------------------------------------------


def test_registration_welcomes_in_app_once_without_a_second_email(
    api_client: APIClient, tenant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"email": "new@example.com", "password": STRONG},
            format="json",
            HTTP_X_TENANT=tenant.slug,
        )
    assert response.status_code == 201
    (welcome,) = Notification.unscoped.filter(type="account")
    assert welcome.user.email == "new@example.com"
    assert welcome.title == f"Welcome to {tenant.name}" and welcome.in_app
    assert welcome.email_status == DeliveryStatus.SKIPPED  # the confirmation email is the welcome by mail
    assert len(mail.outbox) == 1 and "Welcome" not in mail.outbox[0].subject  # the confirmation only


@pytest.mark.usefixtures("idp")
def test_a_social_sign_up_is_welcomed_once_and_a_later_sign_in_is_not(api_client: APIClient, tenant) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201
    assert google_sign_in(api_client, tenant).status_code == 200

    (welcome,) = Notification.unscoped.filter(type="account")
    assert welcome.data == {"event": "welcome"} and welcome.user.email == "ada@example.com"


def test_a_repeated_sign_up_signal_welcomes_once(user) -> None:
    from allauth.account.signals import user_signed_up

    user_signed_up.send(sender=type(user), request=None, user=user)
    user_signed_up.send(sender=type(user), request=None, user=user)

    assert [n.data["event"] for n in account_notes(user)] == ["welcome"]


def test_a_password_change_notifies_once_by_email_too(user, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/auth/password/change/",
            {"old_password": TEST_PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
            format="json",
        )

    assert response.status_code == 200, response.json()
    (changed,) = account_notes(user)
    assert changed.data == {"event": "password_changed"} and changed.email_status == DeliveryStatus.SENT
    (email,) = mail.outbox
    assert email.subject == "Your password was changed" and email.to == [user.email]
    assert "If this was not you" in email.body and "always sent" in email.body


def test_security_mail_ignores_switches_and_quiet_hours(user, django_capture_on_commit_callbacks) -> None:
    preferences_set(
        user=user,
        matrix={"account": {"in_app": False, "email": True, "push": False}},
        quiet_hours=QuietHoursInput(start=time(0), end=time(23, 59)),
        daily_digest=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=user, type="account", title="Your password was changed", body="…")

    assert [m.subject for m in mail.outbox] == ["Your password was changed"]


def test_an_email_change_notifies_once(user, django_capture_on_commit_callbacks) -> None:
    old = user.email
    with django_capture_on_commit_callbacks(execute=True):
        user.email = "moved@example.com"
        user.save()
        user.first_name = "Renamed"
        user.save()  # not an email change

    (changed,) = account_notes(user)
    assert changed.data == {"event": "email_changed", "old_email": old, "new_email": "moved@example.com"}
    # The previous address hears of it too: whoever changed it may not be its owner.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([old, "moved@example.com"])
    assert {m.subject for m in mail.outbox} == {"Your email address was changed"}


# --- dedupe and channels -----------------------------------------------------------------------


def test_a_dedupe_key_makes_a_repeat_a_no_op(user, django_capture_on_commit_callbacks) -> None:
    everything_on(user)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(user=user, type="system", title="Plan ready", body="…", dedupe_key="plan:9")
        again = notify(user=user, type="system", title="Plan ready (again)", body="…", dedupe_key="plan:9")

    assert again.pk == first.pk and again.title == "Plan ready"
    assert Notification.unscoped.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
    # Per user: someone else may get the same key.
    other = UserFactory(tenant=user.tenant)
    assert notify(user=other, type="system", title="t", body="b", dedupe_key="plan:9").pk != first.pk


def test_each_channel_follows_its_switch(user, django_capture_on_commit_callbacks) -> None:
    device, _ = device_register(user=user, platform=Device.Platform.ANDROID, token="tok-1")
    preferences_set(
        user=user,
        matrix={"partner": {"in_app": False, "email": True, "push": False}},
        quiet_hours=None,
        daily_digest=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(user=user, type="partner", title="Email only", body="…")

    sent.refresh_from_db()
    assert (sent.in_app, sent.email_status, sent.push_status) == (False, "sent", "skipped")
    assert list(OutboxMessage.unscoped.values_list("channel", flat=True)) == ["email"]
    assert device.active


def test_unknown_types_are_a_programming_error(user) -> None:
    with pytest.raises(ValueError, match="Unknown notification type"):
        notify(user=user, type="newsletter", title="t", body="b")
    assert not Notification.unscoped.exists()


def test_a_rolled_back_caller_sends_nothing(user, django_capture_on_commit_callbacks) -> None:
    from django.db import transaction

    everything_on(user)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(user=user, type="system", title="t", body="b")
        raise RuntimeError("the caller's own failure")

    assert callbacks == [] and mail.outbox == []
    assert not Notification.unscoped.exists() and not OutboxMessage.unscoped.exists()


# --- quiet hours -------------------------------------------------------------------------------


def test_quiet_hours_hold_email_and_push_until_they_end_in_the_users_zone(
    user, django_capture_on_commit_callbacks
) -> None:
    ProfileFactory(user=user, timezone="America/New_York")
    everything_on(user, quiet=(time(22), time(7)))
    device_register(user=user, platform=Device.Platform.WEB, token="web-token")

    # 23:30 in New York (EST, UTC-5) is 04:30 UTC.
    with time_machine.travel(datetime(2026, 1, 15, 4, 30, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            held = notify(user=user, type="partner", title="Late news", body="…")
        held.refresh_from_db()
        assert held.in_app and (held.email_status, held.push_status) == ("pending", "pending")
        assert mail.outbox == []
        assert outbox_requeue_due() == 0
        ends = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 07:00 New York
        assert set(OutboxMessage.unscoped.values_list("available_at", flat=True)) == {ends}

    with time_machine.travel(datetime(2026, 1, 15, 11, 59, tzinfo=UTC), tick=False):
        assert outbox_requeue_due() == 0
    with time_machine.travel(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), tick=False):
        assert outbox_requeue_due() == 2  # the email and the push; eager tasks deliver them now
        assert outbox_requeue_due() == 0

    held.refresh_from_db()
    assert (held.email_status, held.push_status) == ("sent", "sent")
    assert [m.subject for m in mail.outbox] == ["Late news"]


def test_outside_quiet_hours_nothing_waits(user, django_capture_on_commit_callbacks) -> None:
    ProfileFactory(user=user, timezone="Asia/Tokyo")
    everything_on(user, quiet=(time(22), time(7)))
    noon_in_tokyo = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
    with time_machine.travel(noon_in_tokyo, tick=False), django_capture_on_commit_callbacks(execute=True):
        notify(user=user, type="partner", title="Noon", body="…")
    assert [m.subject for m in mail.outbox] == ["Noon"]


# --- email content -----------------------------------------------------------------------------


def test_email_is_rendered_per_type_with_name_brand_and_units(user, django_capture_on_commit_callbacks) -> None:
    user.first_name = "Ada"
    user.save()
    ProfileFactory(user=user, units="imperial")
    everything_on(user)
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=user,
            type="weekly_report",
            title="Your week",
            body="Nice work.",
            data={"workouts": 4, "distance_km": "10", "weight_change_kg": "-1.0"},
            link="/reports/2026-W03",
        )

    (email,) = mail.outbox
    html = html_of(email)
    assert email.subject == "Your week" and email.body.startswith("Hi Ada,")
    assert isinstance(email.body, str)
    assert "Distance: 6.21 mi" in email.body and "Weight change: -2.2 lb" in email.body
    assert (
        "http://localhost:3000/reports/2026-W03" in email.body
        and 'href="http://localhost:3000/reports/2026-W03"' in html
    )
    assert user.tenant.name in email.body and "<li>Workouts: 4</li>" in html


def test_html_email_escapes_what_users_and_partners_wrote(user, django_capture_on_commit_callbacks) -> None:
    user.first_name = "<script>alert(1)</script>"
    user.save()
    everything_on(user)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=user, type="partner", title="<b>Sale</b>", body="<img src=x onerror=alert(1)>")

    html = html_of(mail.outbox[0])
    assert "<script>" not in html and "<img" not in html and "&lt;img" in html


def test_metric_readers_get_metric(user) -> None:
    from notification.templatetags.notification_units import distance, energy, weight

    assert (weight(Decimal("80"), "metric"), weight(80, "imperial")) == ("80.0 kg", "176.4 lb")
    assert (distance("5", "metric"), energy(2000, "metric")) == ("5.00 km", "2,000 kcal (8,368 kJ)")
    assert weight("not a number", "metric") == ""


# --- failures and retries ----------------------------------------------------------------------


def test_a_mail_server_failure_is_retried_with_backoff_then_failed(
    user, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    everything_on(user)
    calls: list[str] = []

    def refuse(self, *args, **kwargs):
        calls.append("send")
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        sent = notify(user=user, type="system", title="t", body="b")
    message = OutboxMessage.unscoped.get(notification=sent)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.available_at == start + timedelta(seconds=settings.NOTIFICATION_RETRY_BACKOFF)
    assert "connection lost" in message.last_error

    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        outbox_requeue_due()  # second attempt: backoff doubles
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 2)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        outbox_requeue_due()  # third and last
    message.refresh_from_db()
    sent.refresh_from_db()
    assert (message.status, message.attempts, sent.email_status) == ("failed", 3, "failed")
    assert len(calls) == 3
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert outbox_requeue_due() == 0  # a failed row stays failed


def test_a_delivered_row_is_never_sent_again(user, django_capture_on_commit_callbacks) -> None:
    everything_on(user)
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(user=user, type="system", title="once", body="b")
    message = OutboxMessage.unscoped.get(notification=sent)

    assert services.outbox_deliver(message_id=message.pk) == "gone"
    assert len(mail.outbox) == 1


def test_a_deactivated_user_gets_no_email(user, django_capture_on_commit_callbacks) -> None:
    everything_on(user)
    user.is_active = False
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(user=user, type="system", title="t", body="b")
    sent.refresh_from_db()
    assert sent.email_status == "skipped" and mail.outbox == []


# --- found in review --------------------------------------------------------------------------


def test_a_held_push_does_not_follow_the_token_to_its_next_owner(user, tenant, monkeypatch) -> None:
    from notification.delivery import push

    ProfileFactory(user=user, timezone="UTC")
    everything_on(user, quiet=(time(0), time(23, 59)))
    device_register(user=user, platform=Device.Platform.ANDROID, token="shared-phone")
    held = notify(user=user, type="partner", title="For the first owner", body="…")
    new_owner = UserFactory(tenant=tenant)
    device_register(user=new_owner, platform=Device.Platform.ANDROID, token="shared-phone")
    sent: list[str] = []
    monkeypatch.setattr(push.LoggingPushProvider, "send", lambda self, token, message: sent.append(message.title))
    message = OutboxMessage.unscoped.get(notification=held, channel="push")
    OutboxMessage.unscoped.filter(pk=message.pk).update(available_at=datetime.now(tz=UTC))
    assert services.outbox_deliver(message_id=message.pk) == "invalid_target"
    assert sent == []
    held.refresh_from_db()
    assert held.push_status == "skipped" and Device.unscoped.get().active  # the new owner's phone stays on


def test_an_unexpected_sender_error_counts_as_an_attempt(user, settings, monkeypatch) -> None:
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    everything_on(user)
    monkeypatch.setattr(
        "notification.delivery.email.render_email", lambda *args: (_ for _ in ()).throw(KeyError("template"))
    )
    sent = notify(user=user, type="system", title="t", body="b")
    message = OutboxMessage.unscoped.get(notification=sent)

    with pytest.raises(services.TransientDeliveryError):
        services.outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1) and "KeyError" in message.last_error
    OutboxMessage.unscoped.filter(pk=message.pk).update(available_at=datetime.now(tz=UTC))
    assert services.outbox_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)


def test_signing_a_device_out_skips_its_held_deliveries(user) -> None:
    everything_on(user, quiet=(time(0), time(23, 59)))
    device, _ = device_register(user=user, platform=Device.Platform.IOS, token="ab" * 32)
    held = notify(user=user, type="partner", title="t", body="b")
    services.device_delete(device=device)

    message = OutboxMessage.unscoped.get(notification=held, channel="push")
    OutboxMessage.unscoped.filter(pk=message.pk).update(available_at=datetime.now(tz=UTC))
    assert services.outbox_deliver(message_id=message.pk) == "invalid_target"
    held.refresh_from_db()
    assert held.push_status == "skipped"


def test_long_titles_are_shortened_not_refused(user, tenant) -> None:
    tenant.name = "N" * 199  # "Welcome to " makes it 210
    tenant.save()
    from allauth.account.signals import user_signed_up

    user_signed_up.send(sender=type(user), request=None, user=user)
    (welcome,) = account_notes(user)
    assert len(welcome.title) == 200 and welcome.title.endswith("…")


def test_partner_dedupe_keys_cannot_cancel_our_own(user, tenant) -> None:
    from notification.models import Broadcast
    from notification.services import broadcast_run, partner_message_send

    broadcast = Broadcast.objects.create(tenant=tenant, title="From FitCore", body="…")
    partner_message_send(recipient=user, title="Sneaky", body="…", dedupe_key=broadcast.dedupe_key)

    broadcast_run(broadcast_id=broadcast.pk)
    assert Notification.unscoped.filter(user=user, title="From FitCore").exists()


def test_sends_that_kill_their_worker_stop_at_the_attempt_budget(user, settings) -> None:
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    everything_on(user)
    message = OutboxMessage.unscoped.get(notification=notify(user=user, type="system", title="t", body="b"))
    # Two claims whose workers died mid-send: attempts counted, outcomes never recorded.
    OutboxMessage.unscoped.filter(pk=message.pk).update(attempts=2, available_at=datetime.now(tz=UTC))

    assert services.outbox_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == "failed" and "worker lost" in message.last_error
    assert mail.outbox == []


def test_a_late_outcome_does_not_overwrite_a_newer_claims(user, monkeypatch) -> None:
    """A worker whose lease ran out while it sent: another claimed and delivered the row since."""
    everything_on(user)
    message = OutboxMessage.unscoped.get(notification=notify(user=user, type="system", title="t", body="b"))

    def slow_then_refused(notification, address=None):
        # Meanwhile the lease ran out and another worker claimed and sent the row.
        OutboxMessage.unscoped.filter(pk=message.pk).update(attempts=2, status="sent")
        from notification.delivery import DeliveryFailed

        raise DeliveryFailed("refused, too late to matter")

    monkeypatch.setattr("notification.delivery.email.send_email", slow_then_refused)
    services.outbox_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == "sent"


@pytest.mark.parametrize("previous", ["", "MOVED@EXAMPLE.COM"])
def test_the_email_change_copy_skips_blank_and_same_mailbox_addresses(user, previous) -> None:
    user.email = "moved@example.com"
    user.save()
    OutboxMessage.unscoped.all().delete()

    notify(user=user, type="account", title="Your email address was changed", body="…", copy_to=[previous])

    assert list(OutboxMessage.unscoped.values_list("address", flat=True)) == [""]  # the user's own only


def test_quiet_hours_hold_through_the_repeated_hour_of_a_fall_back_night() -> None:
    from notification.preferences import QuietHours

    quiet = QuietHours(start=time(22), end=time(1, 30), timezone="America/New_York")
    # 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST. 06:10 UTC is the second 01:10.
    moment = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert quiet.contains(moment)
    assert quiet.next_end(moment) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # the second 01:30, not the first
    # The first pass (05:10 UTC, 01:10 EDT) ends at the first 01:30.
    assert quiet.next_end(datetime(2026, 11, 1, 5, 10, tzinfo=UTC)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # An ordinary night: 23:30 EST ends at 01:30 the next morning.
    assert quiet.next_end(datetime(2026, 1, 15, 4, 30, tzinfo=UTC)) == datetime(2026, 1, 15, 6, 30, tzinfo=UTC)


def test_an_end_inside_a_spring_forward_gap_is_never_before_the_jump() -> None:
    from notification.preferences import QuietHours

    quiet = QuietHours(start=time(23), end=time(2, 30), timezone="America/New_York")
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 does not exist.
    end = quiet.next_end(datetime(2026, 3, 8, 6, 0, tzinfo=UTC))  # 01:00 EST, inside
    assert datetime(2026, 3, 8, 7, 0, tzinfo=UTC) <= end <= datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert not quiet.contains(end)
