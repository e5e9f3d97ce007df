"""Isolation sweep cases for /api/v1/payments/ (see fitcore/tests/sweep.py)."""

from fitcore.tests import sweep
from payment.models import Plan, Subscription, Transaction


@sweep.seeder
def seed_payments(world: sweep.World) -> None:
    # A sells its own plan; A's member has a Stripe customer, a running subscription and a ledger.
    plan = Plan.objects.create(
        tenant=world.a,
        code="a-plan",
        name=world.marker("plan"),
        interval=Plan.Interval.MONTHLY,
        stripe_price_id=world.marker("price"),
        amount=1234,
    )
    world.objects["plan"] = plan
    Subscription.objects.create(
        tenant=world.a,
        user=world.a_user,
        plan=plan,
        status="active",
        gateway_customer_id=world.marker("cus"),
        gateway_subscription_id=world.marker("sub"),
    )
    world.objects["transaction"] = Transaction.objects.create(
        tenant=world.a,
        user=world.a_user,
        plan=plan,
        amount=1234,
        currency="usd",
        kind="charge",
        status="succeeded",
        gateway_transaction_id=world.marker("in"),
        description=world.marker("ledger-line"),
    )


sweep.route("payment:plans")
# B's member names A's plan: refused like a plan that does not exist (404 plan_not_found).
sweep.route("payment:checkout", payload=lambda w: {"plan": w.objects["plan"].pk})
sweep.route("payment:portal", payload=lambda w: {}, payload_names_foreign=False)
sweep.route("payment:subscription")
sweep.route("payment:subscription-cancel", payload=lambda w: {}, payload_names_foreign=False)
sweep.route("payment:subscription-resume", payload=lambda w: {}, payload_names_foreign=False)
sweep.route("payment:transaction-list")
# No principal (the signature is the proof): B's credentials change nothing, and an unsigned body is a 400.
sweep.route("payment:stripe-webhook", payload=lambda w: {}, payload_names_foreign=False)
