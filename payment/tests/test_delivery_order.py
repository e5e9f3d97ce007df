"""At-least-once, any-order delivery: duplicates and shuffles end where in-order delivery ends,
and one event delivered by ten threads at once is applied once."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from notification.models import Notification
from payment.models import StripeEvent, Subscription, Transaction
from payment.selectors import has_active_access
from payment.stripe_stub import StubStripeAPI
from users.models import User
from users.tests.factories import UserFactory

from .conftest import customer_of, envelope, payload, post_event, subscription_object

DAY = 86_400
T0 = int(time.time()) - 100 * DAY
USERS = 36
SEED = 20261201


def _invoice(
    inv_id: str, customer: str, sub_id: str, *, amount: int, charge: str | None, period: tuple[int, int]
) -> dict[str, Any]:
    invoice = payload("invoice")["object"]
    invoice.update(
        id=inv_id,
        customer=customer,
        subscription=sub_id,
        amount_paid=amount,
        amount_due=amount,
        charge=charge,
        billing_reason="subscription_cycle",
        attempt_count=1,
    )
    invoice["lines"]["data"] = [
        {
            "id": f"il_{inv_id}",
            "object": "line_item",
            "amount": amount,
            "period": {"start": period[0], "end": period[1]},
            "price": {"id": "price_monthly"},
        }
    ]
    return invoice


def _refund(charge_id: str, customer: str, refunded: int) -> dict[str, Any]:
    """A charge as the pinned API version sends it: totals only, the refunds themselves at Stripe."""
    charge = payload("charge.refunded")["object"]
    charge.update(
        id=charge_id,
        customer=customer,
        amount=999,
        amount_captured=999,
        amount_refunded=refunded,
        refunded=refunded >= 999,
        payment_intent=None,
        invoice=None,
    )
    del charge["refunds"]
    return charge


def life_cycle(prefix: str, i: int, stripe_api: StubStripeAPI) -> list[dict[str, Any]]:
    """One user's year of events, in the order Stripe creates them (distinct `created` times)."""
    cus, sub = f"cus_{prefix}{i}", f"sub_{prefix}{i}"
    p1, p2, p3 = (T0, T0 + 7 * DAY), (T0 + 7 * DAY, T0 + 37 * DAY), (T0 + 37 * DAY, T0 + 67 * DAY)

    stripe_api.add_refund(f"ch_{prefix}{i}_2", f"re_{prefix}{i}_a", 300, created=p3[0] + 3 * DAY)
    stripe_api.add_refund(f"ch_{prefix}{i}_2", f"re_{prefix}{i}_b", 699, created=p3[0] + 4 * DAY)

    def sub_event(kind: str, at: int, **fields: Any) -> dict[str, Any]:
        period = fields.pop("period")
        obj = subscription_object(sub, cus, start=period[0], end=period[1], **fields)
        return envelope(
            f"customer.subscription.{kind}",
            {"object": obj},
            created=at,
            event_id=f"evt_{prefix}{i}_{at}_{kind.replace('.', '_')}",
        )

    def other(kind: str, obj: dict[str, Any], at: int) -> dict[str, Any]:
        return envelope(kind, {"object": obj}, created=at, event_id=f"evt_{prefix}{i}_{at}_{kind.replace('.', '_')}")

    events = [
        # Stripe creates the subscription incomplete and starts its trial in the same second.
        sub_event("created", T0, status="incomplete", period=p1),
        sub_event("updated", T0, status="trialing", trial_end=p1[1], period=p1),
        sub_event("trial_will_end", T0 + 4 * DAY, status="trialing", trial_end=p1[1], period=p1),
        sub_event("updated", p2[0], period=p2, trial_end=p1[1]),
        other(
            "invoice.paid",
            _invoice(f"in_{prefix}{i}_1", cus, sub, amount=999, charge=f"ch_{prefix}{i}_1", period=p2),
            p2[0] + 1,
        ),
        # The renewal as Stripe runs it: the period moves on (still active), the charge an hour
        # later fails, the subscription goes past due.
        sub_event("updated", p3[0], period=p3, trial_end=p1[1]),
        other(
            "invoice.payment_failed",
            _invoice(f"in_{prefix}{i}_2", cus, sub, amount=999, charge=None, period=p3),
            p3[0] + 3600,
        ),
        sub_event("updated", p3[0] + 3601, status="past_due", period=p3, trial_end=p1[1]),
        other(
            "invoice.paid",
            _invoice(f"in_{prefix}{i}_2", cus, sub, amount=999, charge=f"ch_{prefix}{i}_2", period=p3),
            p3[0] + DAY,
        ),
        sub_event("updated", p3[0] + DAY + 1, period=p3, trial_end=p1[1]),
        other("charge.refunded", _refund(f"ch_{prefix}{i}_2", cus, 300), p3[0] + 3 * DAY),
        other("charge.refunded", _refund(f"ch_{prefix}{i}_2", cus, 999), p3[0] + 4 * DAY),
        sub_event(
            "updated",
            p3[0] + 13 * DAY,
            period=p3,
            trial_end=p1[1],
            cancel_at_period_end=True,
            canceled_at=p3[0] + 13 * DAY,
        ),
        other("customer.updated", payload("customer.updated")["object"], p3[0] + 14 * DAY),
    ]
    ending = i % 3
    if ending == 0:  # resumed
        events.append(sub_event("updated", p3[0] + 18 * DAY, period=p3, trial_end=p1[1]))
    elif ending == 1:  # ran out
        events.append(
            sub_event(
                "deleted",
                p3[1],
                status="canceled",
                period=p3,
                trial_end=p1[1],
                canceled_at=p3[0] + 13 * DAY,
                ended_at=p3[1],
            )
        )
    return events  # ending == 2: still cancelling


