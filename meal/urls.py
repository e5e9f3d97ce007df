"""Routes under /api/v1/nutrition/."""

from rest_framework.routers import SimpleRouter

app_name = "meal"

router = SimpleRouter()

urlpatterns = [*router.urls]
