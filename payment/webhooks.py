"""Stripe webhooks: verify, record once, apply in the same transaction.

Delivery is at least once and in no particular order, so:

- the signature is checked against each configured secret (rotation) before anything is
  read, and a timestamp older than the tolerance is refused (replay);
- the ``StripeEvent`` row is the idempotency record: it is inserted (or found) and locked,
  and an event already processed is acknowledged without doing anything;
- the event is applied in the transaction that marks it processed, so a failure rolls both
  back and the 500 makes Stripe retry;
- state is taken from the object in the event, and a subscription never moves back to an
  older state (``services.apply_subscription`` compares the event's ``created``);
- the user, and so the tenant, comes from our own records: the Stripe customer id we
  stored, or the ``client_reference_id`` we set on our Checkout Session. Never metadata.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fitcore.api.exceptions import ApplicationError

from . import gateway, services
from .models import Gateway, Plan, StripeEvent, Subscription, Transaction

logger = logging.getLogger(__name__)

_EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_]{1,250}$")
_USER_ID = re.compile(r"^[1-9][0-9]{0,18}$")


class WebhookRejected(ApplicationError):
    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code=code, message=message, errors=[{"field": None, "code": code, "message": message}])


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created: datetime
    livemode: bool
    object: dict[str, Any]
    raw: dict[str, Any]


def verify(payload: bytes, header: str | None) -> Event:
    """The signed event in ``payload``, or ``WebhookRejected`` (400) and nothing is written."""
    secrets = settings.STRIPE_WEBHOOK_SECRETS
    if not secrets:
        raise ApplicationError(
            code="payments_not_configured", message="No webhook signing secret is configured.", status=503
        )
    if not header:
        raise WebhookRejected("invalid_signature", "The Stripe-Signature header is missing.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected("malformed_payload", "The body is not UTF-8 text.") from None
    timestamp = _signed_at(header)
    verified = False
    for secret in secrets:
        try:
            # No tolerance here: a stale timestamp is told apart below, after the signature holds.
            stripe.WebhookSignature.verify_header(text, header, secret)
        except (stripe.SignatureVerificationError, TypeError, ValueError):
            continue
        verified = True
        break
    if not verified:
        raise WebhookRejected("invalid_signature", "The Stripe-Signature does not match this body and our secret.")
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    if timestamp < time.time() - tolerance:
        raise WebhookRejected(
            "stale_signature", f"The signature is older than {tolerance} seconds: refused as a possible replay."
        )
    try:
        data = _storable(json.loads(text, parse_constant=_no_constant, parse_float=_finite_float))
    except (ValueError, RecursionError):
        raise WebhookRejected("malformed_payload", "The body is not valid JSON.") from None
    return _envelope(data)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number too large for JSON")
    return value


_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


def _signed_at(header: str) -> int:
    """The one ``t=`` of a well-formed header: ASCII, exactly one timestamp, v1 values in hex.

    Stripe's helper reads the first ``t=`` with ``int()`` (which also takes ``1_700_000_000``
    and non-ASCII digits) and compares non-ASCII signatures by raising: a header it would
    read differently from us, or choke on, is refused here first.
    """
    if not header.isascii() or len(header) > 2000:
        raise WebhookRejected("invalid_signature", "The Stripe-Signature header is not well formed.")
    stamps, signatures = [], 0
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key == "t":
            stamps.append(value)
        elif key == "v1":
            signatures += 1
            if not _SIGNATURE.fullmatch(value):
                raise WebhookRejected("invalid_signature", "A v1 signature is not 64 hexadecimal digits.")
    if len(stamps) != 1 or not _TIMESTAMP.fullmatch(stamps[0]) or not signatures:
        raise WebhookRejected(
            "invalid_signature", "The Stripe-Signature header needs one t=<unix time> and a v1 signature."
        )
    return int(stamps[0])


def _storable(value: Any) -> Any:
    """JSON as PostgreSQL's jsonb takes it: no NUL characters, no lone surrogates (both are
    valid JSON escapes, and a signed event could carry them in a customer's free text)."""
    if isinstance(value, str):
        if "\x00" in value or not value.isascii():
            return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _envelope(data: Any) -> Event:
    if not isinstance(data, dict):
        raise WebhookRejected("malformed_payload", "The body is not a Stripe event object.")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise WebhookRejected("malformed_payload", "The event has no valid id (evt_...).")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 100:
        raise WebhookRejected("malformed_payload", "The event has no type.")
    when = services.from_timestamp(created) if not isinstance(created, float) else None
    if when is None:
        raise WebhookRejected("malformed_payload", "The event's created is not a Unix time.")
    if not isinstance(obj, dict):
        raise WebhookRejected("malformed_payload", "The event has no data.object.")
    return Event(event_id, event_type, when, bool(data.get("livemode")), obj, data)


