"""The Monday report: sent at 08:00 local time through the local-time tick, once per user and week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from health.ingest import clean_sample, upsert
from health.services import send_weekly_reports
from notification.models import Notification
from notification.schedule import LocalTimeWindow
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def window(start: datetime) -> LocalTimeWindow:
    return LocalTimeWindow(start=start, end=start + timedelta(minutes=15))


def test_monday_0800_local_sends_last_weeks_report_once(tenant) -> None:
    tokyo = UserFactory.create(tenant=tenant)
    tokyo.profile.timezone = "Asia/Tokyo"
    tokyo.profile.save()
    berlin = UserFactory.create(tenant=tenant)
    berlin.profile.timezone = "Europe/Berlin"
    berlin.profile.save()
    now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 09:00 in Tokyo, 01:00 in Berlin
    rows = [
        clean_sample(
            {"metric": "steps", "value": 7000, "start_time": (now - timedelta(days=d)).isoformat()},
            prefix="",
            default_source="manual",
            now=now,
        )
        for d in range(1, 4)
    ]
    upsert(tenant_id=tokyo.tenant_id, user_id=tokyo.pk, rows=rows)
    # Monday 08:00-08:15 in Tokyo is Sunday 23:00-23:15 UTC.
    with time_machine.travel(datetime(2026, 11, 29, 23, 15, tzinfo=UTC)):
        sent = send_weekly_reports(window(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)))
        again = send_weekly_reports(window(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)))
    assert sent == 1 and again == 1  # tried twice; the dedupe key keeps it to one notification
    notes = Notification.objects.for_tenant(tenant).filter(type="weekly_report")
    assert [n.user_id for n in notes] == [tokyo.pk]
    (note,) = notes
    assert note.link == "/api/v1/health/reports/weekly/?week=2026-11-23"
    assert "7,000 steps a day" in note.body
    # Berlin's Monday 08:00 comes seven hours later.
    with time_machine.travel(datetime(2026, 11, 30, 7, 15, tzinfo=UTC)):
        send_weekly_reports(window(datetime(2026, 11, 30, 7, 0, tzinfo=UTC)))
    assert Notification.objects.for_tenant(tenant).filter(type="weekly_report", user=berlin).count() == 1
    body = Notification.objects.for_tenant(tenant).get(type="weekly_report", user=berlin).body
    assert "No health data last week" in body


def test_the_hook_is_registered() -> None:
    from notification import schedule

    assert schedule._hooks["health_weekly_report"] is send_weekly_reports