def final_state(user: User, prefix: str) -> dict[str, Any]:
    row = Subscription.unscoped.select_related("plan").get(user=user)
    ledger = sorted(
        (t.kind, t.status, t.amount, t.gateway_transaction_id.replace(prefix, "*"))
        for t in Transaction.unscoped.filter(user=user)
    )
    return {
        "status": row.status,
        "plan": row.plan.code if row.plan else None,
        "period": (row.current_period_start, row.current_period_end),
        "cancel_at_period_end": row.cancel_at_period_end,
        "canceled_at": row.canceled_at,
        "trial_end": row.trial_end,
        "subscription": row.gateway_subscription_id.replace(prefix, "*"),
        "paid_until": row.paid_until,
        "has_active_access": has_active_access(User.objects.get(pk=user.pk)),
        "ledger": ledger,
    }


@pytest.mark.django_db
def test_duplicated_shuffled_deliveries_end_like_in_order_delivery(
    stripe_api: StubStripeAPI, tenant: Any, plans: Any
) -> None:
    client = APIClient()
    in_order = [UserFactory.create(tenant=tenant) for _ in range(USERS)]
    shuffled = [UserFactory.create(tenant=tenant) for _ in range(USERS)]
    for i, (a, b) in enumerate(zip(in_order, shuffled, strict=True)):
        customer_of(a, f"cus_a{i}")
        customer_of(b, f"cus_b{i}")

    for i in range(USERS):
        for event in life_cycle("a", i, stripe_api):
            assert post_event(client, event).status_code == 200

    rng = random.Random(SEED)
    deliveries = [
        event for i in range(USERS) for event in life_cycle("b", i, stripe_api) for _ in range(rng.randint(1, 5))
    ]
    rng.shuffle(deliveries)
    answers: Counter[bool] = Counter()
    for event in deliveries:
        response = post_event(client, event)
        assert response.status_code == 200
        answers[response.json()["duplicate"]] += 1

    unique = {event["id"] for event in deliveries}
    assert len(deliveries) >= 1000
    assert answers == {False: len(unique), True: len(deliveries) - len(unique)}
    assert StripeEvent.objects.filter(event_id__startswith="evt_b").count() == len(unique)
    for i, (a, b) in enumerate(zip(in_order, shuffled, strict=True)):
        assert final_state(b, f"b{i}") == final_state(a, f"a{i}"), i
    # No duplicate ledger rows: 3 charge lines (paid, failed attempt, paid) and 2 refunds per user.
    assert Transaction.unscoped.filter(user__in=shuffled).count() == 5 * USERS
    endings = Counter(final_state(b, f"b{i}")["status"] for i, b in enumerate(shuffled))
    assert endings == {"active": 2 * USERS // 3, "canceled": USERS // 3}
    print(
        f"\n{len(deliveries)} deliveries of {len(unique)} events ({answers[True]} duplicates), "
        f"{Transaction.unscoped.filter(user__in=shuffled).count()} ledger rows"
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent inserts need PostgreSQL")
def test_one_event_delivered_by_ten_threads_at_once_is_applied_once(
    transactional_db: Any, stripe_settings: Any, tenant: Any, plans: Any
) -> None:
    user = UserFactory.create(tenant=tenant)
    customer_of(user, "cus_race")
    event = envelope(
        "invoice.paid",
        {
            "object": _invoice(
                "in_race", "cus_race", "sub_race", amount=999, charge="ch_race", period=(T0, T0 + 30 * DAY)
            )
        },
    )
    body = json.dumps(event)
    workers = 10
    barrier = threading.Barrier(workers)
    answers: list[tuple[int, Any]] = []

    def deliver() -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            response = post_event(client, json.loads(body))
            answers.append((response.status_code, response.json().get("duplicate")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(answers) == {(200, False): 1, (200, True): workers - 1}
    assert Transaction.unscoped.filter(user=user).count() == 1
    assert Notification.unscoped.filter(user=user, type="payment_succeeded").count() == 1
    assert StripeEvent.objects.get(event_id=event["id"]).processed_at is not None
