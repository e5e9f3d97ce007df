"""Routes under /api/v1/payments/."""

from rest_framework.routers import SimpleRouter

app_name = "payment"

router = SimpleRouter()

urlpatterns = [*router.urls]
