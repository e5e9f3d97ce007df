"""Routes under /api/v1/notifications/."""

from rest_framework.routers import SimpleRouter

app_name = "notification"

router = SimpleRouter()

urlpatterns = [*router.urls]
