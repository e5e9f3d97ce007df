"""Staff add videos to FitCore's workouts in the admin, with the API's content checks."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from workout.models import WorkoutVideo
from workout.tests.factories import WorkoutFactory
from workout.tests.test_premium import mp4_bytes, png_bytes

pytestmark = pytest.mark.django_db

ADD = "/admin/workout/workoutvideo/add/"


def form(workout, video: bytes, **extra):
    return {
        "workout": workout.pk,
        "title": "Warm-up",
        "video": SimpleUploadedFile("clip.mp4", video),
        "order_index": 0,
        "duration_seconds": 90,
        **extra,
    }


def test_staff_upload_a_video_with_a_thumbnail_to_a_fitcore_workout(
    staff_client, django_capture_on_commit_callbacks
) -> None:
    workout = WorkoutFactory.create(is_premium=True)
    response = staff_client.post(ADD, form(workout, mp4_bytes(), thumbnail=SimpleUploadedFile("t.png", png_bytes())))
    assert response.status_code == 302, response.content.decode()[:2000]
    video = WorkoutVideo.objects.get()
    assert (video.tenant_id, video.content_type, video.size_bytes) == (None, "video/mp4", 4096)
    assert str(video.thumbnail.name).endswith(".jpg")
    storage, name = video.video.storage, video.video.name
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/admin/workout/workoutvideo/{video.pk}/delete/", {"post": "yes"})
    assert not WorkoutVideo.objects.exists() and not storage.exists(name)


def test_a_png_named_mp4_is_refused_in_the_admin_too(staff_client) -> None:
    workout = WorkoutFactory.create()
    response = staff_client.post(ADD, form(workout, png_bytes()))
    assert response.status_code == 200
    assert "Upload an MP4, WebM or MOV video" in response.content.decode()
    assert not WorkoutVideo.objects.exists()
