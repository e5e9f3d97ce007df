"""Routes under /api/v1/staff/."""

from rest_framework.routers import SimpleRouter

app_name = "adminapp"

router = SimpleRouter()

urlpatterns = [*router.urls]
