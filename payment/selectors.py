"""Reads other apps share: above all ``has_active_access``, the one premium check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Plan, Subscription, SubscriptionStatus, Transaction

if TYPE_CHECKING:
    from users.models import Tenant, User

# Paid up: the period runs on. These two keep access until the paid period ends (``paid_until``).
_LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
_UNTIL_PAID_END = (SubscriptionStatus.CANCELED, SubscriptionStatus.PAST_DUE)
_CACHE_ATTR = "_payment_has_active_access"


def access_q(now: Any = None) -> Q:
    """The rows that grant access, as a filter on ``Subscription`` (also usable in subqueries).

    Keep in step with ``row_grants_access``: tests compare the two on every status.
    """
    now = now or timezone.now()
    return (
        Q(status__in=_LIVE)
        | Q(status=SubscriptionStatus.PAST_DUE, paid_until__gt=now)
        # Ended: what was paid, but never past the end (an immediate cancellation ends it early).
        | Q(status=SubscriptionStatus.CANCELED, paid_until__gt=now, current_period_end__gt=now)
    )


def row_grants_access(row: Subscription | None, now: Any = None) -> bool:
    """``access_q`` for a row already loaded: the same rules, no query."""
    if row is None:
        return False
    if row.status in _LIVE:
        return True
    now = now or timezone.now()
    if row.status not in _UNTIL_PAID_END or row.paid_until is None or row.paid_until <= now:
        return False
    if row.status == SubscriptionStatus.CANCELED:
        return row.current_period_end is not None and row.current_period_end > now
    return True


def remember_access(user: User, granted: bool) -> None:
    setattr(user, _CACHE_ATTR, granted)


def has_active_access(user: User) -> bool:
    """Premium access: active or trialing; canceled or past due until the paid period ends
    (``paid_until``: a failed renewal's new period was never paid); a paid lifetime purchase for
    good (it is ``active`` with no period end).

    One query on the (tenant, user) unique index, remembered on the user object, so one
    request asks the database once however many checks it makes.
    """
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return bool(cached)
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_api_key", False):
        return False
    granted = Subscription.objects.for_tenant(user.tenant_id).filter(access_q(), user_id=user.pk).exists()
    setattr(user, _CACHE_ATTR, granted)
    return granted


def forget_access(user: User) -> None:
    """Drop the remembered answer (after this process changed the user's subscription)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def plans_for_tenant(tenant: Tenant | int) -> list[Plan]:
    """Plans on sale to a tenant's users: its own active plans, or FitCore's if it has none.

    One plain query for both kinds, split here: a handful of rows, and an ``EXISTS``
    subquery cost more to build in the ORM than the whole answer.
    """
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    rows = list(Plan.objects.filter(Q(tenant_id=tenant_id) | Q(tenant__isnull=True), active=True))
    own = [plan for plan in rows if plan.tenant_id == tenant_id]
    return own or [plan for plan in rows if plan.tenant_id is None]


def plan_for_purchase(tenant: Tenant | int, plan_id: int) -> Plan | None:
    return next((plan for plan in plans_for_tenant(tenant) if plan.pk == plan_id), None)


def plan_by_price(tenant_id: int, price_id: str) -> Plan | None:
    """The plan a Stripe price belongs to, if it is this tenant's or global (sold or retired)."""
    if not price_id:
        return None
    return Plan.objects.filter(Q(tenant_id=tenant_id) | Q(tenant__isnull=True), stripe_price_id=price_id).first()


def subscription_get(user: User) -> Subscription | None:
    return Subscription.objects.for_tenant(user.tenant_id).select_related("plan").filter(user_id=user.pk).first()


def transactions(*, queryset: QuerySet[Transaction]) -> QuerySet[Transaction]:
    return queryset.order_by("-created_at", "-id")


def dashboard_section(user: User) -> dict[str, Any]:
    """Status only: what the app shows on its home screen."""
    sub = subscription_get(user)
    return {
        "status": sub.status if sub else SubscriptionStatus.INACTIVE,
        "plan": sub.plan.code if sub and sub.plan else None,
        "has_active_access": has_active_access(user),
        "current_period_end": sub.current_period_end if sub else None,
        "cancel_at_period_end": bool(sub and sub.cancel_at_period_end),
    }


def export_section(user: User) -> dict[str, Any]:
    """Everything we keep about the user's payments (not the raw gateway responses: Stripe's, not ours)."""
    sub = subscription_get(user)
    rows = Transaction.objects.for_tenant(user.tenant_id).filter(user_id=user.pk).select_related("plan")
    return {
        "subscription": None
        if sub is None
        else {
            "plan": sub.plan.code if sub.plan else None,
            "status": sub.status,
            "current_period_start": sub.current_period_start,
            "current_period_end": sub.current_period_end,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "canceled_at": sub.canceled_at,
            "trial_end": sub.trial_end,
            "paid_until": sub.paid_until,
            "gateway": sub.gateway,
            "gateway_customer_id": sub.gateway_customer_id,
            "gateway_subscription_id": sub.gateway_subscription_id,
        },
        "transactions": [
            {
                "created_at": row.created_at,
                "kind": row.kind,
                "status": row.status,
                "amount": row.amount,
                "currency": row.currency,
                "plan": row.plan.code if row.plan else None,
                "description": row.description,
                "gateway": row.gateway,
                "gateway_transaction_id": row.gateway_transaction_id,
            }
            for row in rows.order_by("created_at", "id")
        ],
    }
