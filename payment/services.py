"""Every write of the payments app: checkout, portal, cancel/resume, and applying Stripe's state.

Our rows copy Stripe's. ``apply_subscription`` is the one function that copies a
subscription object onto a user's row, used by webhooks and by the answers to our own
calls; it never lets an older state overwrite a newer one (``at`` against ``last_event_at``).
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fitcore.api.exceptions import ApplicationError
from notification.services import notify

from . import gateway, selectors
from .models import Plan, Subscription, SubscriptionStatus, Transaction

if TYPE_CHECKING:
    from notification.schedule import LocalTimeWindow
    from users.models import User

logger = logging.getLogger(__name__)

# Stripe's subscription statuses -> ours. "paused" (a trial ended without a payment method)
# grants nothing, like a user who never subscribed.
STRIPE_STATUS = {
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "incomplete_expired": SubscriptionStatus.CANCELED,
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "unpaid": SubscriptionStatus.UNPAID,
    "paused": SubscriptionStatus.INACTIVE,
}
# A subscription in one of these is the user's current one; another subscription's end does not touch it.
_CURRENT = {
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
}
# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def format_amount(amount: int, currency: str) -> str:
    """``1900, "usd"`` -> ``"19.00 USD"``; what users read in notifications."""
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def local_date(user: User, moment: datetime) -> str:
    """``December 10, 2026`` in the user's own time zone (the profile's; UTC without one)."""
    profile = getattr(user, "profile", None)
    try:
        zone = zoneinfo.ZoneInfo(getattr(profile, "timezone", None) or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return f"{moment.astimezone(zone):%B %-d, %Y}"


def from_timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def subscription_row(user: User, *, lock: bool = False) -> Subscription:
    """The user's row, created (inactive) on first need. ``lock``: SELECT ... FOR UPDATE (in a transaction)."""
    queryset = Subscription.objects.for_tenant(user.tenant_id).filter(user_id=user.pk)
    if lock:
        queryset = queryset.select_for_update()
    row = queryset.first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            Subscription.objects.create(tenant_id=user.tenant_id, user=user)
    except IntegrityError:
        pass  # created by a concurrent request: read theirs
    return queryset.get()


# --- checkout and portal --------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    expires_at: datetime | None


def _customer_id(user: User, api: Any) -> str:
    """The user's Stripe customer, created once (row lock + idempotency key: never two)."""
    with transaction.atomic():
        row = subscription_row(user, lock=True)
        if row.gateway_customer_id:
            return row.gateway_customer_id
        with gateway.translated_errors("create your billing account"):
            customer = api.v1.customers.create(
                {
                    "email": user.email,
                    "name": user.get_full_name() or user.email,
                    "metadata": {"fitcore_user": str(user.pk), "fitcore_tenant": str(user.tenant_id)},
                },
                {"idempotency_key": f"fitcore-customer-{user.tenant_id}-{user.pk}"},
            )
        row.gateway_customer_id = customer.id
        row.save(update_fields=["gateway_customer_id", "updated_at"])
        return row.gateway_customer_id


def checkout_session_create(*, user: User, plan: Plan, idempotency_key: str | None = None) -> CheckoutSession:
    """A Stripe Checkout Session for ``plan``: subscription mode for recurring plans, payment mode for lifetime.

    The trial is offered once per user. The idempotency key (the client's, or one per user,
    plan and ten minutes) makes a double tap return the same session instead of two.
    """
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise ApplicationError(
            code="invalid_idempotency_key",
            message="Idempotency-Key must be 1-200 printable ASCII characters without spaces.",
            errors=[{"field": None, "code": "invalid_idempotency_key", "message": "Not a usable idempotency key."}],
        )
    api = gateway.client()
    current = selectors.subscription_get(user)
    if selectors.row_grants_access(current) or (current is not None and current.status in _CURRENT):
        # A running subscription (even past due, to be paid in the portal) is never doubled.
        raise ApplicationError(
            code="subscription_active",
            message="You already have a subscription; manage or pay it in the billing portal.",
            status=409,
        )
    if current is not None and current.gateway_customer_id:
        customer, row = current.gateway_customer_id, current  # the usual case: no lock, no write
    else:
        customer = _customer_id(user, api)
        row = subscription_row(user)
    metadata = {"fitcore_user": str(user.pk), "fitcore_plan": str(plan.pk)}
    params: dict[str, Any] = {
        "mode": "subscription" if plan.is_recurring else "payment",
        "customer": customer,
        "client_reference_id": str(user.pk),
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "success_url": settings.STRIPE_SUCCESS_URL,
        "cancel_url": settings.STRIPE_CANCEL_URL,
        "metadata": metadata,
    }
    if plan.is_recurring:
        params["subscription_data"] = {"metadata": metadata}
        had_one = row.gateway_subscription_id or row.trial_end or row.status != SubscriptionStatus.INACTIVE
        if plan.trial_days and not had_one:
            params["subscription_data"]["trial_period_days"] = plan.trial_days
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    window = int(timezone.now().timestamp()) // 600
    key = f"fitcore-checkout-{user.pk}-{plan.pk}-{idempotency_key or window}"
    with gateway.translated_errors("start a checkout"):
        session = api.v1.checkout.sessions.create(cast("Any", params), {"idempotency_key": key})
    return CheckoutSession(
        id=session.id, url=str(session.url), expires_at=from_timestamp(session.to_dict().get("expires_at"))
    )