# --- record and apply -----------------------------------------------------------------


def process(event: Event) -> tuple[bool, str]:
    """Apply ``event`` once. Returns (applied now, outcome); (False, ...) for a duplicate.

    A handler's exception propagates after the transaction rolled back; the failure is then
    written on the event row so staff can see it while Stripe retries.
    """
    try:
        with transaction.atomic():
            StripeEvent.objects.bulk_create(
                [
                    StripeEvent(
                        event_id=event.id,
                        type=event.type,
                        created=event.created,
                        livemode=event.livemode,
                        payload=event.raw,
                    )
                ],
                ignore_conflicts=True,
            )
            record = StripeEvent.objects.select_for_update().get(event_id=event.id)
            if record.processed_at is not None:
                return False, record.outcome
            handler = HANDLERS.get(event.type)
            outcome = handler(event) if handler else "unhandled type: recorded and acknowledged"
            StripeEvent.objects.filter(pk=record.pk).update(
                processed_at=timezone.now(), outcome=outcome[:255], error="", attempts=F("attempts") + 1
            )
            return True, outcome
    except Exception as exc:
        logger.exception("stripe event %s (%s) failed", event.id, event.type)
        _record_failure(event, exc)
        raise


def _record_failure(event: Event, exc: Exception) -> None:
    try:
        with transaction.atomic():
            StripeEvent.objects.bulk_create(
                [StripeEvent(event_id=event.id, type=event.type, created=event.created, payload=event.raw)],
                ignore_conflicts=True,
            )
            StripeEvent.objects.filter(event_id=event.id, processed_at__isnull=True).update(
                error=f"{exc.__class__.__name__}: {exc}"[:2000], attempts=F("attempts") + 1
            )
    except Exception:  # the database itself is failing: Stripe's retry is the record
        logger.exception("could not record the failure of stripe event %s", event.id)


# --- whose event is it ------------------------------------------------------------------


def _row_for_customer(customer: Any) -> Subscription | None:
    if not isinstance(customer, str) or not customer:
        return None
    rows = list(
        Subscription.unscoped.select_for_update(of=("self",))
        .filter(gateway=Gateway.STRIPE, gateway_customer_id=customer)
        .select_related("plan")[:2]
    )
    if len(rows) != 1:
        return None  # unknown, or (never by our own writes) ambiguous: touch nothing
    return rows[0]


def _invoice_subscription(invoice: dict[str, Any]) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    if isinstance(details, dict) and details.get("subscription"):
        return str(details["subscription"])
    return str(invoice.get("subscription") or "")


def _invoice_plan(row: Subscription, invoice: dict[str, Any]) -> Plan | None:
    for line in (invoice.get("lines") or {}).get("data") or []:
        if not isinstance(line, dict):
            continue
        pricing = line.get("pricing") or {}
        price = line.get("price") or (pricing.get("price_details") or {}).get("price") or ""
        price_id = price.get("id") if isinstance(price, dict) else price
        plan = services.selectors.plan_by_price(row.tenant_id, str(price_id or ""))
        if plan is not None:
            return plan
    return row.plan


