"""Premium gating of video URLs, and video uploads checked by content."""

from __future__ import annotations

import io
import struct
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from payment.models import Subscription
from users.tests.factories import UserFactory
from workout.models import WorkoutVideo
from workout.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db


def mp4_bytes(size: int = 4096) -> bytes:
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isomavc1"
    return ftyp + struct.pack(">I4s", size - len(ftyp), b"mdat") + b"\0" * (size - len(ftyp) - 8)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), "red").save(buffer, "PNG")
    return buffer.getvalue()


def make_video(workout, *, order: int, is_free: bool = False) -> WorkoutVideo:
    video = WorkoutVideo(
        tenant=workout.tenant,
        workout=workout,
        title=f"Part {order}",
        content_type="video/mp4",
        size_bytes=4096,
        order_index=order,
        duration_seconds=60,
        is_free=is_free,
    )
    video.video.save("v.mp4", SimpleUploadedFile("v.mp4", mp4_bytes()), save=False)
    video.save()
    return video


@pytest.fixture
def premium_workout():
    workout = WorkoutFactory.create(title="Premium HIIT", is_premium=True)
    return {
        "workout": workout,
        "paid": make_video(workout, order=0),
        "preview": make_video(workout, order=1, is_free=True),
    }


def url_status(client: APIClient, video: WorkoutVideo) -> tuple[int, dict]:
    response = client.get(f"/api/v1/workouts/videos/{video.pk}/url/")
    return response.status_code, response.json()


def subscribe(user, **fields) -> Subscription:
    return Subscription.objects.create(tenant=user.tenant, user=user, **fields)


def test_a_member_without_a_subscription_gets_previews_only(premium_workout, user) -> None:
    client = jwt_client_for(user)
    code, body = url_status(client, premium_workout["paid"])
    assert (code, body["code"]) == (403, "subscription_required")
    code, body = url_status(client, premium_workout["preview"])
    assert code == 200 and body["url"].startswith("http")
    detail = client.get(f"/api/v1/workouts/{premium_workout['workout'].pk}/").json()
    assert [(v["title"], v["locked"]) for v in detail["videos"]] == [("Part 0", True), ("Part 1", False)]


def test_a_subscriber_gets_every_url_and_it_streams(premium_workout, user) -> None:
    subscribe(user, status="active", current_period_end=timezone.now() + timedelta(days=20))
    client = jwt_client_for(user)
    code, body = url_status(client, premium_workout["paid"])
    assert code == 200
    assert client.get(f"/api/v1/workouts/{premium_workout['workout'].pk}/").json()["videos"][0]["locked"] is False
    streamed = APIClient().get(body["url"], HTTP_RANGE="bytes=0-23")
    assert streamed.status_code == 206
    assert b"".join(streamed.streaming_content)[4:8] == b"ftyp"  # type: ignore[attr-defined]


def test_a_canceled_member_keeps_access_until_the_paid_period_ends(premium_workout, user) -> None:
    end = timezone.now() + timedelta(days=3)
    subscribe(user, status="canceled", current_period_end=end, paid_until=end, canceled_at=timezone.now())
    client = jwt_client_for(user)
    assert url_status(client, premium_workout["paid"])[0] == 200
    with time_machine.travel(end + timedelta(minutes=1)):
        user.__dict__.pop("_has_active_access", None)
        code, body = url_status(jwt_client_for(user), premium_workout["paid"])
    assert (code, body["code"]) == (403, "subscription_required")


def test_anonymous_callers_see_metadata_but_no_premium_url(premium_workout) -> None:
    client = APIClient()
    detail = client.get(f"/api/v1/workouts/{premium_workout['workout'].pk}/")
    assert detail.status_code == 200
    assert [v["locked"] for v in detail.json()["videos"]] == [True, False]
    code, body = url_status(client, premium_workout["paid"])
    assert (code, body["code"]) == (403, "subscription_required")
    assert url_status(client, premium_workout["preview"])[0] == 401


def test_an_api_key_gets_urls_on_its_scopes(premium_workout, tenant) -> None:
    assert url_status(api_key_client_for(tenant, ["workouts:read"]), premium_workout["paid"])[0] == 200
    response = api_key_client_for(tenant, ["nutrition:read"]).get(
        f"/api/v1/workouts/videos/{premium_workout['paid'].pk}/url/"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_an_expired_link_stops_working(premium_workout, user) -> None:
    code, body = url_status(jwt_client_for(user), premium_workout["preview"])
    assert code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert APIClient().get(body["url"]).status_code == 403


# --- uploads ----------------------------------------------------------------------------


@pytest.fixture
def own_workout(tenant):
    return WorkoutFactory.create(title="Acme video workout", tenant=tenant)


def upload(client: APIClient, workout, name: str, content: bytes, **extra):
    data = {"title": "Intro", "duration_seconds": 95, "video": SimpleUploadedFile(name, content), **extra}
    return client.post(f"/api/v1/workouts/{workout.pk}/videos/", data, format="multipart")


def test_a_tenant_admin_uploads_a_video_with_a_thumbnail(own_workout, admin_client_jwt) -> None:
    thumbnail = SimpleUploadedFile("t.png", png_bytes())
    response = upload(admin_client_jwt, own_workout, "intro.bin", mp4_bytes(), thumbnail=thumbnail)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["order_index"], body["has_thumbnail"]) == ("video/mp4", 0, True)
    video = WorkoutVideo.objects.get(pk=body["id"])
    with Image.open(video.thumbnail.open("rb")) as picture:
        assert picture.format == "JPEG"
        assert picture.width <= 640 and picture.height <= 360
    assert upload(admin_client_jwt, own_workout, "b.mp4", mp4_bytes()).json()["order_index"] == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("fake.mp4", None, "unsupported_video_type"), ("empty.mp4", b"", '"code":"empty"')],
)
def test_not_a_video_is_a_400_and_nothing_is_stored(own_workout, admin_client_jwt, name, content, code) -> None:
    response = upload(admin_client_jwt, own_workout, name, png_bytes() if content is None else content)
    assert response.status_code == 400
    assert code in response.content.decode()
    assert response.json()["errors"][0]["field"] == "video"
    assert not WorkoutVideo.objects.filter(workout=own_workout).exists()


def test_a_video_over_the_limit_is_refused(own_workout, admin_client_jwt, settings) -> None:
    settings.WORKOUT_VIDEO_MAX_BYTES = 1000
    response = upload(admin_client_jwt, own_workout, "big.mp4", mp4_bytes(4096))
    assert response.status_code == 400
    assert "file_too_large" in response.content.decode()


def test_members_and_other_tenants_cannot_upload(own_workout, user, other_tenant) -> None:
    assert upload(jwt_client_for(user), own_workout, "a.mp4", mp4_bytes()).status_code == 403
    stranger = jwt_client_for(UserFactory.create(tenant=other_tenant, role="tenant_admin"))
    assert upload(stranger, own_workout, "a.mp4", mp4_bytes()).status_code == 404
    assert not WorkoutVideo.objects.exists()
