"""Routes under /api/v1/health/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "health"

router = SimpleRouter()
router.register("data", views.SampleViewSet, basename="sample")
router.register("weight", views.WeightViewSet, basename="weight")
router.register("measurements", views.MeasurementViewSet, basename="measurement")
router.register("imports", views.ImportViewSet, basename="import")

urlpatterns = [
    path("metrics/", views.MetricListView.as_view(), name="metric-list"),
    path("summary/", views.SummaryView.as_view(), name="summary"),
    path("sync/", views.SyncView.as_view(), name="sync"),
    path("reports/weekly/", views.WeeklyReportView.as_view(), name="weekly-report"),
    *router.urls,
]