def portal_session_create(*, user: User) -> str:
    """A Billing Portal session URL, where the user changes card, plan or cancels."""
    api = gateway.client()
    row = selectors.subscription_get(user)
    if row is None or not row.gateway_customer_id:
        raise ApplicationError(
            code="no_billing_account", message="You have no billing account yet: start with a checkout.", status=409
        )
    with gateway.translated_errors("open the billing portal"):
        session = api.v1.billing_portal.sessions.create(
            {"customer": row.gateway_customer_id, "return_url": settings.STRIPE_PORTAL_RETURN_URL}
        )
    return str(session.url)


# --- cancel and resume ------------------------------------------------------------------


def _recurring_row(user: User) -> Subscription:
    row = selectors.subscription_get(user)
    if row is None or not row.gateway_subscription_id or row.status not in _CURRENT:
        raise ApplicationError(
            code="no_subscription", message="You have no running subscription to change.", status=409
        )
    return row


def subscription_set_cancel_at_period_end(*, user: User, cancel: bool) -> Subscription:
    """Cancel at the end of the paid period (``cancel=True``) or take that back; idempotent."""
    gateway.client()  # 503 before anything else when payments are off
    row = _recurring_row(user)
    if not cancel and not row.cancel_at_period_end:
        raise ApplicationError(
            code="not_cancelling", message="Your subscription is not set to end: nothing to resume.", status=409
        )
    if row.cancel_at_period_end == cancel:
        return row
    # Stripe's event times are whole seconds: the answer is "as of" the second we asked in, so
    # the event our change causes (same second or later) still applies, with the same state.
    asked_at = timezone.now().replace(microsecond=0)
    with gateway.translated_errors("change your subscription"):
        answer = gateway.client().v1.subscriptions.update(row.gateway_subscription_id, {"cancel_at_period_end": cancel})
    with transaction.atomic():
        locked = Subscription.objects.for_tenant(user.tenant_id).select_for_update().get(pk=row.pk)
        apply_subscription(locked, answer.to_dict(), at=asked_at)
    selectors.forget_access(user)
    return Subscription.objects.for_tenant(user.tenant_id).select_related("plan").get(pk=row.pk)


# --- applying Stripe's state ------------------------------------------------------------


