"""Routes under /api/v1/auth/."""

from rest_framework.routers import SimpleRouter

app_name = "authapp"

router = SimpleRouter()

urlpatterns = [*router.urls]
