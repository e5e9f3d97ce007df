"""Routes under /api/v1/tenant/: the caller's own tenant."""

from rest_framework.routers import SimpleRouter

from .views.api_keys import ApiKeyViewSet

app_name = "tenant"

router = SimpleRouter()
router.register("api-keys", ApiKeyViewSet, basename="api-key")

urlpatterns = [*router.urls]
