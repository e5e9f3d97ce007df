"""Stripe webhooks end to end: signed deliveries of the fixture payloads through APIClient."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from notification.models import Notification
from payment.models import StripeEvent, Subscription, Transaction
from payment.selectors import has_active_access
from payment.webhooks import UNKNOWN_CUSTOMER as UNKNOWN
from users.models import User
from users.tests.factories import UserFactory

from .conftest import (
    OLD_SECRET,
    SECRET,
    WEBHOOK_URL,
    customer_of,
    envelope,
    payload,
    post_event,
    sign,
    subscription_object,
)

NOW = int(time.time())
DAY = 86_400
pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # has_active_access remembers its answer on the instance


def row(user: User) -> Subscription:
    return Subscription.unscoped.select_related("plan").get(user=user)


def notes(user: User) -> list[tuple[str, str]]:
    return list(Notification.unscoped.filter(user=user).order_by("id").values_list("type", "title"))


# --- purchases -------------------------------------------------------------------------


def test_monthly_purchase_from_checkout_to_paid_invoice(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_M5wW9RPFk9xNZ5")
    session = payload("checkout.session.completed")["object"]  # mode=subscription, paid, the real fixture
    session["client_reference_id"] = str(user.pk)
    assert deliver("checkout.session.completed", session, created=NOW - 30).status_code == 200
    assert row(user).gateway_subscription_id == "sub_1LNkeSKXBGcbgpbZ7jMqOPSi"
    assert not has_active_access(fresh(user))  # linked, but Stripe has not said "active" yet

    sub = subscription_object("sub_1LNkeSKXBGcbgpbZ7jMqOPSi", "cus_M5wW9RPFk9xNZ5", start=NOW - 20, end=NOW + 30 * DAY)
    response = deliver("customer.subscription.created", sub, created=NOW - 20)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    current = row(user)
    assert (current.status, (current.plan and current.plan.code)) == ("active", "premium-monthly")
    assert current.current_period_end == datetime.fromtimestamp(NOW + 30 * DAY, tz=UTC)
    assert has_active_access(fresh(user))

    invoice = payload("invoice")["object"]
    invoice.update(
        customer="cus_M5wW9RPFk9xNZ5",
        subscription="sub_1LNkeSKXBGcbgpbZ7jMqOPSi",
        amount_paid=999,
        billing_reason="subscription_create",
    )
    assert deliver("invoice.paid", invoice, created=NOW - 10).status_code == 200
    charge = Transaction.unscoped.get(user=user)
    assert (charge.kind, charge.status, charge.amount, charge.currency) == ("charge", "succeeded", 999, "usd")
    assert charge.gateway_transaction_id == "in_1RFFohKXBGcbgpbZk9MxzDMc"
    assert charge.gateway_payment_ref == "pi_3RFFrjKXBGcbgpbZ0mAQxeI1"  # the key its refunds will name
    assert notes(user) == [("payment_succeeded", "Payment received")]


def test_lifetime_purchase_grants_access_for_good(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_life")
    session = payload("checkout.session.completed")["object"]
    session.update(
        mode="payment",
        subscription=None,
        customer="cus_life",
        payment_intent="pi_life",
        amount_total=19900,
        metadata={"fitcore_plan": str(plans["lifetime"].pk)},
    )
    assert deliver("checkout.session.completed", session).status_code == 200
    current = row(user)
    assert (current.status, (current.plan and current.plan.code), current.current_period_end) == (
        "active",
        "premium-lifetime",
        None,
    )
    assert has_active_access(fresh(user))
    (charge,) = Transaction.unscoped.filter(user=user)
    assert (charge.amount, charge.gateway_transaction_id, charge.plan_id) == (19900, "pi_life", plans["lifetime"].pk)
    # The end of some older monthly subscription does not take lifetime access away.
    old = subscription_object(
        "sub_old", "cus_life", status="canceled", start=NOW - 60 * DAY, end=NOW - 30 * DAY, ended_at=NOW
    )
    deliver("customer.subscription.deleted", old, created=NOW + 5)
    assert has_active_access(fresh(user))


def test_a_plan_in_metadata_of_another_tenant_is_not_granted(
    deliver: Any, user: User, other_tenant: Any, plans: Any
) -> None:
    from payment.models import Plan

    theirs = Plan.objects.create(
        tenant=other_tenant, code="life", name="Theirs", interval="lifetime", stripe_price_id="price_theirs", amount=100
    )
    customer_of(user, "cus_x")
    session = payload("checkout.session.completed")["object"]
    session.update(mode="payment", customer="cus_x", payment_intent="pi_x", metadata={"fitcore_plan": str(theirs.pk)})
    assert deliver("checkout.session.completed", session).status_code == 200
    assert not has_active_access(fresh(user))
    assert not Transaction.unscoped.exists()
    assert StripeEvent.objects.get().outcome.startswith("ignored")


# --- the life cycle --------------------------------------------------------------------


@pytest.fixture
def subscribed(deliver: Any, user: User, plans: Any) -> User:
    customer_of(user, "cus_00000000000000")
    sub = subscription_object("sub_00000000000000", "cus_00000000000000", start=NOW - 29 * DAY, end=NOW + DAY)
    assert deliver("customer.subscription.created", sub, created=NOW - 29 * DAY).status_code == 200
    assert deliver("invoice.paid", paid_invoice("in_first", NOW - 29 * DAY, NOW + DAY), created=NOW - 29 * DAY + 1)
    return user


def paid_invoice(
    invoice_id: str,
    start: int,
    end: int,
    *,
    customer: str = "cus_00000000000000",
    subscription: str = "sub_00000000000000",
) -> dict[str, Any]:
    """The invoice fixture, paying ``subscription`` for the period [start, end]."""
    invoice = payload("invoice")["object"]
    invoice.update(id=invoice_id, customer=customer, subscription=subscription, amount_paid=999)
    invoice["lines"]["data"] = [{"id": f"il_{invoice_id}", "amount": 999, "period": {"start": start, "end": end}}]
    return invoice


def test_renewal_extends_the_period_and_writes_one_charge(deliver: Any, subscribed: User) -> None:
    sub = subscription_object("sub_00000000000000", "cus_00000000000000", start=NOW + DAY, end=NOW + 31 * DAY)
    invoice = payload("invoice")["object"]
    invoice.update(
        id="in_renewal",
        customer="cus_00000000000000",
        subscription="sub_00000000000000",
        amount_paid=999,
        billing_reason="subscription_cycle",
    )
    deliver("invoice.paid", invoice, created=NOW)
    deliver("customer.subscription.updated", sub, created=NOW + 1)
    current = row(subscribed)
    assert current.current_period_end == datetime.fromtimestamp(NOW + 31 * DAY, tz=UTC)
    renewals = Transaction.unscoped.exclude(gateway_transaction_id="in_first")  # the fixture's first payment
    assert list(renewals.values_list("description", "amount")) == [("Premium monthly: renewal", 999)]


def test_failed_payment_makes_it_past_due_and_tells_the_user(deliver: Any, subscribed: User) -> None:
    invoice = payload("invoice.payment_failed")["object"]  # the real fixture: parent.subscription_details
    invoice.update(customer="cus_00000000000000", attempt_count=1)
    invoice["parent"]["subscription_details"]["subscription"] = "sub_00000000000000"
    assert deliver("invoice.payment_failed", invoice, created=NOW).status_code == 200
    assert row(subscribed).status == "past_due"
    assert has_active_access(fresh(subscribed))  # until the paid period ends
    failed = Transaction.unscoped.get(status="failed")
    assert (failed.status, failed.amount, failed.gateway_transaction_id) == ("failed", 24900, "in_1234#attempt-1")
    assert notes(subscribed)[1:] == [("payment_failed", "Your payment failed")]  # after the first payment's
    # Stripe's own update says the same; the paid retry brings it back.
    sub = subscription_object(
        "sub_00000000000000", "cus_00000000000000", status="past_due", start=NOW - 29 * DAY, end=NOW + DAY
    )
    deliver("customer.subscription.updated", sub, created=NOW + 1)
    paid = payload("invoice")["object"]
    paid.update(id="in_1234", customer="cus_00000000000000", subscription="sub_00000000000000", amount_paid=24900)
    deliver("invoice.paid", paid, created=NOW + 2)
    assert row(subscribed).status == "active"
    assert sorted(
        Transaction.unscoped.exclude(gateway_transaction_id="in_first").values_list("gateway_transaction_id", "status")
    ) == [
        ("in_1234", "succeeded"),
        ("in_1234#attempt-1", "failed"),
    ]


def test_past_due_access_ends_with_the_period(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_late")
    sub = subscription_object("sub_late", "cus_late", status="past_due", start=NOW - 31 * DAY, end=NOW - DAY)
    deliver("customer.subscription.updated", sub)
    assert row(user).status == "past_due"
    assert not has_active_access(fresh(user))


def test_cancel_at_period_end_then_resume_then_deleted(deliver: Any, subscribed: User) -> None:
    cancelling = subscription_object(
        "sub_00000000000000",
        "cus_00000000000000",
        start=NOW - 29 * DAY,
        end=NOW + DAY,
        cancel_at_period_end=True,
        canceled_at=NOW,
    )
    deliver("customer.subscription.updated", cancelling, created=NOW)
    assert row(subscribed).cancel_at_period_end is True
    assert has_active_access(fresh(subscribed))
    resumed = subscription_object("sub_00000000000000", "cus_00000000000000", start=NOW - 29 * DAY, end=NOW + DAY)
    deliver("customer.subscription.updated", resumed, created=NOW + 1)
    assert row(subscribed).cancel_at_period_end is False
    # The real deleted fixture: canceled, ended after its period: access ended with the period.
    deleted = payload("subscription.deleted")["object"]
    deleted.update(customer="cus_00000000000000")
    deliver("customer.subscription.deleted", deleted, created=NOW + 2)
    current = row(subscribed)
    assert current.status == "canceled"
    assert current.current_period_end == datetime.fromtimestamp(1488987924, tz=UTC)
    assert not has_active_access(fresh(subscribed))


def test_an_immediate_cancellation_ends_access_at_once(deliver: Any, subscribed: User) -> None:
    gone = subscription_object(
        "sub_00000000000000",
        "cus_00000000000000",
        status="canceled",
        start=NOW - 29 * DAY,
        end=NOW + DAY,
        canceled_at=NOW - 5,
        ended_at=NOW - 5,
    )
    deliver("customer.subscription.deleted", gone, created=NOW)
    assert not has_active_access(fresh(subscribed))


def test_trial_will_end_notifies_once(api_client: Any, stripe_settings: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_00000000000000")
    trial = payload("subscription.trial_will_end")["object"]  # trial_end in 2022: make it the future
    trial.update(status="trialing", trial_end=NOW + 3 * DAY)
    trial["items"]["data"][0]["price"]["id"] = "price_monthly"
    event = envelope("customer.subscription.trial_will_end", {"object": trial}, created=NOW)
    assert post_event(api_client, event).status_code == 200
    assert post_event(api_client, event).json() == {"received": True, "duplicate": True}
    assert row(user).status == "trialing"
    assert notes(user) == [("subscription_ending", "Your free trial ends soon")]


# --- refunds ---------------------------------------------------------------------------


@pytest.fixture
def lifetime_buyer(deliver: Any, user: User, plans: Any) -> User:
    customer_of(user, "cus_0dUMWLtzCTagWs")  # the refund fixture's customer
    session = payload("checkout.session.completed")["object"]
    session.update(
        mode="payment",
        customer="cus_0dUMWLtzCTagWs",
        payment_intent="pm_1234",
        amount_total=1500,
        metadata={"fitcore_plan": str(plans["lifetime"].pk)},
    )
    assert deliver("checkout.session.completed", session, created=NOW - 100).status_code == 200
    return user


def test_partial_refund_is_a_new_row_and_keeps_access(deliver: Any, lifetime_buyer: User) -> None:
    charge = payload("charge.refunded")["object"]  # 1500 charged, 500 refunded, refunded=false
    assert deliver("charge.refunded", charge, created=NOW).status_code == 200
    refund = Transaction.unscoped.get(kind="refund")
    assert (refund.amount, refund.status, refund.gateway_transaction_id) == (
        500,
        "partially_refunded",
        "re_3LQOJoKXBGcbgpbZ10i9Mg75",
    )
    assert (refund.plan and refund.plan.code) == "premium-lifetime"
    assert Transaction.unscoped.get(kind="charge").status == "succeeded"  # the charge row is never edited
    assert has_active_access(fresh(lifetime_buyer))
    assert ("payment_succeeded", "Refund issued") in notes(lifetime_buyer)


def test_full_refund_adds_only_the_new_refund_and_ends_lifetime_access(deliver: Any, lifetime_buyer: User) -> None:
    deliver("charge.refunded", payload("charge.refunded")["object"], created=NOW)
    charge = payload("charge.refunded")["object"]
    second = copy.deepcopy(charge["refunds"]["data"][0])
    second.update(id="re_second", amount=1000)
    charge.update(amount_refunded=1500, refunded=True)
    charge["refunds"]["data"].insert(0, second)
    deliver("charge.refunded", charge, created=NOW + 1)
    refunds = list(
        Transaction.unscoped.filter(kind="refund")
        .order_by("id")
        .values_list("gateway_transaction_id", "amount", "status")
    )
    assert refunds == [("re_3LQOJoKXBGcbgpbZ10i9Mg75", 500, "partially_refunded"), ("re_second", 1000, "refunded")]
    assert not has_active_access(fresh(lifetime_buyer))
    assert row(lifetime_buyer).status == "canceled"


def test_refunds_not_in_the_event_are_listed_from_stripe(deliver: Any, lifetime_buyer: User, stripe_api: Any) -> None:
    """The pinned API version sends charges without their refunds: each comes from Stripe by id."""
    charge = payload("charge.refunded")["object"]
    del charge["refunds"]
    stripe_api.add_refund("ch_chargeid", "re_first", 500, created=NOW - 10)
    stripe_api.add_refund("ch_chargeid", "re_bounced", 1000, created=NOW - 9, status="failed")  # gave nothing back
    deliver("charge.refunded", charge, created=NOW)
    stripe_api.add_refund("ch_chargeid", "re_second", 1000, created=NOW - 5)
    deliver("charge.refunded", {**charge, "amount_refunded": 1500, "refunded": True}, created=NOW + 1)
    assert stripe_api.calls("/v1/refunds")[0].params == {"charge": "ch_chargeid", "limit": "100"}
    rows = (
        Transaction.unscoped.filter(kind="refund")
        .order_by("id")
        .values_list("gateway_transaction_id", "amount", "status")
    )
    assert list(rows) == [("re_first", 500, "partially_refunded"), ("re_second", 1000, "refunded")]
    assert not has_active_access(fresh(lifetime_buyer))


def test_without_stripe_refunds_are_recorded_by_their_totals(
    deliver: Any, lifetime_buyer: User, stripe_settings: Any
) -> None:
    stripe_settings.STRIPE_SECRET_KEY = ""  # nothing to ask: the totals in the events are all there is
    charge = payload("charge.refunded")["object"]
    del charge["refunds"]
    deliver("charge.refunded", charge, created=NOW)
    deliver("charge.refunded", {**charge, "amount_refunded": 800}, created=NOW + 1)
    deliver("charge.refunded", {**charge, "amount_refunded": 800}, created=NOW + 2)  # a second event, same total
    assert list(Transaction.unscoped.filter(kind="refund").order_by("id").values_list("amount", flat=True)) == [
        500,
        300,
    ]


def test_a_full_refund_delivered_before_the_purchase_grants_nothing(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_0dUMWLtzCTagWs")
    charge = payload("charge.refunded")["object"]  # payment_intent pm_1234
    charge.update(amount_refunded=1500, refunded=True)
    charge["refunds"]["data"][0]["amount"] = 1500
    deliver("charge.refunded", charge, created=NOW)
    session = payload("checkout.session.completed")["object"]
    session.update(
        mode="payment",
        customer="cus_0dUMWLtzCTagWs",
        client_reference_id=None,
        payment_intent="pm_1234",
        amount_total=1500,
        metadata={"fitcore_plan": str(plans["lifetime"].pk)},
    )
    deliver("checkout.session.completed", session, created=NOW - 100)  # Stripe's retry, hours late
    assert not has_active_access(fresh(user))
    assert sorted(Transaction.unscoped.values_list("kind", "amount")) == [("charge", 1500), ("refund", 1500)]


def test_a_delayed_payment_grants_lifetime_when_it_succeeds(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_bank")
    session = payload("checkout.session.completed")["object"]
    session.update(
        mode="payment",
        customer="cus_bank",
        client_reference_id=str(user.pk),
        payment_intent="pi_bank",
        payment_status="unpaid",
        metadata={"fitcore_plan": str(plans["lifetime"].pk)},
    )
    deliver("checkout.session.completed", session, created=NOW - 60)
    assert not has_active_access(fresh(user))
    deliver("checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"}, created=NOW)
    assert has_active_access(fresh(user))


# --- ordering details -----------------------------------------------------------------------


def test_same_second_events_never_step_back_to_incomplete(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_3ds")
    active = subscription_object("sub_3ds", "cus_3ds", start=NOW, end=NOW + 30 * DAY)
    deliver("customer.subscription.updated", active, created=NOW)
    deliver("customer.subscription.created", {**active, "status": "incomplete"}, created=NOW)  # same second
    assert row(user).status == "active"
    ended = subscription_object(
        "sub_3ds", "cus_3ds", status="canceled", start=NOW, end=NOW + 30 * DAY, ended_at=NOW + 5
    )
    deliver("customer.subscription.deleted", ended, created=NOW + 5)
    deliver("customer.subscription.updated", active, created=NOW + 5)  # same second: no revival
    assert row(user).status == "canceled"


def test_a_failed_renewal_keeps_access_only_for_what_was_paid(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_late")
    first = subscription_object("sub_late", "cus_late", start=NOW - 31 * DAY, end=NOW - DAY)
    deliver("customer.subscription.created", first, created=NOW - 31 * DAY)
    deliver(
        "invoice.paid",
        paid_invoice("in_late1", NOW - 31 * DAY, NOW - DAY, customer="cus_late", subscription="sub_late"),
    )
    # Stripe's renewal: the period moves on (still "active"), the charge an hour later fails, past due.
    moved = subscription_object("sub_late", "cus_late", start=NOW - DAY, end=NOW + 29 * DAY)
    deliver("customer.subscription.updated", moved, created=NOW - DAY)
    assert row(user).paid_until == datetime.fromtimestamp(NOW - DAY, tz=UTC)  # the new period is not paid yet
    failed = paid_invoice("in_late2", NOW - DAY, NOW + 29 * DAY, customer="cus_late", subscription="sub_late")
    deliver("invoice.payment_failed", {**failed, "amount_paid": 0, "status": "open"}, created=NOW - DAY + 3600)
    unpaid = subscription_object("sub_late", "cus_late", status="past_due", start=NOW - DAY, end=NOW + 29 * DAY)
    deliver("customer.subscription.updated", unpaid, created=NOW - DAY + 3601)
    current = row(user)
    assert (current.status, current.paid_until) == ("past_due", datetime.fromtimestamp(NOW - DAY, tz=UTC))
    assert not has_active_access(fresh(user))
    # Paid after all: access again, through the new period.
    deliver("invoice.paid", failed, created=NOW - 60)
    assert has_active_access(fresh(user))
    assert row(user).paid_until == datetime.fromtimestamp(NOW + 29 * DAY, tz=UTC)


def test_what_was_paid_for_one_subscription_never_carries_to_the_next(deliver: Any, user: User, plans: Any) -> None:
    customer_of(user, "cus_two")
    # A yearly subscription, paid, then cancelled at once after a month.
    year = subscription_object("sub_year", "cus_two", start=NOW - 60 * DAY, end=NOW + 305 * DAY, price="price_yearly")
    deliver("customer.subscription.created", year, created=NOW - 60 * DAY)
    deliver(
        "invoice.paid",
        paid_invoice("in_year", NOW - 60 * DAY, NOW + 305 * DAY, customer="cus_two", subscription="sub_year"),
    )
    gone = {**year, "status": "canceled", "ended_at": NOW - 30 * DAY, "canceled_at": NOW - 30 * DAY}
    deliver("customer.subscription.deleted", gone, created=NOW - 30 * DAY)
    # A monthly one since, whose second month failed: access ends with its own first month.
    month = subscription_object("sub_month", "cus_two", start=NOW - 2 * DAY, end=NOW + 28 * DAY)
    deliver("customer.subscription.created", {**month, "items": month["items"]}, created=NOW - 32 * DAY)
    deliver("customer.subscription.updated", {**month, "status": "past_due"}, created=NOW - 2 * DAY + 3600)
    current = row(user)
    assert (current.gateway_subscription_id, current.status) == ("sub_month", "past_due")
    assert current.paid_until == datetime.fromtimestamp(NOW - 2 * DAY, tz=UTC)
    assert not has_active_access(fresh(user))


def test_strings_postgresql_cannot_store_are_cleaned(api_client: Any, stripe_settings: Any) -> None:
    obj = payload("customer.updated")["object"]
    obj["description"] = "DESCRIPTION"
    # Valid JSON escapes that jsonb refuses: a NUL character and a lone surrogate.
    body = json.dumps(envelope("customer.updated", {"object": obj})).replace(
        "DESCRIPTION", r"nul\u0000 lone \ud800 end"
    )
    response = api_client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )
    assert response.status_code == 200
    stored = StripeEvent.objects.get().payload["data"]["object"]["description"]
    assert stored == "nul lone ? end"


# --- what is refused, and what is only recorded -------------------------------------------------


def test_unknown_type_is_recorded_and_acknowledged(deliver: Any, user: User) -> None:
    response = deliver("customer.updated", payload("customer.updated")["object"])
    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert (event.type, event.outcome) == ("customer.updated", "unhandled type: recorded and acknowledged")
    assert event.processed_at is not None


def test_an_unknown_customer_changes_nothing(deliver: Any, user: User, plans: Any) -> None:
    sub = subscription_object("sub_x", "cus_nobody", start=NOW, end=NOW + DAY)
    assert deliver("customer.subscription.created", sub).status_code == 200
    assert not Subscription.unscoped.exists()
    assert "no user of ours" in StripeEvent.objects.get().outcome


def test_metadata_and_references_cannot_name_the_user(deliver: Any, user: User, tenant: Any, plans: Any) -> None:
    sub = subscription_object("sub_x", "cus_nobody", start=NOW, end=NOW + DAY)
    sub["metadata"] = {"fitcore_user": str(user.pk), "tenant": str(user.tenant_id)}
    deliver("customer.subscription.created", sub)
    # A checkout on a customer we never made, naming our user in every field a payer could touch.
    session = payload("checkout.session.completed")["object"]
    session.update(
        mode="payment",
        customer="cus_nobody",
        client_reference_id=str(user.pk),
        payment_intent="pi_x",
        metadata={"fitcore_user": str(user.pk), "fitcore_plan": str(plans["lifetime"].pk)},
    )
    deliver("checkout.session.completed", session)
    # Our customer, with someone else's reference: refused too.
    customer_of(user, "cus_ours")
    other = UserFactory.create(tenant=tenant)
    deliver("checkout.session.completed", {**session, "customer": "cus_ours", "client_reference_id": str(other.pk)})
    assert not has_active_access(fresh(user)) and not has_active_access(fresh(other))
    assert not Transaction.unscoped.exists()
    assert list(StripeEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        UNKNOWN,
        UNKNOWN,
        "ignored: client_reference_id is not the customer's user",
    ]


def _body() -> str:
    sub = subscription_object("sub_x", "cus_x", start=NOW, end=NOW + DAY)
    return json.dumps(envelope("customer.subscription.created", {"object": sub}))


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (lambda body: sign(body, secret="whsec_forged"), "invalid_signature"),
        (lambda body: sign(body + " "), "invalid_signature"),  # signed a different body
        (lambda body: sign(body, timestamp=int(time.time()) - 301), "stale_signature"),
        (lambda body: "t=abc,v1=00", "invalid_signature"),
        (lambda body: "", "invalid_signature"),
        (lambda body: f"t={int(time.time())},v1=\u00e9", "invalid_signature"),  # non-ASCII: Stripe's compare raises
        # A captured old signature with a fresh t= added: Stripe's helper reads the first t=
        # (int() takes the underscores), our staleness check must not read the second.
        (
            lambda body: sign(body, timestamp=1_700_000_000).replace(
                "t=1700000000", f"t=1_700_000_000,t={int(time.time())}"
            ),
            "invalid_signature",
        ),
        (lambda body: sign(body).replace("t=", "t=+"), "invalid_signature"),
    ],
    ids=["forged", "tampered", "stale", "garbled", "missing", "non-ascii", "two-timestamps", "signed-timestamp"],
)
def test_bad_signatures_are_400_and_write_nothing(
    api_client: Any, stripe_settings: Any, user: User, plans: Any, header: Any, code: str
) -> None:
    customer_of(user, "cus_x")
    body = _body()
    response = api_client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header(body)
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert not StripeEvent.objects.exists()
    assert row(user).status == "inactive"


def test_a_signature_inside_the_tolerance_is_accepted(
    api_client: Any, stripe_settings: Any, user: User, plans: Any
) -> None:
    customer_of(user, "cus_x")
    body = _body()
    signature = sign(body, timestamp=int(time.time()) - 290)
    response = api_client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 200
    assert row(user).status == "active"


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '{"id": "evt_1", "type": "x", "created": 1}',
        '{"id": 5, "type": "x", "created": 1, "data": {"object": {}}}',
        '"\\ud800"',
        '{"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"amount": NaN}}}',
        '{"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"amount": 1e999}}}',
        '{"id": "evt_1", "type": "x", "created": 1, "data": {"object": ' + "[" * 100_000 + "]" * 100_000 + "}}",
    ],
    ids=["truncated", "array", "no-data", "bad-id", "lone-surrogate", "nan", "infinite", "deep"],
)
def test_malformed_bodies_are_400_after_the_signature_holds(api_client: Any, stripe_settings: Any, body: str) -> None:
    response = api_client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    assert not StripeEvent.objects.exists()


def test_rotation_accepts_old_and_new_secrets(api_client: Any, stripe_settings: Any, user: User, plans: Any) -> None:
    stripe_settings.STRIPE_WEBHOOK_SECRETS = [SECRET, OLD_SECRET]
    customer_of(user, "cus_x")
    sub = subscription_object("sub_x", "cus_x", start=NOW, end=NOW + DAY)
    old = post_event(
        api_client, envelope("customer.subscription.created", {"object": sub}, created=NOW), secret=OLD_SECRET
    )
    assert old.status_code == 200
    assert row(user).status == "active"
    # Stripe signs with both during the overlap: one header, two v1 values.
    body = json.dumps(
        envelope("customer.subscription.updated", {"object": {**sub, "cancel_at_period_end": True}}, created=NOW + 1)
    )
    # The first v1 matches neither configured secret: the second, the current one's, must be found.
    at = int(time.time())
    both = sign(body, secret="whsec_neither", timestamp=at) + "," + sign(body, timestamp=at).split(",")[1]
    assert (
        api_client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=both).status_code
        == 200
    )
    assert row(user).cancel_at_period_end is True
    stripe_settings.STRIPE_WEBHOOK_SECRETS = [SECRET]  # rotation over: the old secret no longer works
    late = post_event(
        api_client, envelope("customer.subscription.updated", {"object": sub}, created=NOW + 2), secret=OLD_SECRET
    )
    assert late.status_code == 400


def test_no_webhook_secret_is_503(api_client: Any, settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRETS = []
    body = _body()
    response = api_client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )
    assert response.status_code == 503
    assert response.json()["code"] == "payments_not_configured"


def test_a_handler_failure_rolls_back_answers_500_and_the_retry_applies(
    api_client: Any, stripe_settings: Any, user: User, plans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from payment import services, webhooks

    customer_of(user, "cus_00000000000000")
    invoice = payload("invoice")["object"]
    invoice.update(customer="cus_00000000000000", subscription=None)
    event = envelope("invoice.paid", {"object": invoice})

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("notification service down")

    monkeypatch.setattr(services, "notify", broken)
    api_client.raise_request_exception = False
    response = post_event(api_client, event)
    assert response.status_code == 500
    assert not Transaction.unscoped.exists()  # the ledger row went with the rollback
    record = StripeEvent.objects.get()
    assert (record.processed_at, record.attempts) == (None, 1)
    assert "notification service down" in record.error
    monkeypatch.undo()
    assert webhooks.services.notify is not broken
    assert post_event(api_client, event).json() == {"received": True, "duplicate": False}
    assert Transaction.unscoped.count() == 1
    record.refresh_from_db()
    assert (record.error, record.attempts) == ("", 2)
    assert record.processed_at is not None
