"""Routes under /api/v1/payments/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "payment"

router = SimpleRouter()
router.register("transactions", views.TransactionViewSet, basename="transaction")

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plans"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("portal/", views.PortalView.as_view(), name="portal"),
    path("subscription/", views.SubscriptionView.as_view(), name="subscription"),
    path("subscription/cancel/", views.SubscriptionCancelView.as_view(), name="subscription-cancel"),
    path("subscription/resume/", views.SubscriptionResumeView.as_view(), name="subscription-resume"),
    path("webhooks/stripe/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    *router.urls,
]
