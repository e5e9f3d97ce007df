"""/api/v1/payments/: plans, checkout, portal, the user's subscription, the ledger, and Stripe's webhook."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fitcore.api.exceptions import ApplicationError
from fitcore.api.filters import DjangoFilterBackend
from fitcore.api.pagination import CursorPagination
from fitcore.api.permissions import IsEndUser, ScopedAccess
from fitcore.api.schema import problem_response
from fitcore.api.tenancy import TenantScopedViewSet, principal_tenant
from fitcore.api.throttling import FixedWindowRateThrottle
from users.models import User

from . import selectors, services, webhooks
from .filters import TransactionFilter
from .models import Subscription, SubscriptionStatus, Transaction
from .serializers import (
    CheckoutInputSerializer,
    CheckoutSessionSerializer,
    PlanSerializer,
    PortalSessionSerializer,
    SubscriptionSerializer,
    TransactionSerializer,
    WebhookAckSerializer,
)

TAGS = ["payments"]


def _me(request: Request) -> User:
    return cast(User, request.user)


NOT_CONFIGURED = problem_response("Payments are not set up on this server (`payments_not_configured`).")
GATEWAY_DOWN = problem_response("Stripe refused or could not be reached; nothing changed (`payment_gateway_error`).")


class PaymentsThrottle(FixedWindowRateThrottle):
    """Checkout and portal sessions per user: each one is a call to Stripe."""

    scope = "payments"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": f"user{request.user.pk}"}


@extend_schema(tags=TAGS)
class PlanListView(APIView):
    permission_classes = [ScopedAccess]
    scope_area = "payments"

    @extend_schema(
        summary="Plans you can buy",
        description=(
            "Your app's own plans when its provider sells any, else FitCore's. `amount` is in minor units "
            "(1900 = 19.00). A handful of plans: not paginated."
        ),
        responses={200: PlanSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        plans = selectors.plans_for_tenant(principal_tenant(request))
        return Response(PlanSerializer(plans, many=True).data)


@extend_schema(tags=TAGS)
class CheckoutView(APIView):
    permission_classes = [IsEndUser]
    throttle_classes = [PaymentsThrottle]

    @extend_schema(
        summary="Start paying for a plan",
        description=(
            "Creates a Stripe Checkout Session (a subscription for monthly and yearly plans, one payment for "
            "lifetime) and returns its `url`: open it in a browser. Access starts when Stripe confirms the payment "
            "(webhook), not here. The trial is offered on a first subscription only. Sending the same "
            "`Idempotency-Key` again (or tapping twice within ten minutes) returns the same session."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                pattern=r"^[!-~]{1,200}$",
                description="Any unique string (1-200 printable ASCII characters) for this purchase attempt.",
            )
        ],
        request=CheckoutInputSerializer,
        responses={
            201: CheckoutSessionSerializer,
            404: problem_response("No such plan on sale to you (`plan_not_found`)."),
            409: problem_response("You already have access (`subscription_active`)."),
            502: GATEWAY_DOWN,
            503: NOT_CONFIGURED,
        },
    )
    def post(self, request: Request) -> Response:
        payload = CheckoutInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        me = _me(request)
        plan = selectors.plan_for_purchase(me.tenant_id, payload.validated_data["plan"])
        if plan is None:
            raise ApplicationError(code="plan_not_found", message="There is no such plan on sale to you.", status=404)
        session = services.checkout_session_create(
            user=me, plan=plan, idempotency_key=request.headers.get("Idempotency-Key")
        )
        return Response(CheckoutSessionSerializer(session).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class PortalView(APIView):
    permission_classes = [IsEndUser]
    throttle_classes = [PaymentsThrottle]

    @extend_schema(
        summary="Open the billing portal",
        description="A Stripe customer portal session: change the card, see invoices, switch or cancel the plan.",
        request=None,
        responses={
            201: PortalSessionSerializer,
            409: problem_response("You have never started a checkout (`no_billing_account`)."),
            502: GATEWAY_DOWN,
            503: NOT_CONFIGURED,
        },
    )
    def post(self, request: Request) -> Response:
        url = services.portal_session_create(user=_me(request))
        return Response(PortalSessionSerializer({"url": url}).data, status=status.HTTP_201_CREATED)


def _subscription_data(user: User, row: Subscription | None) -> Any:
    if row is None:
        row = cast(
            Subscription,
            SimpleNamespace(
                status=SubscriptionStatus.INACTIVE,
                plan=None,
                current_period_start=None,
                current_period_end=None,
                cancel_at_period_end=False,
                canceled_at=None,
                trial_end=None,
                paid_until=None,
                gateway="stripe",
            ),
        )
    data = SubscriptionSerializer(row).data
    # The row is loaded already: the same rules as has_active_access, without asking again.
    granted = selectors.row_grants_access(row) if isinstance(row, Subscription) else False
    selectors.remember_access(user, granted)
    data["has_active_access"] = granted
    return data


@extend_schema(tags=TAGS)
class SubscriptionView(APIView):
    permission_classes = [IsEndUser]

    @extend_schema(
        summary="Your subscription",
        description="Never subscribed: `status` is `inactive`. Act on `has_active_access`.",
        responses={200: SubscriptionSerializer},
    )
    def get(self, request: Request) -> Response:
        me = _me(request)
        return Response(_subscription_data(me, selectors.subscription_get(me)))


_CHANGE_RESPONSES = {
    200: SubscriptionSerializer,
    502: GATEWAY_DOWN,
    503: NOT_CONFIGURED,
}


@extend_schema(tags=TAGS)
class SubscriptionCancelView(APIView):
    permission_classes = [IsEndUser]

    @extend_schema(
        summary="Cancel at the end of the paid period",
        description="Access continues until `current_period_end`; idempotent. Resume any time before then.",
        request=None,
        responses={**_CHANGE_RESPONSES, 409: problem_response("No running subscription (`no_subscription`).")},
    )
    def post(self, request: Request) -> Response:
        me = _me(request)
        row = services.subscription_set_cancel_at_period_end(user=me, cancel=True)
        return Response(_subscription_data(me, row))


@extend_schema(tags=TAGS)
class SubscriptionResumeView(APIView):
    permission_classes = [IsEndUser]

    @extend_schema(
        summary="Keep a subscription you cancelled",
        description="Before the period ends: it renews again as before.",
        request=None,
        responses={
            **_CHANGE_RESPONSES,
            409: problem_response(
                "No running subscription (`no_subscription`), or it is not set to end (`not_cancelling`)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        me = _me(request)
        row = services.subscription_set_cancel_at_period_end(user=me, cancel=False)
        return Response(_subscription_data(me, row))


class TransactionCursorPagination(CursorPagination):
    page_size = 20
    max_page_size = 100
    ordering = "-created_at"


@extend_schema_view(
    list=extend_schema(
        summary="Payments and refunds",
        description=(
            "Your own ledger; tenant admins and API keys (`payments:read`) see their tenant's, narrowed by "
            "`?user=`. Newest first, cursor-paginated. Refunds are lines of their own."
        ),
        parameters=[OpenApiParameter("user", OpenApiTypes.INT, description="One user's lines.", required=False)],
    )
)
@extend_schema(tags=TAGS)
class TransactionViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    model = Transaction
    scope_area = "payments"
    tenant_admins_see_tenant = True
    permission_classes = [ScopedAccess]
    serializer_class = TransactionSerializer
    pagination_class = TransactionCursorPagination
    filterset_class = TransactionFilter
    filter_backends = [DjangoFilterBackend]

    def scope_queryset(self, queryset: Any) -> Any:
        return selectors.transactions(queryset=queryset)


@extend_schema(tags=TAGS)
class StripeWebhookView(APIView):
    """No principal: the signature is the proof, and the tenant comes from our own records."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    parser_classes = [JSONParser]  # documents the body; the view reads the raw bytes itself

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()]

    @extend_schema(
        summary="Stripe's webhook",
        description=(
            "For Stripe only. Verifies `Stripe-Signature` against each configured signing secret (within 300 s), "
            "records the event once and applies it in the same transaction. A duplicate answers 200 and does "
            "nothing; an unknown type is recorded and acknowledged; a failure answers 500 so Stripe retries."
        ),
        auth=[],
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="`t=<unix time>,v1=<HMAC-SHA256 hex>`, as Stripe sends it.",
            )
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: WebhookAckSerializer,
            400: problem_response(
                "Bad or stale signature (`invalid_signature`, `stale_signature`) or not an event "
                "(`malformed_payload`); nothing was written.",
                validation=True,
            ),
            503: problem_response("No signing secret is configured (`payments_not_configured`)."),
        },
    )
    def post(self, request: Request) -> Response:
        event = webhooks.verify(request.body, request.headers.get("Stripe-Signature"))
        applied, _outcome = webhooks.process(event)
        return Response(WebhookAckSerializer({"received": True, "duplicate": not applied}).data)
