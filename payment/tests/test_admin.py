"""The staff admin: plans are managed there; subscriptions, the ledger and events are read-only."""

from __future__ import annotations

from typing import Any

import pytest

from payment.models import Plan, StripeEvent, Subscription, Transaction
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_add_a_plan_and_retire_it(staff_client: Any, tenant: Any) -> None:
    response = staff_client.post(
        "/admin/payment/plan/add/",
        {
            "tenant": tenant.pk,
            "code": "gold",
            "name": "Gold",
            "description": "",
            "interval": "yearly",
            "active": "on",
            "sort_order": 0,
            "stripe_price_id": "price_gold",
            "amount": 4999,
            "currency": "eur",
            "trial_days": 14,
        },
    )
    assert response.status_code == 302, response.content[:500]
    plan = Plan.objects.get(code="gold")
    assert (plan.tenant_id, plan.amount, plan.currency, plan.trial_days) == (tenant.pk, 4999, "eur", 14)
    assert staff_client.post(f"/admin/payment/plan/{plan.pk}/delete/", {"post": "yes"}).status_code == 403
    bad = staff_client.post(
        "/admin/payment/plan/add/",
        {
            "code": "life",
            "name": "Life",
            "interval": "lifetime",
            "active": "on",
            "sort_order": 0,
            "stripe_price_id": "price_life",
            "amount": 1,
            "currency": "USD",
            "trial_days": 7,
        },
    )
    assert bad.status_code == 200 and not Plan.objects.filter(code="life").exists()  # form errors shown


def test_the_ledger_and_events_cannot_be_edited_or_deleted(staff_client: Any, tenant: Any) -> None:
    user = UserFactory.create(tenant=tenant)
    sub = Subscription.objects.create(tenant=tenant, user=user, status="active")
    line = Transaction.objects.create(
        tenant=tenant,
        user=user,
        amount=5,
        currency="usd",
        kind="charge",
        status="succeeded",
        gateway_transaction_id="in_admin",
    )
    event = StripeEvent.objects.create(event_id="evt_admin", type="invoice.paid", created="2026-12-01T00:00:00Z")
    for model, obj in (("subscription", sub), ("transaction", line), ("stripeevent", event)):
        assert staff_client.get(f"/admin/payment/{model}/").status_code == 200
        assert staff_client.get(f"/admin/payment/{model}/{obj.pk}/change/").status_code == 200  # view only
        assert staff_client.get(f"/admin/payment/{model}/add/").status_code == 403
        assert staff_client.post(f"/admin/payment/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    changed = staff_client.post(f"/admin/payment/transaction/{line.pk}/change/", {"amount": 1})
    assert changed.status_code == 403
    assert Transaction.unscoped.get(pk=line.pk).amount == 5
