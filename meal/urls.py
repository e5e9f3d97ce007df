"""Routes under /api/v1/nutrition/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "meal"

router = SimpleRouter()
router.register("foods", views.FoodViewSet, basename="food")
router.register("meals", views.MealViewSet, basename="meal")
router.register("plans", views.MealPlanViewSet, basename="plan")
router.register("diary", views.DiaryViewSet, basename="diary")
router.register("targets/history", views.TargetHistoryViewSet, basename="target-history")

urlpatterns = [
    path("targets/", views.TargetsView.as_view(), name="targets"),
    *router.urls,
]
