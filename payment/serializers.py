"""Input validation and output shape of /api/v1/payments/."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from fitcore.api.serializers import OptionalCharField, OutputSerializer, RowSerializer, StrictKeysSerializer
from fitcore.api.tenancy import parse_object_id

from .models import Gateway, Plan, SubscriptionStatus, Transaction


class PlanSerializer(OutputSerializer):
    """A plan on sale. ``amount`` is in the currency's minor unit (1900 = 19.00 USD)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = OptionalCharField(read_only=True)
    interval = serializers.ChoiceField(choices=Plan.Interval.choices, read_only=True)
    amount = serializers.IntegerField(read_only=True, min_value=0)
    currency = serializers.CharField(read_only=True, help_text="ISO 4217, lower case.")
    trial_days = serializers.IntegerField(
        read_only=True, min_value=0, help_text="Free days before the first charge (first subscription only)."
    )
    is_global = serializers.BooleanField(
        read_only=True, help_text="Sold by FitCore rather than by your app's provider."
    )


class _IdField(serializers.IntegerField):
    """An object id: a JSON integer or ASCII digits, one spelling per id (see parse_object_id)."""

    def to_internal_value(self, data: Any) -> int:
        parsed = parse_object_id(data)
        if parsed is None:
            self.fail("invalid")
        return parsed


class CheckoutInputSerializer(StrictKeysSerializer):
    plan = _IdField(min_value=1, max_value=2**63 - 1, help_text="The id of a plan from GET /payments/plans/.")


class CheckoutSessionSerializer(OutputSerializer):
    id = serializers.CharField(read_only=True, help_text="The Stripe Checkout Session id (cs_...).")
    url = serializers.URLField(read_only=True, help_text="Open this page to pay.")
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class PortalSessionSerializer(OutputSerializer):
    url = serializers.URLField(
        read_only=True, help_text="Stripe's customer portal for this user, valid for a short time."
    )


class SubscriptionPlanSerializer(OutputSerializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    interval = serializers.ChoiceField(choices=Plan.Interval.choices, read_only=True)


class SubscriptionSerializer(OutputSerializer):
    """Your entitlement. ``has_active_access`` is the one answer apps should act on: it is
    true while active or trialing, for canceled or past-due subscriptions until the paid
    period ends, and for good after a lifetime purchase."""

    status = serializers.ChoiceField(choices=SubscriptionStatus.choices, read_only=True)
    plan = SubscriptionPlanSerializer(read_only=True, allow_null=True)
    has_active_access = serializers.BooleanField(read_only=True)
    current_period_start = serializers.DateTimeField(read_only=True, allow_null=True)
    current_period_end = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null for a lifetime purchase."
    )
    cancel_at_period_end = serializers.BooleanField(read_only=True)
    canceled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    trial_end = serializers.DateTimeField(read_only=True, allow_null=True)
    paid_until = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The end of the last period paid for: a past-due or cancelled subscription's access runs to here.",
    )
    gateway = serializers.ChoiceField(choices=Gateway.choices, read_only=True)


class TransactionSerializer(RowSerializer):
    """One ledger line. A refund is its own line (``kind=refund``) with the amount given back."""

    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    plan = serializers.CharField(source="plan.code", read_only=True, allow_null=True, help_text="The plan's code.")
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices, read_only=True)
    status = serializers.ChoiceField(choices=Transaction.Status.choices, read_only=True)
    amount = serializers.IntegerField(read_only=True, min_value=0, help_text="Minor units.")
    currency = serializers.CharField(read_only=True)
    description = OptionalCharField(read_only=True)
    gateway = serializers.ChoiceField(choices=Gateway.choices, read_only=True)
    gateway_transaction_id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class WebhookAckSerializer(OutputSerializer):
    received = serializers.BooleanField(read_only=True)
    duplicate = serializers.BooleanField(read_only=True, help_text="Already processed: nothing was done again.")
