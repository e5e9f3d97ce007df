"""Staff views of payments: plans are edited here; everything else is Stripe's state, shown read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Plan, StripeEvent, Subscription, Transaction


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "tenant",
        "interval",
        "amount",
        "currency",
        "trial_days",
        "active",
        "stripe_price_id",
    ]
    list_filter = ["active", "interval", "tenant"]
    search_fields = ["name", "code", "stripe_price_id"]
    list_select_related = ["tenant"]
    list_editable = ["active"]
    autocomplete_fields = ["tenant"]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "name", "description", "interval", "active", "sort_order"]}),
        ("Price (must match the Stripe Price)", {"fields": ["stripe_price_id", "amount", "currency", "trial_days"]}),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Subscriptions and the ledger point at plans: retire one with "active" instead.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Plan | None = None) -> Any:
        # Once sold, what was sold stays put: a sold monthly plan turned "lifetime" would make
        # its subscribers lifetime buyers. Sell a new plan instead.
        sold = obj is not None and (
            Subscription.unscoped.filter(plan=obj).exists() or Transaction.unscoped.filter(plan=obj).exists()
        )
        return ["tenant", "interval", "stripe_price_id", "currency"] if sold else []


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by webhooks and services: staff read, nobody edits or deletes by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "tenant", "plan", "status", "current_period_end", "cancel_at_period_end", "last_event_at"]
    list_filter = ["status", "cancel_at_period_end", "gateway", "tenant"]
    search_fields = ["user__email", "gateway_customer_id", "gateway_subscription_id"]
    list_select_related = ["user", "tenant", "plan"]
    show_full_result_count = False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    """The ledger is append-only: no add, change or delete path, here or in code."""

    list_display = [
        "created_at",
        "user",
        "tenant",
        "kind",
        "status",
        "amount",
        "currency",
        "plan",
        "gateway_transaction_id",
    ]
    list_filter = ["kind", "status", "gateway", "tenant"]
    search_fields = ["user__email", "gateway_transaction_id", "gateway_payment_ref"]
    list_select_related = ["user", "tenant", "plan"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "created", "received_at", "processed_at", "outcome", "attempts", "has_error"]
    list_filter = ["type", "livemode"]
    search_fields = ["event_id", "type"]
    date_hierarchy = "received_at"
    show_full_result_count = False

    @admin.display(boolean=True, description="Error")
    def has_error(self, obj: StripeEvent) -> bool:
        return bool(obj.error)
