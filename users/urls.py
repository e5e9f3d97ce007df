"""Routes under /api/v1/users/. The me/ paths come first; user ids are digits only, so they never clash."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "users"

router = SimpleRouter()
router.register("", views.ManagedUserViewSet, basename="user")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/settings/", views.MeSettingsView.as_view(), name="me-settings"),
    path("me/image/", views.MeImageView.as_view(), name="me-image"),
    path("me/dashboard/", views.MeDashboardView.as_view(), name="me-dashboard"),
    path("me/export/", views.MeExportView.as_view(), name="me-export"),
    *router.urls,
]
