"""'Your subscription ends in three days': at 10:00 local time, once per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notification.models import Notification
from notification.schedule import LocalTimeWindow, run_local_time_hooks
from payment.models import Subscription
from users.tests.factories import ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

# 10:00 in Berlin (UTC+1 in December) is 09:00 UTC: the tick at 09:15 covers 09:00-09:15.
TEN_IN_BERLIN = LocalTimeWindow(
    start=datetime(2026, 12, 7, 9, 0, tzinfo=UTC), end=datetime(2026, 12, 7, 9, 15, tzinfo=UTC)
)


def member(tenant: Any, zone: str, *, ends_in: timedelta, cancelling: bool = True, status: str = "active") -> Any:
    user = UserFactory.create(tenant=tenant)
    ProfileFactory(user=user, timezone=zone)
    Subscription.objects.create(
        tenant=tenant,
        user=user,
        status=status,
        cancel_at_period_end=cancelling,
        current_period_end=TEN_IN_BERLIN.end + ends_in,
        gateway_subscription_id=f"sub_{user.pk}",
    )
    return user


def reminded(user: Any) -> list[str]:
    return list(Notification.unscoped.filter(user=user, type="subscription_ending").values_list("title", flat=True))


def test_reminds_cancelling_subscriptions_three_days_ahead_once(tenant: Any, settings: Any) -> None:
    due = member(tenant, "Europe/Berlin", ends_in=timedelta(days=2, hours=20))
    too_early = member(tenant, "Europe/Berlin", ends_in=timedelta(days=3, hours=2))
    too_late = member(tenant, "Europe/Berlin", ends_in=timedelta(hours=20))
    renewing = member(tenant, "Europe/Berlin", ends_in=timedelta(days=2, hours=20), cancelling=False)
    elsewhere = member(tenant, "America/New_York", ends_in=timedelta(days=2, hours=20))  # 04:00 there

    assert run_local_time_hooks(TEN_IN_BERLIN)["subscription_ending"] == 1
    assert reminded(due) == ["Your subscription ends soon"]
    body = Notification.unscoped.get(user=due).body
    assert "December 10, 2026" in body and "Resume" in body
    for user in (too_early, too_late, renewing, elsewhere):
        assert reminded(user) == []
    # The same tick again (a retry, an overlapping worker): nothing twice.
    run_local_time_hooks(TEN_IN_BERLIN)
    assert len(reminded(due)) == 1
