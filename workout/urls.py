"""Routes under /api/v1/workouts/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import streaming, views

app_name = "workout"

router = SimpleRouter()
router.register("exercises", views.ExerciseViewSet, basename="exercise")
router.register("videos", views.VideoViewSet, basename="video")
router.register("progress", views.ProgressViewSet, basename="progress")
router.register("sessions", views.SessionViewSet, basename="session")
router.register("imports", views.ImportViewSet, basename="import")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
# Last: the workouts themselves live at the root of /workouts/ (``/workouts/{id}/``).
router.register("", views.WorkoutViewSet, basename="workout")

urlpatterns = [
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("records/", views.RecordListView.as_view(), name="record-list"),
    path("achievements/", views.AchievementListView.as_view(), name="achievement-list"),
    path("videos/stream/<str:token>/", streaming.VideoStreamView.as_view(), name="video-stream"),
    *router.urls,
]
