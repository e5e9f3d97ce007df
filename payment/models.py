"""Plans, each user's subscription, the ledger, and the record of Stripe events.

State comes from Stripe: our rows are a copy kept current by signed webhooks
(``payment.webhooks``) and by the answers of our own calls to Stripe. The ledger is
append-only: a refund is a new row, never an edit of the charge it refunds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from fitcore.api.models import BaseModel, TenantManager, TenantOwned, TenantQuerySet

CURRENCY_VALIDATOR = RegexValidator(r"^[a-z]{3}$", "An ISO 4217 code in lower case, as Stripe writes it (usd, eur).")
PLAN_CODE_VALIDATOR = RegexValidator(r"^[a-z0-9][a-z0-9_-]{0,49}$", "Lower-case letters, digits, - and _.")


class Gateway(models.TextChoices):
    # App Store and Google Play receipts would join here; only Stripe is built.
    STRIPE = "stripe", "Stripe"


class Plan(BaseModel):
    """Something a user can buy. ``tenant`` empty: FitCore's own plans, sold to every tenant
    that has none of its own; a tenant with active plans of its own sells only those."""

    class Interval(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        YEARLY = "yearly", "Yearly"
        LIFETIME = "lifetime", "Lifetime (one payment)"

    tenant = models.ForeignKey(
        "users.Tenant", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=True
    )
    code = models.CharField(max_length=50, validators=[PLAN_CODE_VALIDATOR])
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    interval = models.CharField(max_length=16, choices=Interval.choices)
    stripe_price_id = models.CharField(
        max_length=255, unique=True, help_text="The Stripe Price this plan sells (price_...)."
    )
    amount = models.PositiveBigIntegerField(help_text="In the currency's minor unit (cents).")
    currency = models.CharField(max_length=3, default="usd", validators=[CURRENCY_VALIDATOR])
    trial_days = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0)], help_text="Recurring plans only; Stripe allows up to 730."
    )
    active = models.BooleanField(default=True, help_text="Inactive plans are not sold; subscribers keep them.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "amount", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="payment_plan_code_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(tenant__isnull=True), name="payment_plan_code_unique_global"
            ),
            models.CheckConstraint(
                condition=~Q(interval="lifetime") | Q(trial_days=0), name="payment_plan_lifetime_has_no_trial"
            ),
            models.CheckConstraint(condition=Q(trial_days__lte=730), name="payment_plan_trial_days_max"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_global(self) -> bool:
        return self.tenant_id is None

    @property
    def is_recurring(self) -> bool:
        return self.interval != self.Interval.LIFETIME


class SubscriptionStatus(models.TextChoices):
    INACTIVE = "inactive", "Inactive (never subscribed)"
    INCOMPLETE = "incomplete", "Incomplete (first payment pending)"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    UNPAID = "unpaid", "Unpaid"


class Subscription(TenantOwned):
    """A user's current entitlement: one row per user, updated as Stripe reports changes.

    A lifetime purchase is ``status=active`` with a lifetime ``plan`` and no period end.
    ``last_event_at`` is the ``created`` time of the newest event applied: an older one
    arriving late is recorded but changes nothing.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.INACTIVE)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    # {subscription id: unix end of the last period paid for (or a trial)}, a max per subscription
    # whatever order the events come in. ``paid_until`` is the current subscription's entry:
    # Stripe moves the period forward before it charges, so past_due access runs to here.
    paid_periods = models.JSONField(default=dict, blank=True)
    paid_until = models.DateTimeField(null=True, blank=True)
    gateway = models.CharField(max_length=16, choices=Gateway.choices, default=Gateway.STRIPE)
    gateway_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    gateway_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="payment_subscription_one_per_user"),
            models.UniqueConstraint(
                fields=["tenant", "gateway", "gateway_customer_id"],
                condition=~Q(gateway_customer_id=""),
                name="payment_subscription_customer_unique",
            ),
        ]
        indexes = [
            # The nightly "ending soon" reminder: cancelling subscriptions by period end.
            models.Index(
                fields=["current_period_end"], condition=Q(cancel_at_period_end=True), name="payment_sub_ending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status}"


class _AppendOnly:
    """Querysets of the ledger: no bulk update or delete either (PostgreSQL also refuses them, by trigger)."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("The ledger is append-only: transactions are never updated.")

    def delete(self) -> Any:
        raise TypeError("The ledger is append-only: transactions are never deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise TypeError("The ledger is append-only: transactions are never updated.")


class TransactionQuerySet(_AppendOnly, TenantQuerySet["Transaction"]):
    pass


class UnscopedTransactionQuerySet(_AppendOnly, models.QuerySet["Transaction"]):
    pass


class TransactionManager(TenantManager["Transaction"]):
    def get_queryset(self) -> TransactionQuerySet:
        return TransactionQuerySet(self.model, using=self._db)


class Transaction(TenantOwned):
    """One line of the ledger. Append-only: no update or delete path, for one row or many."""

    unscoped = UnscopedTransactionQuerySet.as_manager()  # type: ignore[misc]
    objects: ClassVar[TransactionManager] = TransactionManager()

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded (in full)"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.PositiveBigIntegerField(help_text="Minor units; a refund's amount is what was given back.")
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=24, choices=Status.choices)
    gateway = models.CharField(max_length=16, choices=Gateway.choices, default=Gateway.STRIPE)
    # Unique (per tenant, and an event's tenant is always the same): a retried or duplicated
    # event can never write a row twice.
    gateway_transaction_id = models.CharField(max_length=255)
    # The charge or payment intent a charge row was paid with: what a refund event names.
    gateway_payment_ref = models.CharField(max_length=255, blank=True, db_index=True)
    gateway_response = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "gateway", "gateway_transaction_id"], name="payment_txn_gateway_id_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "user", "-created_at"], name="payment_txn_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.gateway_transaction_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("The ledger is append-only: write a new Transaction instead of changing one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("The ledger is append-only: transactions are never deleted.")


class StripeEvent(models.Model):
    """Every signed event we received, by Stripe's id: the idempotency record.

    ``processed_at`` is set in the transaction that applied the event, so an event is
    applied once; ``error`` keeps the last failure of one that could not be (Stripe retries).
    """

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    livemode = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True, help_text="What applying it did, in a few words.")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
