"""Routes under /api/v1/workouts/."""

from rest_framework.routers import SimpleRouter

app_name = "workout"

router = SimpleRouter()

urlpatterns = [*router.urls]
