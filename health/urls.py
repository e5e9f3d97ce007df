"""Routes under /api/v1/health/."""

from rest_framework.routers import SimpleRouter

app_name = "health"

router = SimpleRouter()

urlpatterns = [*router.urls]