def _period(obj: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The current period: on the subscription in older API versions, on its items since 2025."""
    start, end = obj.get("current_period_start"), obj.get("current_period_end")
    if start is None or end is None:
        items = (obj.get("items") or {}).get("data") or []
        if items and isinstance(items[0], dict):
            start, end = items[0].get("current_period_start"), items[0].get("current_period_end")
    return from_timestamp(start), from_timestamp(end)


def _price_id(obj: dict[str, Any]) -> str:
    items = (obj.get("items") or {}).get("data") or []
    if items and isinstance(items[0], dict):
        price = items[0].get("price") or items[0].get("plan") or {}
        if isinstance(price, dict):
            return str(price.get("id") or "")
    return ""


def apply_subscription(row: Subscription, obj: dict[str, Any], *, at: datetime) -> str:
    """Copy a Stripe subscription object onto ``row`` (locked by the caller) as of ``at``.

    Returns what happened, for the event record. Nothing changes when the row already holds
    a newer state, when the row is a paid lifetime purchase, or when the object is the end of
    a subscription other than the user's current one.
    """
    sub_id = str(obj.get("id") or "")
    if row.plan is not None and row.plan.interval == Plan.Interval.LIFETIME and row.status == SubscriptionStatus.ACTIVE:
        return "ignored: the user has lifetime access"
    status = STRIPE_STATUS.get(str(obj.get("status")), SubscriptionStatus.INACTIVE)
    start, end = _period(obj)
    # What this object proves was paid counts whenever it arrives (a max per subscription): a
    # trial's whole period; for an active one, only up to its period's start, since Stripe
    # moves the period on before it charges for it (invoice.paid records the rest).
    if status == SubscriptionStatus.TRIALING:
        record_paid(row, sub_id, end)
    elif status == SubscriptionStatus.ACTIVE:
        record_paid(row, sub_id, start)
    skipped = None
    if row.plan is not None and row.plan.interval == Plan.Interval.LIFETIME and row.status == SubscriptionStatus.ACTIVE:
        skipped = "ignored: the user has lifetime access"
    elif row.last_event_at is not None and at < row.last_event_at:
        skipped = "stale: a newer state is already applied"
    elif row.last_event_at is not None and at == row.last_event_at and _tie_goes_back(row, sub_id, status):
        skipped = "stale: same second as the state applied, and an earlier step of the life cycle"
    elif _ends_another(row, sub_id, status):
        skipped = "ignored: another subscription of the user's, not the current one"
    if skipped is not None:
        sync_paid_until(row)
        row.save(update_fields=["paid_periods", "paid_until", "updated_at"])
        return skipped
    ended = from_timestamp(obj.get("ended_at"))
    if status == SubscriptionStatus.CANCELED and ended is not None and (end is None or ended < end):
        end = ended  # cancelled at once: access ends now, not at the end of the period
    plan = selectors.plan_by_price(row.tenant_id, _price_id(obj))
    row.gateway_subscription_id = sub_id
    row.status = status
    row.current_period_start = start
    row.current_period_end = end
    row.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    row.canceled_at = from_timestamp(obj.get("canceled_at"))
    row.trial_end = from_timestamp(obj.get("trial_end"))
    if plan is not None:
        row.plan = plan
    elif row.plan is not None and row.plan.interval == Plan.Interval.LIFETIME:
        row.plan = None  # a recurring subscription replaces an ended lifetime purchase
    row.last_event_at = at
    if not row.gateway_customer_id and obj.get("customer"):
        row.gateway_customer_id = str(obj["customer"])
    sync_paid_until(row)
    row.save()
    return f"applied: {status}"


def record_paid(row: Subscription, sub_id: str, end: datetime | None) -> None:
    """Subscription ``sub_id`` was paid (or free) until ``end``: a max, the same in any order."""
    if not sub_id or end is None:
        return
    stamp = int(end.timestamp())
    if stamp > int(row.paid_periods.get(sub_id) or 0):
        row.paid_periods = {**row.paid_periods, sub_id: stamp}


def sync_paid_until(row: Subscription) -> None:
    """``paid_until`` is the current subscription's entry (none for a lifetime purchase)."""
    stamp = row.paid_periods.get(row.gateway_subscription_id) if row.gateway_subscription_id else None
    row.paid_until = from_timestamp(stamp)


def _ends_another(row: Subscription, sub_id: str, status: str) -> bool:
    """The end of a subscription other than the current, running one (an old one's last word)."""
    other = bool(row.gateway_subscription_id) and sub_id != row.gateway_subscription_id
    return other and row.status in _CURRENT and status not in _CURRENT


def _tie_goes_back(row: Subscription, sub_id: str, status: str) -> bool:
    """Stripe's ``created`` counts whole seconds, and it often emits a subscription's
    ``created`` (incomplete) and ``updated`` (active) in the same one: on a tie, never step
    back to incomplete, and never revive a subscription that ended."""
    if status == SubscriptionStatus.INCOMPLETE and row.status != SubscriptionStatus.INCOMPLETE:
        return True
    same = sub_id == row.gateway_subscription_id
    return same and row.status == SubscriptionStatus.CANCELED and status != SubscriptionStatus.CANCELED


def grant_lifetime(row: Subscription, *, plan: Plan, at: datetime) -> str:
    """A paid one-time purchase: access for good, whatever recurring subscription came before."""
    row.plan = plan
    row.status = SubscriptionStatus.ACTIVE
    row.gateway_subscription_id = ""  # no recurring subscription is the entitlement any more
    sync_paid_until(row)
    row.current_period_start = at
    row.current_period_end = None
    row.cancel_at_period_end = False
    row.canceled_at = None
    row.last_event_at = max(at, row.last_event_at) if row.last_event_at else at
    row.save()
    return "applied: lifetime access granted"


def revoke_lifetime(row: Subscription, *, at: datetime) -> str:
    """A lifetime purchase refunded in full: access ends now."""
    if row.plan is None or row.plan.interval != Plan.Interval.LIFETIME or row.status != SubscriptionStatus.ACTIVE:
        return "no access to revoke"
    row.status = SubscriptionStatus.CANCELED
    row.canceled_at = at
    row.current_period_end = at
    row.last_event_at = max(at, row.last_event_at) if row.last_event_at else at
    row.save()
    return "lifetime access revoked (refunded in full)"


def ledger_write(
    *,
    row: Subscription,
    gateway_transaction_id: str,
    kind: str,
    status: str,
    amount: int,
    currency: str,
    plan: Plan | None,
    payment_ref: str = "",
    description: str = "",
    response: dict[str, Any] | None = None,
) -> Transaction | None:
    """Append one ledger row; None when that gateway id is already in the ledger (a replay)."""
    exists = Transaction.objects.for_tenant(row.tenant_id).filter(
        gateway=row.gateway, gateway_transaction_id=gateway_transaction_id
    )
    if exists.exists():
        return None
    with transaction.atomic():  # a savepoint: a concurrent insert loses cleanly
        try:
            return Transaction.objects.create(
                tenant_id=row.tenant_id,
                user_id=row.user_id,
                plan=plan,
                amount=max(int(amount), 0),
                currency=(currency or "usd").lower()[:3],
                kind=kind,
                status=status,
                gateway=row.gateway,
                gateway_transaction_id=gateway_transaction_id,
                gateway_payment_ref=payment_ref,
                description=description[:255],
                gateway_response=response or {},
            )
        except IntegrityError:
            return None


def notify_payment(*, row: Subscription, type: str, title: str, body: str, event_id: str, data: dict[str, Any]) -> None:
    """The user hears of every payment event once (the dedupe key is Stripe's event id)."""
    notify(user=row.user, type=type, title=title, body=body, data=data, dedupe_key=f"stripe:{event_id}")


# --- "your subscription ends in three days" -------------------------------------------

ENDING_REMINDER_AT = time(10, 0)


def send_subscription_ending_reminders(window: LocalTimeWindow) -> int:
    """At 10:00 local time, tell users whose cancelled subscription ends within the next
    ``SUBSCRIPTION_ENDING_NOTICE_DAYS`` days (and more than a day before that): once per period."""
    zones = window.zones_at(ENDING_REMINDER_AT)
    if not zones:
        return 0
    days = settings.SUBSCRIPTION_ENDING_NOTICE_DAYS
    now = window.end
    rows = (
        Subscription.unscoped.filter(
            cancel_at_period_end=True,
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING],
            current_period_end__gt=now + timedelta(days=days - 1),
            current_period_end__lte=now + timedelta(days=days),
            user__is_active=True,
            user__profile__timezone__in=zones,
        )
        .select_related("user__profile", "plan")
        .order_by("pk")
    )
    sent = 0
    for row in rows.iterator(chunk_size=500):
        ends = row.current_period_end or now  # never None: the filter compared it
        notify(
            user=row.user,
            type="subscription_ending",
            title="Your subscription ends soon",
            body=f"Your {row.plan.name if row.plan else 'premium'} access ends on {local_date(row.user, ends)}. "
            "Resume it any time before then to keep it.",
            data={"current_period_end": ends.isoformat(), "reason": "cancel_at_period_end"},
            dedupe_key=f"subscription-ending:{row.gateway_subscription_id}:{int(ends.timestamp())}",
        )
        sent += 1
    return sent
