"""A urlconf for workout.tests.test_media: the streaming route, where workout/urls.py will mount it."""

from django.urls import include, path

from workout.streaming import VideoStreamView

workout_patterns = (
    [path("videos/stream/<str:token>/", VideoStreamView.as_view(), name="video-stream")],
    "workout",
)

urlpatterns = [path("api/v1/workouts/", include(workout_patterns))]
