"""Routes under /api/v1/notifications/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "notification"

router = SimpleRouter()
router.register("devices", views.DeviceViewSet, basename="device")
router.register("", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    *router.urls,
]
