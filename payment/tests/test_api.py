"""The payments API as the app and partners use it: plans, checkout, portal, subscription, ledger."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from payment.models import Plan, Subscription, Transaction
from payment.selectors import has_active_access, row_grants_access
from payment.services import subscription_row
from users.models import User
from users.tests.factories import UserFactory

from .conftest import customer_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/payments"
PROBLEM = "application/problem+json"
NOW = int(time.time())
DAY = 86_400


def active(
    user: User, *, sub_id: str = "sub_live", customer: str = "cus_live", plan: Plan | None = None, **fields: Any
) -> Subscription:
    row = customer_of(user, customer)
    row.gateway_subscription_id = sub_id
    row.status = fields.pop("status", "active")
    row.plan = plan
    row.current_period_start = timezone.now() - timedelta(days=1)
    row.current_period_end = fields.pop("current_period_end", timezone.now() + timedelta(days=29))
    row.paid_until = fields.pop("paid_until", row.current_period_end)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


# --- plans -------------------------------------------------------------------------------


def test_plans_list_global_ones_until_the_tenant_sells_its_own(
    user_client: APIClient, tenant: Any, other_tenant: Any, plans: Any, django_assert_max_num_queries: Any
) -> None:
    Plan.objects.create(
        tenant=other_tenant, code="theirs", name="Theirs", interval="monthly", stripe_price_id="p_theirs", amount=1
    )
    Plan.objects.create(
        code="retired", name="Retired", interval="monthly", stripe_price_id="p_retired", amount=1, active=False
    )
    with django_assert_max_num_queries(3):
        body = user_client.get(f"{BASE}/plans/").json()
    assert [p["code"] for p in body] == ["premium-monthly", "premium-yearly", "premium-lifetime"]
    assert body[0] == {
        "id": plans["monthly"].pk,
        "code": "premium-monthly",
        "name": "Premium monthly",
        "description": None,
        "interval": "monthly",
        "amount": 999,
        "currency": "usd",
        "trial_days": 7,
        "is_global": True,
    }
    Plan.objects.create(
        tenant=tenant, code="ours", name="Ours", interval="yearly", stripe_price_id="p_ours", amount=5000
    )
    assert [p["code"] for p in user_client.get(f"{BASE}/plans/").json()] == ["ours"]


def test_plans_need_a_login_and_keys_need_the_scope(api_client: APIClient, tenant: Any, plans: Any) -> None:
    assert api_client.get(f"{BASE}/plans/").status_code == 401
    assert api_key_client_for(tenant, ["users:read"]).get(f"{BASE}/plans/").status_code == 403
    assert api_key_client_for(tenant, ["payments:read"]).get(f"{BASE}/plans/").status_code == 200


# --- checkout ----------------------------------------------------------------------------


def test_checkout_creates_a_customer_once_and_a_subscription_session(
    user_client: APIClient, user: User, plans: Any, stripe_api: Any
) -> None:
    response = user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    (customer_call,) = stripe_api.calls("/v1/customers")
    assert customer_call.params["email"] == user.email
    assert customer_call.params["metadata[fitcore_user]"] == str(user.pk)
    (session,) = stripe_api.calls("/v1/checkout/sessions")
    params = session.params
    assert params["mode"] == "subscription"
    assert params["customer"] == Subscription.unscoped.get(user=user).gateway_customer_id
    assert params["client_reference_id"] == str(user.pk)
    assert params["line_items[0][price]"] == "price_monthly"
    assert params["subscription_data[trial_period_days]"] == "7"
    assert params["success_url"].startswith("http") and params["cancel_url"].startswith("http")
    assert session.headers["idempotency-key"].startswith(f"fitcore-checkout-{user.pk}-{plans['monthly'].pk}-")
    assert session.headers["stripe-version"] == "2026-10-28.endive"
    # Again, for the yearly plan: the same customer, no second one.
    assert user_client.post(f"{BASE}/checkout/", {"plan": plans["yearly"].pk}, format="json").status_code == 201
    assert len(stripe_api.calls("/v1/customers")) == 1
    assert stripe_api.calls("/v1/checkout/sessions")[1].params["customer"] == params["customer"]


def test_lifetime_checkout_is_a_payment(user_client: APIClient, plans: Any, stripe_api: Any) -> None:
    user_client.post(
        f"{BASE}/checkout/", {"plan": plans["lifetime"].pk}, format="json", HTTP_IDEMPOTENCY_KEY="attempt-1"
    )
    (session,) = stripe_api.calls("/v1/checkout/sessions")
    assert session.params["mode"] == "payment"
    assert session.params["metadata[fitcore_plan]"] == str(plans["lifetime"].pk)
    assert "subscription_data[trial_period_days]" not in session.params
    assert session.headers["idempotency-key"].endswith("-attempt-1")


def test_the_trial_is_for_a_first_subscription_only(
    user_client: APIClient, user: User, plans: Any, stripe_api: Any
) -> None:
    active(user, status="canceled", current_period_end=timezone.now() - timedelta(days=1))
    assert user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json").status_code == 201
    assert "subscription_data[trial_period_days]" not in stripe_api.calls("/v1/checkout/sessions")[0].params


def test_checkout_refuses_what_it_cannot_sell(
    user_client: APIClient, user: User, other_tenant: Any, plans: Any, stripe_api: Any
) -> None:
    theirs = Plan.objects.create(
        tenant=other_tenant, code="t", name="T", interval="monthly", stripe_price_id="p_t", amount=1
    )
    retired = Plan.objects.create(
        code="old", name="Old", interval="monthly", stripe_price_id="p_old", amount=1, active=False
    )
    for plan_id in (theirs.pk, retired.pk, 999999):
        response = user_client.post(f"{BASE}/checkout/", {"plan": plan_id}, format="json")
        assert (response.status_code, response["Content-Type"], response.json()["code"]) == (
            404,
            PROBLEM,
            "plan_not_found",
        )
    for bad in ({}, {"plan": "abc"}, {"plan": "\uff11"}, {"plan": True}, {"plan": 1, "extra": 1}):
        response = user_client.post(f"{BASE}/checkout/", bad, format="json")
        assert response.status_code == 400, bad
    bad_key = user_client.post(
        f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json", HTTP_IDEMPOTENCY_KEY="has space"
    )
    assert bad_key.json()["code"] == "invalid_idempotency_key"
    assert not stripe_api.requests


def test_an_active_user_gets_409(user_client: APIClient, user: User, plans: Any, stripe_api: Any) -> None:
    active(user)
    response = user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "subscription_active")
    assert not stripe_api.requests


def test_a_past_due_or_lapsed_running_subscription_is_never_doubled(
    user_client: APIClient, user: User, plans: Any, stripe_api: Any
) -> None:
    # Past due beyond the paid period: no access, but the subscription still runs (and bills).
    active(user, status="past_due", paid_until=timezone.now() - timedelta(days=1))
    response = user_client.post(f"{BASE}/checkout/", {"plan": plans["lifetime"].pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "subscription_active")
    assert not stripe_api.requests


def test_a_reused_idempotency_key_is_409(user_client: APIClient, plans: Any, stripe_api: Any) -> None:
    user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json")  # makes the customer
    stripe_api.fail_next = (
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters",
    )
    response = user_client.post(
        f"{BASE}/checkout/", {"plan": plans["yearly"].pk}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_key_reused")


def test_without_a_secret_key_checkout_and_portal_are_503(
    user_client: APIClient, user: User, plans: Any, settings: Any
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    requests = [
        (f"{BASE}/checkout/", {"plan": plans["monthly"].pk}),
        (f"{BASE}/portal/", None),
        (f"{BASE}/subscription/cancel/", None),
        (f"{BASE}/subscription/resume/", None),
    ]
    for path, data in requests:
        response = user_client.post(path, data, format="json")
        assert (response.status_code, response["Content-Type"], response.json()["code"]) == (
            503,
            PROBLEM,
            "payments_not_configured",
        ), path
    assert not Subscription.unscoped.exists()


def test_stripe_failures_are_problems_and_write_nothing(
    user_client: APIClient, user: User, plans: Any, stripe_api: Any
) -> None:
    stripe_api.fail_next = (500, "api_error", "Stripe is down")
    response = user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (502, "payment_gateway_error")
    assert not Subscription.unscoped.filter(user=user).exclude(gateway_customer_id="").exists()
    stripe_api.fail_next = (429, "rate_limit_error", "Too many requests")
    assert (
        user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json").json()["code"]
        == "payment_gateway_busy"
    )


def test_api_keys_cannot_check_out(tenant: Any, plans: Any, stripe_api: Any) -> None:
    response = api_key_client_for(tenant).post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "api_key_not_allowed")


# --- portal, subscription, cancel, resume ---------------------------------------------


def test_portal_session_for_the_users_customer(
    user_client: APIClient, user: User, stripe_api: Any, settings: Any
) -> None:
    assert user_client.post(f"{BASE}/portal/").json()["code"] == "no_billing_account"
    customer_of(user, "cus_portal")
    response = user_client.post(f"{BASE}/portal/")
    assert response.status_code == 201
    assert response.json()["url"].startswith("https://billing.stripe.com/")
    (call,) = stripe_api.calls("/v1/billing_portal/sessions")
    assert call.params == {"customer": "cus_portal", "return_url": settings.STRIPE_PORTAL_RETURN_URL}


def test_subscription_of_a_user_who_never_subscribed(
    user_client: APIClient, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        response = user_client.get(f"{BASE}/subscription/")
    assert response.json() == {
        "status": "inactive",
        "plan": None,
        "has_active_access": False,
        "current_period_start": None,
        "current_period_end": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "trial_end": None,
        "paid_until": None,
        "gateway": "stripe",
    }


def test_subscription_shows_the_plan_and_access(
    user_client: APIClient, user: User, plans: Any, django_assert_max_num_queries: Any
) -> None:
    active(user, plan=plans["yearly"])
    with django_assert_max_num_queries(4):
        body = user_client.get(f"{BASE}/subscription/").json()
    assert body["status"] == "active" and body["has_active_access"] is True
    assert body["plan"] == {
        "id": plans["yearly"].pk,
        "code": "premium-yearly",
        "name": "Premium yearly",
        "interval": "yearly",
    }


def test_cancel_then_resume_through_stripe(user_client: APIClient, user: User, plans: Any, stripe_api: Any) -> None:
    active(user, plan=plans["monthly"])
    stripe_api.add_subscription("sub_live", customer="cus_live", price="price_monthly")
    response = user_client.post(f"{BASE}/subscription/cancel/")
    assert response.status_code == 200
    assert response.json()["cancel_at_period_end"] is True and response.json()["has_active_access"] is True
    assert stripe_api.calls("/v1/subscriptions/sub_live")[0].params == {"cancel_at_period_end": "true"}
    again = user_client.post(f"{BASE}/subscription/cancel/")
    assert again.status_code == 200 and len(stripe_api.calls("/v1/subscriptions/sub_live")) == 1  # idempotent
    resumed = user_client.post(f"{BASE}/subscription/resume/")
    assert resumed.status_code == 200 and resumed.json()["cancel_at_period_end"] is False
    assert user_client.post(f"{BASE}/subscription/resume/").json()["code"] == "not_cancelling"


def test_a_late_older_webhook_does_not_undo_a_cancel(
    user_client: APIClient, user: User, plans: Any, stripe_api: Any, deliver: Any
) -> None:
    from .conftest import subscription_object

    active(user, plan=plans["monthly"])
    stripe_api.add_subscription("sub_live", customer="cus_live", price="price_monthly")
    user_client.post(f"{BASE}/subscription/cancel/")
    before = subscription_object("sub_live", "cus_live", start=NOW - DAY, end=NOW + 29 * DAY)
    deliver("customer.subscription.updated", before, created=NOW - 60)
    assert Subscription.unscoped.get(user=user).cancel_at_period_end is True


def test_cancel_without_a_subscription_is_409(user_client: APIClient, user: User, stripe_api: Any, plans: Any) -> None:
    assert user_client.post(f"{BASE}/subscription/cancel/").json()["code"] == "no_subscription"
    active(user, plan=plans["lifetime"], sub_id="", current_period_end=None)  # lifetime: nothing recurring
    response = user_client.post(f"{BASE}/subscription/cancel/")
    assert (response.status_code, response.json()["code"]) == (409, "no_subscription")


def test_cancel_when_stripe_no_longer_has_it_is_502(
    user_client: APIClient, user: User, stripe_api: Any, plans: Any
) -> None:
    active(user, plan=plans["monthly"], sub_id="sub_gone")
    response = user_client.post(f"{BASE}/subscription/cancel/")
    assert (response.status_code, response.json()["code"]) == (502, "payment_gateway_error")
    assert Subscription.unscoped.get(user=user).cancel_at_period_end is False


# --- the ledger ----------------------------------------------------------------------------


def _ledger(user: User, n: int, plan: Plan | None = None) -> list[Transaction]:
    row = subscription_row(user)
    return [
        Transaction.objects.create(
            tenant_id=row.tenant_id,
            user=user,
            plan=plan,
            amount=100 * (i + 1),
            currency="usd",
            kind="charge",
            status="succeeded",
            gateway_transaction_id=f"in_{user.pk}_{i}",
        )
        for i in range(n)
    ]


def test_transactions_mine_newest_first(
    user_client: APIClient, user: User, tenant: Any, plans: Any, django_assert_max_num_queries: Any
) -> None:
    mine = _ledger(user, 3, plans["monthly"])
    _ledger(UserFactory.create(tenant=tenant), 2)
    with django_assert_max_num_queries(2):
        body = user_client.get(f"{BASE}/transactions/").json()
    assert [r["id"] for r in body["results"]] == [t.pk for t in reversed(mine)]
    assert body["results"][0] == {
        "id": mine[2].pk,
        "user": user.pk,
        "plan": "premium-monthly",
        "kind": "charge",
        "status": "succeeded",
        "amount": 300,
        "currency": "usd",
        "description": None,
        "gateway": "stripe",
        "gateway_transaction_id": f"in_{user.pk}_2",
        "created_at": body["results"][0]["created_at"],
    }


def test_tenant_admins_and_keys_see_the_tenant_and_filter_by_user(
    tenant_admin: User, tenant: Any, other_tenant: Any
) -> None:
    member = UserFactory.create(tenant=tenant)
    ours = _ledger(member, 2) + _ledger(tenant_admin, 1)
    _ledger(UserFactory.create(tenant=other_tenant), 2)
    for client in (jwt_client_for(tenant_admin), api_key_client_for(tenant, ["payments:read"])):
        assert sorted(r["id"] for r in client.get(f"{BASE}/transactions/").json()["results"]) == sorted(
            t.pk for t in ours
        )
        narrowed = client.get(f"{BASE}/transactions/", {"user": member.pk}).json()["results"]
        assert {r["user"] for r in narrowed} == {member.pk}
        assert client.get(f"{BASE}/transactions/", {"user": "x"}).status_code == 400
    assert api_key_client_for(tenant, ["users:read"]).get(f"{BASE}/transactions/").status_code == 403
    # A member's ?user= of someone else narrows their own lines to none.
    assert jwt_client_for(member).get(f"{BASE}/transactions/", {"user": tenant_admin.pk}).json()["results"] == []


def test_transaction_filters(user_client: APIClient, user: User) -> None:
    row = subscription_row(user)
    Transaction.objects.create(
        tenant_id=row.tenant_id,
        user=user,
        amount=5,
        currency="usd",
        kind="refund",
        status="refunded",
        gateway_transaction_id="re_1",
    )
    _ledger(user, 1)
    assert [r["kind"] for r in user_client.get(f"{BASE}/transactions/", {"kind": "refund"}).json()["results"]] == [
        "refund"
    ]
    assert user_client.get(f"{BASE}/transactions/", {"status": "failed"}).json()["results"] == []
    assert user_client.get(f"{BASE}/transactions/", {"kind": "gift"}).status_code == 400
    assert user_client.get(f"{BASE}/transactions/", {"created_after": "not a date"}).status_code == 400
    # ISO 8601 allows offsets PostgreSQL does not (beyond ±15:59): compared in UTC, they work.
    far = user_client.get(f"{BASE}/transactions/", {"created_after": "0862-10-09T07:15:40.922+23:36"})
    assert far.status_code == 200 and len(far.json()["results"]) == 2
    for outside in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):  # not a time in UTC
        response = user_client.get(f"{BASE}/transactions/", {"created_before": outside})
        assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "created_before")


def test_the_ledger_is_append_only(user: User) -> None:
    (line,) = _ledger(user, 1)
    line.amount = 1
    with pytest.raises(TypeError):
        line.save()
    with pytest.raises(TypeError):
        line.delete()
    with pytest.raises(TypeError):
        Transaction.unscoped.filter(pk=line.pk).update(amount=1)
    with pytest.raises(TypeError):
        Transaction.objects.for_tenant(line.tenant_id).filter(pk=line.pk).delete()
    with pytest.raises(TypeError):
        Transaction.unscoped.bulk_update([line], ["amount"])
    assert Transaction.unscoped.get().amount == 100


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_ledger_updates_and_deletes(user: User) -> None:
    from django.db import DatabaseError, transaction

    _ledger(user, 1)
    for statement in ("UPDATE payment_transaction SET amount = 1", "DELETE FROM payment_transaction"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Transaction.unscoped.get().amount == 100


# --- premium gate, dashboard, export ----------------------------------------------------------


def test_has_active_access_is_one_query_and_remembered(user: User, django_assert_num_queries: Any) -> None:
    active(user)
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert has_active_access(fresh) and has_active_access(fresh)


@pytest.mark.parametrize(
    ("status", "period_end_days", "paid_days", "expected"),
    [
        ("active", 10, 10, True),
        ("trialing", 3, 3, True),
        ("canceled", 2, 2, True),  # cancelled at period end: until it ends
        ("canceled", 2, None, False),  # never paid
        ("canceled", -1, -1, False),
        ("canceled", -1, 20, False),  # cancelled at once: the end came first
        ("past_due", 29, 1, True),  # a failed renewal: until the paid period ends...
        ("past_due", 29, -1, False),  # ...not until the end of the new, unpaid one
        ("unpaid", 5, 5, False),
        ("incomplete", 5, None, False),
        ("inactive", None, None, False),
    ],
)
def test_has_active_access_rules(
    user: User, status: str, period_end_days: int | None, paid_days: int | None, expected: bool
) -> None:
    def days(n: int | None) -> Any:
        return None if n is None else timezone.now() + timedelta(days=n)

    row = active(user, status=status, current_period_end=days(period_end_days), paid_until=days(paid_days))
    assert has_active_access(User.objects.get(pk=user.pk)) is expected
    assert row_grants_access(row) is expected  # the loaded-row twin agrees with the query


def test_has_active_access_permission_answers_subscription_required(user: User, rf: Any) -> None:
    from rest_framework.views import APIView

    from payment.permissions import HasActiveAccess

    class Premium(APIView):
        permission_classes = [HasActiveAccess]

        def get(self, request: Any) -> Any:
            from rest_framework.response import Response

            return Response({"ok": True})

    from authapp.tokens import issue_token_pair

    token = issue_token_pair(user)["access"]
    view = Premium.as_view()
    response = view(rf.get("/x", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    import json

    assert json.loads(response.content)["code"] == "subscription_required"
    active(user)
    assert view(rf.get("/x", HTTP_AUTHORIZATION=f"Bearer {token}")).status_code == 200


def test_dashboard_shows_status_and_export_the_ledger(user_client: APIClient, user: User, plans: Any) -> None:
    active(user, plan=plans["monthly"])
    _ledger(user, 2, plans["monthly"])
    dashboard = user_client.get("/api/v1/users/me/dashboard/").json()["sections"]["subscription"]
    assert dashboard["status"] == "active" and dashboard["plan"] == "premium-monthly"
    assert dashboard["has_active_access"] is True
    assert "transactions" not in dashboard
    export = user_client.get("/api/v1/users/me/export/").json()["sections"]["payments"]
    assert export["subscription"]["gateway_customer_id"] == "cus_live"
    assert [t["amount"] for t in export["transactions"]] == [100, 200]


def test_a_returning_buyers_checkout_reads_two_rows_and_calls_stripe_once(
    user_client: APIClient, user: User, plans: Any, stripe_api: Any, django_assert_max_num_queries: Any
) -> None:
    customer_of(user, "cus_returning")
    user_client.get(f"{BASE}/subscription/")  # signs in once: the principal is cached from here on
    with django_assert_max_num_queries(2):  # the subscription row, the plans on sale
        response = user_client.post(f"{BASE}/checkout/", {"plan": plans["monthly"].pk}, format="json")
    assert response.status_code == 201
    assert [r.path for r in stripe_api.requests] == ["/v1/checkout/sessions"]
