from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from fitcore.api.health import LivenessView, ReadinessView
from fitcore.api.views import ApiNotFoundView

api_v1 = [
    path("auth/", include("authapp.urls")),
    path("users/", include("users.urls")),
    path("tenant/", include("authapp.tenant_urls")),
    path("nutrition/", include("meal.urls")),
    path("workouts/", include("workout.urls")),
    path("health/", include("health.urls")),
    path("payments/", include("payment.urls")),
    path("notifications/", include("notification.urls")),
    path("staff/", include("adminapp.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Pages, not endpoints: GET only (OPTIONS would render DRF's metadata through an HTML template).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(
            url_name="schema", template_name="api/redoc.html", http_method_names=["get", "head"]
        ),
        name="redoc",
    ),
    path("api/v1/", include(api_v1)),
    # Last: anything else under /api/ is a 404 in the problem shape, whatever the method.
    re_path(r"^api/", ApiNotFoundView.as_view()),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "fitcore.api.views.handler400"
handler403 = "fitcore.api.views.handler403"
handler404 = "fitcore.api.views.handler404"
handler500 = "fitcore.api.views.handler500"
