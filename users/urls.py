"""Routes under /api/v1/users/."""

from rest_framework.routers import SimpleRouter

app_name = "users"

router = SimpleRouter()

urlpatterns = [*router.urls]
