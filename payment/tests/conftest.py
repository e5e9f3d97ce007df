"""Payments test kit: the Stripe stub behind the official client, plans, and signed deliveries.

Only Stripe's network layer is replaced (``StubHttpClient``); webhook bodies are signed
the way Stripe signs them (``stripe.WebhookSignature.generate_signature_header``).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from rest_framework.test import APIClient

from payment import gateway
from payment.models import Plan, Subscription
from payment.stripe_stub import StubHttpClient, StubStripeAPI

PAYLOADS = Path(__file__).parent / "stripe_payloads"
SECRET = "whsec_test_current_secret"
OLD_SECRET = "whsec_test_previous_secret"
WEBHOOK_URL = "/api/v1/payments/webhooks/stripe/"
_ids = itertools.count(1)


def payload(name: str) -> dict[str, Any]:
    """A fixture file's ``data`` member (``{"object": ...}``); ``invoice.json`` is wrapped here."""
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data if "object" in data and isinstance(data["object"], dict) else {"object": data}


def envelope(
    event_type: str, data: dict[str, Any], *, created: int | None = None, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_test{next(_ids):08d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "type": event_type,
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": data,
    }


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def post_event(client: APIClient, event: dict[str, Any], *, secret: str = SECRET, timestamp: int | None = None) -> Any:
    body = json.dumps(event)
    return client.post(
        WEBHOOK_URL,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, secret=secret, timestamp=timestamp),
    )


@pytest.fixture
def stripe_settings(settings: Any) -> Any:
    settings.STRIPE_SECRET_KEY = "sk_test_fitcore"
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET]
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return settings


@pytest.fixture
def stripe_api(stripe_settings: Any) -> Iterator[StubStripeAPI]:
    """Stripe as seen through the official client, answered in-process."""
    api = StubStripeAPI()
    with gateway.use_http_client(StubHttpClient(api)):
        yield api


@pytest.fixture
def plans(db: Any) -> dict[str, Plan]:
    """FitCore's monthly (7-day trial), yearly and lifetime plans."""
    return {
        "monthly": Plan.objects.create(
            code="premium-monthly",
            name="Premium monthly",
            interval="monthly",
            stripe_price_id="price_monthly",
            amount=999,
            currency="usd",
            trial_days=7,
        ),
        "yearly": Plan.objects.create(
            code="premium-yearly",
            name="Premium yearly",
            interval="yearly",
            stripe_price_id="price_yearly",
            amount=7999,
            currency="usd",
        ),
        "lifetime": Plan.objects.create(
            code="premium-lifetime",
            name="Premium for life",
            interval="lifetime",
            stripe_price_id="price_lifetime",
            amount=19900,
            currency="usd",
        ),
    }


def customer_of(user: Any, customer_id: str) -> Subscription:
    """The user's row holding a Stripe customer id (what a checkout leaves behind)."""
    row, _ = Subscription.unscoped.get_or_create(tenant_id=user.tenant_id, user=user)
    row.gateway_customer_id = customer_id
    row.save()
    return row


def subscription_object(
    sub_id: str,
    customer: str,
    *,
    status: str = "active",
    price: str = "price_monthly",
    start: int,
    end: int,
    cancel_at_period_end: bool = False,
    canceled_at: int | None = None,
    ended_at: int | None = None,
    trial_end: int | None = None,
    base: str = "subscription.updated",
) -> dict[str, Any]:
    """The fixture's subscription object with our ids, status and period (on its item, as the pinned API has it)."""
    obj = copy.deepcopy(payload(base)["object"])
    obj.update(
        id=sub_id,
        customer=customer,
        status=status,
        cancel_at_period_end=cancel_at_period_end,
        canceled_at=canceled_at,
        ended_at=ended_at,
        trial_end=trial_end,
    )
    obj.pop("current_period_start", None)
    obj.pop("current_period_end", None)
    item = obj["items"]["data"][0]
    item.update(current_period_start=start, current_period_end=end)
    item["price"] = {**item.get("price", {}), "id": price}
    item.pop("plan", None)
    return obj


Deliver = Callable[..., Any]


@pytest.fixture
def deliver(api_client: APIClient, stripe_api: StubStripeAPI) -> Deliver:
    def send(event_type: str, obj: dict[str, Any], **kwargs: Any) -> Any:
        return post_event(api_client, envelope(event_type, {"object": obj}, **kwargs))

    return send