def _line_period(invoice: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The span the invoice's lines cover (the new period, for a renewal)."""
    starts, ends = [], []
    lines = invoice.get("lines")
    for line in (lines.get("data") if isinstance(lines, dict) else None) or []:
        period = line.get("period") if isinstance(line, dict) else None
        if isinstance(period, dict):
            start, end = services.from_timestamp(period.get("start")), services.from_timestamp(period.get("end"))
            if start is not None and end is not None:
                starts.append(start)
                ends.append(end)
    return (min(starts), max(ends)) if ends else (None, None)


def _invoice_payment_ref(invoice: dict[str, Any]) -> str:
    """The charge or payment intent that paid the invoice: on the invoice in older API
    versions, in ``invoice.payments`` since 2025 (what a refund event names)."""
    for key in ("payment_intent", "charge"):  # the key refund rows use too
        if isinstance(invoice.get(key), str) and invoice[key]:
            return str(invoice[key])
    payments = invoice.get("payments")
    for entry in (payments.get("data") if isinstance(payments, dict) else None) or []:
        payment = entry.get("payment") if isinstance(entry, dict) else None
        if isinstance(payment, dict):
            for key in ("payment_intent", "charge"):
                if isinstance(payment.get(key), str) and payment[key]:
                    return str(payment[key])
    return ""


def _amount(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


# --- handlers: each returns its outcome ---------------------------------------------------

UNKNOWN_CUSTOMER = "ignored: no user of ours has this Stripe customer"
# Refund statuses that give (or are giving) money back; failed and canceled ones do not.
_REFUND_COUNTS = frozenset({"succeeded", "pending", "requires_action"})


def checkout_completed(event: Event) -> str:
    session = event.object
    # Our checkouts always run on a customer we created and stored first; the session's
    # client_reference_id (our user id, set by us) must then agree with it.
    row = _row_for_customer(session.get("customer"))
    if row is None:
        return UNKNOWN_CUSTOMER
    reference = session.get("client_reference_id")
    if reference is not None and reference != str(row.user_id):
        return "ignored: client_reference_id is not the customer's user"
    if session.get("mode") == "subscription":
        # Links the new subscription; its state comes with the customer.subscription.* events.
        sub_id = session.get("subscription")
        newer = row.last_event_at is None or event.created >= row.last_event_at
        if isinstance(sub_id, str) and sub_id and newer and row.status not in services._CURRENT:
            row.gateway_subscription_id = sub_id
            row.save(update_fields=["gateway_subscription_id", "updated_at"])
        return "linked the checkout's subscription"
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return f"ignored: {session.get('mode')} checkout, payment {session.get('payment_status')}"
    plan = _lifetime_plan(row, session)
    if plan is None:
        return "ignored: the checkout sold no lifetime plan of this tenant"
    payment_ref = str(session.get("payment_intent") or session.get("id") or "")
    amount = _amount(session.get("amount_total"))
    currency = str(session.get("currency") or plan.currency)
    written = services.ledger_write(
        row=row,
        gateway_transaction_id=payment_ref,
        kind=Transaction.Kind.CHARGE,
        status=Transaction.Status.SUCCEEDED,
        amount=amount,
        currency=currency,
        plan=plan,
        payment_ref=payment_ref,
        description=f"{plan.name}: one payment",
        response=session,
    )
    refunded = sum(
        Transaction.objects.for_tenant(row.tenant_id)
        .filter(kind=Transaction.Kind.REFUND, gateway_payment_ref=payment_ref)
        .values_list("amount", flat=True)
    )
    if amount and refunded >= amount:  # the refund event came first (a retried delivery)
        services.grant_lifetime(row, plan=plan, at=event.created)
        outcome = "ledger: charge recorded; refunded in full already: " + services.revoke_lifetime(
            row, at=event.created
        )
    else:
        outcome = services.grant_lifetime(row, plan=plan, at=event.created)
    if written is not None:
        services.notify_payment(
            row=row,
            type="payment_succeeded",
            title="Payment received",
            body=f"Thank you: {plan.name} is yours for good ({services.format_amount(amount, currency)}).",
            event_id=event.id,
            data={"amount": amount, "currency": currency, "plan": plan.code},
        )
    return outcome


def _lifetime_plan(row: Subscription, session: dict[str, Any]) -> Plan | None:
    """The plan our own session creation recorded, if it is a lifetime plan sold to this tenant."""
    plan_id = (session.get("metadata") or {}).get("fitcore_plan")
    if not isinstance(plan_id, str) or not _USER_ID.fullmatch(plan_id):
        return None
    return (
        Plan.objects.filter(Q(tenant_id=row.tenant_id) | Q(tenant__isnull=True))
        .filter(pk=int(plan_id), interval=Plan.Interval.LIFETIME)
        .first()
    )


def subscription_changed(event: Event) -> str:
    sub = event.object
    row = _row_for_customer(sub.get("customer"))
    if row is None:
        return UNKNOWN_CUSTOMER
    if event.type == "customer.subscription.deleted" and sub.get("status") not in ("canceled", "incomplete_expired"):
        sub = {**sub, "status": "canceled"}
    return services.apply_subscription(row, sub, at=event.created)


def trial_will_end(event: Event) -> str:
    sub = event.object
    row = _row_for_customer(sub.get("customer"))
    if row is None:
        return UNKNOWN_CUSTOMER
    outcome = services.apply_subscription(row, sub, at=event.created)
    trial_end = services.from_timestamp(sub.get("trial_end"))
    if trial_end is not None and trial_end > event.created:
        services.notify_payment(
            row=row,
            type="subscription_ending",
            title="Your free trial ends soon",
            body=f"Your trial ends on {services.local_date(row.user, trial_end)}. "
            "Keep a payment method on file to stay premium.",
            event_id=event.id,
            data={"trial_end": trial_end.isoformat(), "reason": "trial_will_end"},
        )
    return outcome


def invoice_paid(event: Event) -> str:
    invoice = event.object
    row = _row_for_customer(invoice.get("customer"))
    if row is None:
        return UNKNOWN_CUSTOMER
    amount, currency = _amount(invoice.get("amount_paid")), str(invoice.get("currency") or "usd")
    plan = _invoice_plan(row, invoice)
    payment_ref = _invoice_payment_ref(invoice)
    written = services.ledger_write(
        row=row,
        gateway_transaction_id=str(invoice.get("id") or event.id),
        kind=Transaction.Kind.CHARGE,
        status=Transaction.Status.SUCCEEDED,
        amount=amount,
        currency=currency,
        plan=plan,
        payment_ref=payment_ref,
        description=_invoice_description(invoice, plan),
        response=invoice,
    )
    outcome = "ledger: charge recorded" if written else "ledger: charge already recorded"
    sub_id = _invoice_subscription(invoice)
    paid_end = _line_period(invoice)[1]
    if sub_id and paid_end is not None:
        # The period this invoice paid for counts whenever it arrives (a max per subscription).
        services.record_paid(row, sub_id, paid_end)
        services.sync_paid_until(row)
        row.save(update_fields=["paid_periods", "paid_until", "updated_at"])
    # A paid renewal: active again (from past_due) for the period the invoice paid for. Only
    # ahead of the subscription events, and without moving last_event_at: the
    # customer.subscription.updated Stripe sends with it has the last word, whenever it lands.
    if (
        sub_id
        and sub_id == row.gateway_subscription_id
        and (row.last_event_at is None or event.created >= row.last_event_at)
    ):
        start, end = _line_period(invoice)
        if row.status in (
            services.SubscriptionStatus.PAST_DUE,
            services.SubscriptionStatus.UNPAID,
            services.SubscriptionStatus.INCOMPLETE,
        ):
            row.status = services.SubscriptionStatus.ACTIVE
        if end is not None and (row.current_period_end is None or end > row.current_period_end):
            row.current_period_start, row.current_period_end = start, end
        row.save()
        outcome += f"; subscription {row.status}"
    if written is not None and amount > 0:
        services.notify_payment(
            row=row,
            type="payment_succeeded",
            title="Payment received",
            body=f"We received {services.format_amount(amount, currency)}"
            + (f" for {plan.name}." if plan else ".")
            + " Thank you!",
            event_id=event.id,
            data={
                "amount": amount,
                "currency": currency,
                "invoice": invoice.get("id"),
                "plan": plan.code if plan else None,
            },
        )
    return outcome


def invoice_payment_failed(event: Event) -> str:
    invoice = event.object
    row = _row_for_customer(invoice.get("customer"))
    if row is None:
        return UNKNOWN_CUSTOMER
    amount, currency = _amount(invoice.get("amount_due")), str(invoice.get("currency") or "usd")
    plan = _invoice_plan(row, invoice)
    attempt = _amount(invoice.get("attempt_count"))
    written = services.ledger_write(
        row=row,
        # One row per failed attempt of an invoice: the invoice id alone stays free for its payment.
        gateway_transaction_id=f"{invoice.get('id') or event.id}#attempt-{attempt}",
        kind=Transaction.Kind.CHARGE,
        status=Transaction.Status.FAILED,
        amount=amount,
        currency=currency,
        plan=plan,
        description=_invoice_description(invoice, plan),
        response=invoice,
    )
    outcome = "ledger: failed charge recorded" if written else "ledger: failed charge already recorded"
    sub_id = _invoice_subscription(invoice)
    if (
        sub_id
        and sub_id == row.gateway_subscription_id
        and row.status == services.SubscriptionStatus.ACTIVE
        and (row.last_event_at is None or event.created >= row.last_event_at)
    ):
        row.status = services.SubscriptionStatus.PAST_DUE
        row.save()
        outcome += "; subscription past_due"
    if written is not None:
        services.notify_payment(
            row=row,
            type="payment_failed",
            title="Your payment failed",
            body=f"We could not charge {services.format_amount(amount, currency)}. "
            "Update your payment method in the billing portal to keep your access.",
            event_id=event.id,
            data={"amount": amount, "currency": currency, "invoice": invoice.get("id"), "attempt": attempt},
        )
    return outcome


def _invoice_description(invoice: dict[str, Any], plan: Plan | None) -> str:
    reason = str(invoice.get("billing_reason") or "")
    label = {"subscription_create": "first payment", "subscription_cycle": "renewal"}.get(reason, reason or "invoice")
    return f"{plan.name if plan else 'Invoice'}: {label}"


def charge_refunded(event: Event) -> str:
    charge = event.object
    row = _row_for_customer(charge.get("customer"))
    original = _original_charge(charge, row)
    if row is None and original is not None:
        row = (
            Subscription.unscoped.select_for_update(of=("self",))
            .select_related("plan")
            .filter(tenant_id=original.tenant_id, user_id=original.user_id)
            .first()
        )
    if row is None:
        return UNKNOWN_CUSTOMER
    currency = str(charge.get("currency") or "usd")
    full = bool(charge.get("refunded"))
    status = Transaction.Status.REFUNDED if full else Transaction.Status.PARTIALLY_REFUNDED
    plan = original.plan if original else None
    # Refund rows are keyed to the payment as the charge rows are: the payment intent, else the charge.
    payment_key = str(charge.get("payment_intent") or charge.get("id") or "")
    refunds = _itemised_refunds(charge)
    entries: list[tuple[str, int, str, dict[str, Any]]] = []
    if refunds is not None:
        # Oldest first, each with the status the charge had once it was made: the same rows
        # whichever of the charge's refund events arrives first.
        charged, running = _amount(charge.get("amount_captured")) or _amount(charge.get("amount")), 0
        for refund in sorted(refunds, key=lambda r: (_amount(r.get("created")), str(r["id"]))):
            running += _amount(refund.get("amount"))
            done = charged > 0 and running >= charged
            entries.append(
                (
                    str(refund["id"]),
                    _amount(refund.get("amount")),
                    Transaction.Status.REFUNDED if done else Transaction.Status.PARTIALLY_REFUNDED,
                    refund,
                )
            )
    else:
        # Stripe cannot be asked (no secret key): what was refunded beyond the refund rows we
        # already have, as one row per new total. In order this gives a row per refund; a later
        # total arriving first covers the earlier one (same sum, fewer rows).
        have = sum(
            Transaction.objects.for_tenant(row.tenant_id)
            .filter(kind=Transaction.Kind.REFUND, gateway_payment_ref=payment_key)
            .values_list("amount", flat=True)
        )
        total = _amount(charge.get("amount_refunded"))
        if total - have > 0:
            entries = [(f"{charge.get('id')}#refunded-{total}", total - have, status, {})]
    written = 0
    refunded_now = 0
    for refund_id, amount, refund_status, refund in entries:
        if services.ledger_write(
            row=row,
            gateway_transaction_id=refund_id,
            kind=Transaction.Kind.REFUND,
            status=refund_status,
            amount=amount,
            currency=currency,
            plan=plan,
            payment_ref=payment_key,
            description=f"Refund of {charge.get('id')}",
            response={"charge": charge.get("id"), "refund": refund, "amount_refunded": charge.get("amount_refunded")},
        ):
            written += 1
            refunded_now += amount
    outcome = f"ledger: {written} refund row(s)"
    if full and plan is not None and plan.interval == Plan.Interval.LIFETIME:
        outcome += "; " + services.revoke_lifetime(row, at=event.created)
    if written:
        services.notify_payment(
            row=row,
            type="payment_succeeded",
            title="Refund issued",
            body=f"We refunded {services.format_amount(refunded_now, currency)}; "
            "it reaches your account in 5-10 business days.",
            event_id=event.id,
            data={"amount": refunded_now, "currency": currency, "refunded_in_full": full},
        )
    return outcome


def _itemised_refunds(charge: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Every refund of the charge, each with its own id: from the event when it lists them all
    (API versions before 2022-11-15), else from Stripe's API; None when Stripe cannot be asked."""
    listed = charge.get("refunds") if isinstance(charge.get("refunds"), dict) else None
    if listed is not None and isinstance(listed.get("data"), list) and listed["data"] and not listed.get("has_more"):
        refunds = [r for r in listed["data"] if isinstance(r, dict)]
    else:
        charge_id = charge.get("id")
        if not gateway.is_configured() or not isinstance(charge_id, str) or not charge_id:
            return None
        with gateway.translated_errors("list the charge's refunds"):
            page = gateway.client().v1.refunds.list({"charge": charge_id, "limit": 100})
            refunds = [refund.to_dict() for refund in page.auto_paging_iter()]
    # A failed or cancelled refund gave nothing back: it is not a ledger line.
    return [r for r in refunds if isinstance(r.get("id"), str) and r.get("status", "succeeded") in _REFUND_COUNTS]


def _original_charge(charge: dict[str, Any], row: Subscription | None) -> Transaction | None:
    refs = [str(v) for v in (charge.get("id"), charge.get("payment_intent")) if isinstance(v, str) and v]
    invoice = charge.get("invoice")
    condition = Q(gateway_payment_ref__in=refs) if refs else Q(pk__in=[])
    if isinstance(invoice, str) and invoice:
        condition |= Q(gateway_transaction_id=invoice)
    queryset = Transaction.unscoped.filter(condition, kind=Transaction.Kind.CHARGE, status=Transaction.Status.SUCCEEDED)
    if row is not None:
        queryset = queryset.filter(tenant_id=row.tenant_id, user_id=row.user_id)
    return queryset.select_related("plan").order_by("id").first()


HANDLERS: dict[str, Callable[[Event], str]] = {
    "checkout.session.completed": checkout_completed,
    # A delayed payment method (bank debit) for a one-time purchase: paid now.
    "checkout.session.async_payment_succeeded": checkout_completed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "customer.subscription.trial_will_end": trial_will_end,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "charge.refunded": charge_refunded,
}
