"""Stripe webhook latency for `make bench`: signed life-cycle events posted one by one over HTTP.

Each seeded customer (``endpoints.BENCH_WEBHOOK_CUSTOMERS`` users with Stripe customers
``cus_bench_<i>``) goes through a subscription's life: created, paid, renewed, a failed
payment, past due, paid again, a partial refund, cancelled at period end, deleted. Every
event is new (its own id), signed with the run's secret, and posted one at a time to the
gunicorn under test, as Stripe delivers them (the first four customers' events only warm
the workers up); then every tenth event is delivered again (a duplicate, which must do
nothing). The client-side latency of each
POST, gunicorn included, gives p50/p99 per event type. Objects are the fixture payloads in
``payment/tests/stripe_payloads`` (real Stripe shapes and sizes) with our ids put in.

Runs in the harness (no Django): only the standard library and stripe's signing helper.
"""

from __future__ import annotations

import copy
import http.client
import json
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import stripe

PAYLOADS = Path(__file__).resolve().parent.parent / "payment" / "tests" / "stripe_payloads"
PATH = "/api/v1/payments/webhooks/stripe/"
DAY = 86_400
WARM_UP = 4  # customers whose events only warm the workers up
EVENTS_PER_LIFE = 9


def _load(name: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data["object"] if isinstance(data.get("object"), dict) else data


def _subscription(base: dict[str, Any], sub: str, cus: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
    obj = copy.deepcopy(base)
    obj.update(
        {"id": sub, "customer": cus, "cancel_at_period_end": False, "canceled_at": None, "ended_at": None, **fields}
    )
    item = obj["items"]["data"][0]
    item.update(current_period_start=start, current_period_end=end)
    item["price"] = {**item.get("price", {}), "id": "price_bench_monthly"}
    return obj


def life_cycle(i: int, t0: int, bases: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any], int]]:
    """(type, object, created) for customer ``i``, in Stripe's order."""
    cus, sub = f"cus_bench_{i}", f"sub_bench_{i}"
    p1, p2 = (t0, t0 + 30 * DAY), (t0 + 30 * DAY, t0 + 60 * DAY)

    def invoice(n: int, amount: int, period: tuple[int, int], charge: str | None) -> dict[str, Any]:
        obj = copy.deepcopy(bases["invoice"])
        obj.update(
            id=f"in_bench_{i}_{n}",
            customer=cus,
            subscription=sub,
            amount_paid=amount,
            amount_due=amount,
            charge=charge,
            attempt_count=1,
        )
        obj["lines"]["data"] = [
            {
                "id": f"il_{i}_{n}",
                "amount": amount,
                "period": {"start": period[0], "end": period[1]},
                "price": {"id": "price_bench_monthly"},
            }
        ]
        return obj

    refund = copy.deepcopy(bases["charge.refunded"])
    refund.update(
        id=f"ch_bench_{i}_3",
        customer=cus,
        amount=999,
        amount_refunded=300,
        refunded=False,
        payment_intent=None,
        invoice=None,
    )
    refund["refunds"] = {
        "object": "list",
        "has_more": False,
        "data": [
            {
                "id": f"re_bench_{i}",
                "object": "refund",
                "amount": 300,
                "charge": refund["id"],
                "created": p2[0] + 2 * DAY,
            }
        ],
    }
    base = bases["subscription.updated"]
    return [
        ("customer.subscription.created", _subscription(base, sub, cus, *p1, status="active"), t0),
        ("invoice.paid", invoice(1, 999, p1, f"ch_bench_{i}_1"), t0 + 1),
        ("customer.subscription.updated", _subscription(base, sub, cus, *p2, status="active"), p2[0]),
        ("invoice.payment_failed", invoice(2, 999, p2, None), p2[0] + 1),
        ("customer.subscription.updated", _subscription(base, sub, cus, *p2, status="past_due"), p2[0] + 2),
        ("invoice.paid", invoice(3, 999, p2, f"ch_bench_{i}_3"), p2[0] + DAY),
        ("charge.refunded", refund, p2[0] + 2 * DAY),
        (
            "customer.subscription.updated",
            _subscription(base, sub, cus, *p2, status="active", cancel_at_period_end=True, canceled_at=p2[0] + 3 * DAY),
            p2[0] + 3 * DAY,
        ),
        (
            "customer.subscription.deleted",
            _subscription(base, sub, cus, *p2, status="canceled", canceled_at=p2[0] + 3 * DAY, ended_at=p2[1]),
            p2[1],
        ),
    ]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def measure(base_url: str, secret: str, customers: int) -> dict[str, Any]:
    """Post every customer's life cycle (the first WARM_UP only to warm up), then every tenth
    event again; latency in ms per event type."""
    bases = {name: _load(name) for name in ("invoice", "charge.refunded", "subscription.updated")}
    t0 = int(time.time()) - 90 * DAY
    events = []
    for i in range(customers):
        for n, (kind, obj, created) in enumerate(life_cycle(i, t0, bases)):
            events.append(
                {
                    "id": f"evt_bench_{i}_{n}",
                    "object": "event",
                    "type": kind,
                    "created": created,
                    "livemode": False,
                    "data": {"object": obj},
                }
            )
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    timings: dict[str, list[float]] = {}
    errors = 0

    def post(event: dict[str, Any], label: str) -> None:
        nonlocal errors
        body = json.dumps(event)
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret),
        }
        started = time.perf_counter()
        conn.request("POST", PATH, body=body.encode(), headers=headers)
        response = conn.getresponse()
        answer = response.read()
        timings.setdefault(label, []).append((time.perf_counter() - started) * 1000)
        if response.status != 200 or json.loads(answer).get("duplicate") is not (label == "duplicate"):
            errors += 1

    # Warm-up, not measured: the first WARM_UP customers' whole life cycles, so every gunicorn
    # worker has opened its connections and imported what each event type needs (stripe-python
    # loads its API modules on first use) before the measured events.
    warm, measured = events[: WARM_UP * EVENTS_PER_LIFE], events[WARM_UP * EVENTS_PER_LIFE :]
    for event in warm:
        post(event, "warm-up")
    for event in measured:
        post(event, event["type"])
    for event in measured[::10]:
        post(event, "duplicate")
    conn.close()
    timings.pop("warm-up", None)
    every = [value for label, values in timings.items() if label != "duplicate" for value in values]
    report = {
        label: {
            "events": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(_percentile(values, 99), 2),
        }
        for label, values in sorted(timings.items())
    }
    report["all events"] = {
        "events": len(every),
        "p50_ms": round(statistics.median(every), 2),
        "p99_ms": round(_percentile(every, 99), 2),
    }
    return {"customers": customers, "errors": errors, "by_type": report}


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{'webhook event':<34} {'events':>7} {'p50 ms':>8} {'p99 ms':>8}"]
    for label, row in result["by_type"].items():
        lines.append(f"{label:<34} {row['events']:>7} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}")
    return "\n".join(lines)
