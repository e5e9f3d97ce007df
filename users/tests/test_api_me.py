"""The signed-in user's own endpoints: /api/v1/users/me/..."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import ProtectedError
from django.utils import timezone
from PIL import Image, ImageFile
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from authapp.tokens import TenantTokenRefreshSerializer, issue_token_pair
from conftest import api_key_client_for, jwt_client_for
from users.models import Profile, User
from users.registry import dashboard_sections, export_sections
from users.tests.factories import TEST_PASSWORD, ProfileFactory, UserFactory
from users.tests.helpers import blank_png, error_fields, image_bytes, jpeg_claiming, upload, webp_claiming

ME = "/api/v1/users/me/"
SETTINGS = "/api/v1/users/me/settings/"
IMAGE = "/api/v1/users/me/image/"
DASHBOARD = "/api/v1/users/me/dashboard/"
EXPORT = "/api/v1/users/me/export/"

pytestmark = pytest.mark.django_db


def _thirty_years_ago():
    # Ten days of slack so the user's time zone cannot tip the age over a birthday.
    day = timezone.localdate() - timedelta(days=10)
    return day.replace(year=day.year - 30, day=min(day.day, 28))


# --- me/ --------------------------------------------------------------------------


def test_me_returns_the_account_and_its_profile(user, user_client):
    response = user_client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk and body["email"] == user.email and body["tenant"] == "acme"
    assert body["profile"]["units"] == "metric"
    assert body["profile"]["timezone"] == "UTC"
    assert body["profile"]["image"] is None
    assert "password" not in body


@pytest.mark.parametrize("path", [ME, SETTINGS, DASHBOARD, EXPORT, IMAGE])
def test_me_endpoints_need_a_signed_in_user(api_client, path):
    assert api_client.get(path).status_code == 401


@pytest.mark.parametrize("path", [ME, SETTINGS, DASHBOARD, EXPORT])
def test_me_endpoints_refuse_api_keys(tenant, path):
    response = api_key_client_for(tenant).get(path)

    assert response.status_code == 403
    assert response.json()["code"] == "api_key_not_allowed"


def test_me_patch_updates_names_and_profile(user, user_client):
    response = user_client.patch(
        ME,
        {
            "first_name": "Ann",
            "profile": {
                "weight_kg": 72.5,
                "height_cm": 168.5,
                "sex": "female",
                "birth_date": "1990-05-01",
                "activity_level": "light",
                "allergens": ["peanuts", "milk", "peanuts"],
                "excluded_foods": ["liver", " okra "],
                "timezone": "Europe/Berlin",
            },
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["first_name"] == "Ann"
    assert body["profile"]["weight_kg"] == 72.5
    assert body["profile"]["height_cm"] == 168.5
    assert body["profile"]["allergens"] == ["peanuts", "milk"]
    assert body["profile"]["age"] is not None
    profile = Profile.unscoped.get(user=user)
    assert profile.weight_kg == Decimal("72.50")
    assert profile.excluded_foods == ["liver", "okra"]
    assert profile.timezone == "Europe/Berlin"
    user.refresh_from_db()
    assert user.first_name == "Ann"


def test_me_patch_of_one_field_leaves_the_others(user, user_client):
    ProfileFactory.create(user=user, weight_kg=Decimal("80"), sex="male")

    response = user_client.patch(ME, {"profile": {"fitness_goal": "gain"}}, format="json")

    assert response.status_code == 200
    profile = Profile.unscoped.get(user=user)
    assert (profile.weight_kg, profile.sex, profile.fitness_goal) == (Decimal("80.00"), "male", "gain")


@pytest.mark.parametrize(
    ("profile", "field", "code"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "profile.timezone", "invalid_choice"),
        ({"weight_kg": -5}, "profile.weight_kg", "min_value"),
        ({"weight_kg": 900}, "profile.weight_kg", "max_value"),
        ({"height_cm": 20}, "profile.height_cm", "min_value"),
        ({"birth_date": "2999-01-01"}, "profile.birth_date", "future_date"),
        ({"sex": "robot"}, "profile.sex", "invalid_choice"),
        ({"allergens": ["kryptonite"]}, "profile.allergens[0]", "invalid_choice"),
        ({"units": "furlongs"}, "profile.units", "invalid_choice"),
    ],
)
def test_me_patch_rejects_invalid_profile_values(user, user_client, profile, field, code):
    before = Profile.unscoped.get(user=user).updated_at

    response = user_client.patch(ME, {"profile": profile}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["code"] == code
    assert Profile.unscoped.get(user=user).updated_at == before


def test_me_patch_cannot_change_email_role_or_tenant(user, user_client, other_tenant):
    response = user_client.patch(
        ME, {"email": "new@example.com", "role": "tenant_admin", "tenant": other_tenant.slug}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.email, user.role, user.tenant.slug) != ("new@example.com", "tenant_admin", other_tenant.slug)
    assert user.role == User.Role.MEMBER and user.tenant.slug == "acme"


# --- me/settings/ -----------------------------------------------------------------


def test_settings_get_and_patch(user, user_client):
    response = user_client.patch(
        SETTINGS,
        {"units": "imperial", "timezone": "America/New_York", "language": "de", "marketing_opt_in": True},
        format="json",
    )

    assert response.status_code == 200
    body = user_client.get(SETTINGS).json()
    assert body["units"] == "imperial" and body["timezone"] == "America/New_York" and body["language"] == "de"
    assert body["marketing_opt_in"] is True and body["marketing_opt_in_at"] is not None
    assert "weight_kg" not in body


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"timezone": "Nowhere/City"}, "timezone"), ({"language": "klingon"}, "language"), ({"units": "x"}, "units")],
)
def test_settings_patch_rejects_invalid_values(user_client, payload, field):
    response = user_client.patch(SETTINGS, payload, format="json")

    assert response.status_code == 400
    assert error_fields(response) == [field]


def test_settings_patch_ignores_profile_fields(user, user_client):
    response = user_client.patch(SETTINGS, {"weight_kg": 99}, format="json")

    assert response.status_code == 200
    assert Profile.unscoped.get(user=user).weight_kg is None


# --- me/image/ --------------------------------------------------------------------
# An upload answers 202 after a header check; the task (eager in tests) runs at commit.
# In these tests the commit is the end of django_capture_on_commit_callbacks(execute=True).


def _stored_files(media_root: Path, prefix: str = "") -> list[Path]:
    return sorted(path for path in (media_root / prefix).rglob("*") if path.is_file())


def test_image_upload_stores_a_clean_image_and_thumbnail(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(IMAGE, {"image": upload(image_bytes("PNG", size=(1600, 1200)))}, format="multipart")

    assert response.status_code == 202, response.json()
    assert response["Location"] == f"http://testserver{ME}"
    assert response.json()["image_status"] == "processing"  # the test's transaction had not committed yet
    body = user_client.get(ME).json()["profile"]
    assert body["image_status"] == "ready" and body["image_error"] is None
    assert body["image"].startswith("http://testserver/media/profiles/")
    assert body["image"].endswith(".webp") and body["image_thumbnail"].endswith(".webp")
    profile = Profile.unscoped.get(user=user)
    stored = Image.open(media_root / str(profile.image.name))
    thumb = Image.open(media_root / str(profile.image_thumbnail.name))
    assert (stored.format, stored.size) == ("WEBP", (1024, 768))
    assert (thumb.format, thumb.size) == ("WEBP", (256, 256))
    assert profile.image_pending == ""
    assert _stored_files(media_root, "pending") == []  # the original is gone


@pytest.mark.django_db(transaction=True)
def test_image_upload_answers_with_the_finished_profile_when_tasks_run_eagerly(user, user_client):
    """Committed for real, as in the embedded default: the task ran before the view answered."""
    response = user_client.post(IMAGE, {"image": upload(image_bytes("WEBP", size=(300, 200)))}, format="multipart")

    assert response.status_code == 202
    body = response.json()
    assert body["image_status"] == "ready" and body["image_error"] is None
    assert body["image"].endswith(".webp") and body["image_thumbnail"].endswith(".webp")


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"),
    [("JPEG", "me.jpg", "image/jpeg"), ("PNG", "me.png", "image/png"), ("WEBP", "me.webp", "image/webp")],
)
def test_image_upload_of_a_phone_photo_loses_exif_and_gps(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks, fmt, name, content_type
):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(0x8825)[2] = (52.0, 31.0, 12.0)  # GPSLatitude
    data = image_bytes(fmt, size=(2000, 1500), exif=exif.tobytes())
    assert b"SecretCam" in data

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(IMAGE, {"image": upload(data, name, content_type)}, format="multipart")

    assert response.status_code == 202
    profile = Profile.unscoped.get(user=user)
    assert profile.image_status == "ready"
    raw = (media_root / str(profile.image.name)).read_bytes()
    stored = Image.open(io.BytesIO(raw))
    assert (stored.format, stored.size) == ("WEBP", (768, 1024))  # upright, at most 1024 px
    assert b"SecretCam" not in raw and not stored.getexif() and "exif" not in stored.info
    assert Image.open(media_root / str(profile.image_thumbnail.name)).size == (256, 256)


def test_image_replacement_deletes_the_old_files(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(IMAGE, {"image": upload(image_bytes("PNG"))}, format="multipart")
    first = Profile.unscoped.get(user=user)
    old_files = [media_root / str(first.image.name), media_root / str(first.image_thumbnail.name)]
    assert all(path.exists() for path in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            IMAGE, {"image": upload(image_bytes("JPEG"), "b.jpg", "image/jpeg")}, format="multipart"
        )

    assert response.status_code == 202
    assert not any(path.exists() for path in old_files)
    profile = Profile.unscoped.get(user=user)
    assert _stored_files(media_root) == sorted(
        [media_root / str(profile.image.name), media_root / str(profile.image_thumbnail.name)]
    )


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4 not an image at all", "cv.png"),
        (image_bytes("GIF"), "anim.gif"),
        (image_bytes("PNG", size=(300, 300))[:20], "cut.png"),
    ],
    ids=["not-an-image", "gif", "truncated-header"],
)
def test_image_upload_rejects_non_images_with_a_field_error(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks, data, name
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = user_client.post(IMAGE, {"image": upload(data, name)}, format="multipart")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_image"
    assert error_fields(response) == ["image"]
    assert callbacks == [] and _stored_files(media_root) == []
    assert not Profile.unscoped.get(user=user).image


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (blank_png(1, 39_000_000), "each side may be at most 10000 pixels"),  # 76 KB, the reported file
        (blank_png(39_000_000, 1), "each side may be at most 10000 pixels"),
        (blank_png(20_000, 20), "each side may be at most 10000 pixels"),
        (blank_png(10_000, 5_000), "at most 40000000 pixels in total"),
        (blank_png(6_000, 6_000, colour_type=6, bit_depth=16), "at most 256 MB are accepted"),
        (jpeg_claiming(65_000, 65_000), "each side may be at most 10000 pixels"),
        (webp_claiming(16_000, 16_000), "each side may be at most 10000 pixels"),
    ],
    ids=["1x39M-png", "39Mx1-png", "20000x20-png", "50MP-png", "16bit-rgba-6000x6000-png", "huge-jpeg", "huge-webp"],
)
def test_image_upload_over_the_size_limits_is_refused_before_any_decoding(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks, data, message
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = user_client.post(IMAGE, {"image": upload(data)}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_image" and message in body["detail"]
    assert error_fields(response) == ["image"]
    assert callbacks == []  # no task queued
    assert _stored_files(media_root) == []  # nothing written
    profile = Profile.unscoped.get(user=user)
    assert (profile.image_status, profile.image_pending) == ("none", "")


def test_image_upload_without_a_file_is_a_field_error(user_client):
    response = user_client.post(IMAGE, {}, format="multipart")

    assert response.status_code == 400
    assert error_fields(response) == ["image"]


def test_image_upload_over_the_limit_is_413(user, user_client, media_root: Path):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024 + 1)

    response = user_client.post(IMAGE, {"image": upload(big)}, format="multipart")

    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert error_fields(response) == ["image"]
    assert not Profile.unscoped.get(user=user).image
    assert _stored_files(media_root) == []


def test_image_upload_path_never_decodes_pixels(user, user_client, monkeypatch, django_capture_on_commit_callbacks):
    """The request only reads the header; Pillow opens and decodes the file in the task alone."""
    calls: list[str] = []
    real_open, real_load = Image.open, ImageFile.ImageFile.load

    def counting_open(*args, **kwargs):
        calls.append("open")
        return real_open(*args, **kwargs)

    def counting_load(self):
        calls.append("load")
        return real_load(self)

    monkeypatch.setattr(Image, "open", counting_open)
    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    photo = image_bytes("JPEG", size=(2000, 1500))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = user_client.post(IMAGE, {"image": upload(photo, "me.jpg", "image/jpeg")}, format="multipart")

    assert response.status_code == 202 and response.json()["image_status"] == "processing"
    assert calls == []
    tasks = [cb for cb in callbacks if cb.__qualname__.startswith("enqueue_after_commit")]
    assert len(tasks) == 1  # the task, queued for after commit

    with django_capture_on_commit_callbacks(execute=True):
        tasks[0]()

    assert "load" in calls
    assert Profile.unscoped.get(user=user).image_status == "ready"


def test_a_damaged_upload_fails_in_the_task_and_keeps_the_previous_image(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(IMAGE, {"image": upload(image_bytes("PNG"))}, format="multipart")
    before = user_client.get(ME).json()["profile"]
    truncated = image_bytes("JPEG", size=(400, 300))[:-600]  # the header is whole, the pixel data is not

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(IMAGE, {"image": upload(truncated, "cut.jpg", "image/jpeg")}, format="multipart")

    assert response.status_code == 202
    after = user_client.get(ME).json()["profile"]
    assert after["image_status"] == "failed"
    assert after["image_error"] == {"code": "invalid_image", "message": "The image file is damaged or incomplete."}
    assert (after["image"], after["image_thumbnail"]) == (before["image"], before["image_thumbnail"])
    profile = Profile.unscoped.get(user=user)
    assert (media_root / str(profile.image.name)).exists()
    assert _stored_files(media_root, "pending") == []

    # The next good upload clears the error.
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(IMAGE, {"image": upload(image_bytes("PNG"))}, format="multipart")
    final = user_client.get(ME).json()["profile"]
    assert final["image_status"] == "ready" and final["image_error"] is None


@pytest.mark.parametrize("older_task_runs", ["first", "last"])
def test_a_newer_upload_wins_over_an_older_one_still_processing(
    user, user_client, media_root: Path, django_capture_on_commit_callbacks, older_task_runs
):
    with django_capture_on_commit_callbacks(execute=False) as older:
        user_client.post(IMAGE, {"image": upload(image_bytes("PNG", size=(64, 48)))}, format="multipart")
    with django_capture_on_commit_callbacks(execute=False) as newer:
        response = user_client.post(IMAGE, {"image": upload(image_bytes("PNG", size=(48, 64)))}, format="multipart")
    assert response.status_code == 202

    order = [*older, *newer] if older_task_runs == "first" else [*newer, *older]
    with django_capture_on_commit_callbacks(execute=True):
        for callback in order:
            callback()

    profile = Profile.unscoped.get(user=user)
    assert profile.image_status == "ready"
    assert Image.open(media_root / str(profile.image.name)).size == (48, 64)  # the newer upload
    assert _stored_files(media_root) == sorted(
        [media_root / str(profile.image.name), media_root / str(profile.image_thumbnail.name)]
    )


def test_image_delete_clears_the_image(user, user_client, django_capture_on_commit_callbacks, media_root: Path):
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(IMAGE, {"image": upload(image_bytes())}, format="multipart")
    name = str(Profile.unscoped.get(user=user).image.name)
    assert name

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.delete(IMAGE)

    assert response.status_code == 204
    profile = Profile.unscoped.get(user=user)
    assert not profile.image and not profile.image_thumbnail
    assert not (media_root / name).exists()
    body = user_client.get(ME).json()["profile"]
    assert body["image"] is None and body["image_status"] == "none"


def test_image_delete_discards_an_upload_still_processing(
    user, user_client, django_capture_on_commit_callbacks, media_root: Path
):
    with django_capture_on_commit_callbacks(execute=False) as upload_callbacks:
        user_client.post(IMAGE, {"image": upload(image_bytes())}, format="multipart")
    assert len(_stored_files(media_root, "pending")) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.delete(IMAGE)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in upload_callbacks:  # the task runs after all, too late
            callback()

    assert response.status_code == 204
    profile = Profile.unscoped.get(user=user)
    assert (profile.image_status, profile.image_pending, profile.image.name) == ("none", "", "")
    assert _stored_files(media_root) == []


# --- me/dashboard/ ----------------------------------------------------------------


def test_dashboard_numbers_for_a_known_profile(user, user_client):
    ProfileFactory.create(
        user=user,
        sex="male",
        weight_kg=Decimal("80"),
        height_cm=Decimal("180"),
        birth_date=_thirty_years_ago(),
        activity_level="moderate",
    )

    response = user_client.get(DASHBOARD)

    assert response.status_code == 200
    body = response.json()
    assert body["profile"]["age"] == 30
    assert body["metrics"]["bmi"]["value"] == 24.7 and body["metrics"]["bmi"]["category"] == "normal"
    assert body["metrics"]["bmr"] == {"value": 1780, "unit": "kcal/day", "reason": None, "missing_fields": []}
    assert body["metrics"]["tdee"]["value"] == 2759


def test_dashboard_metrics_are_null_with_reasons_when_the_profile_is_empty(user_client):
    body = user_client.get(DASHBOARD).json()

    for name in ("bmi", "bmr", "tdee"):
        assert body["metrics"][name]["value"] is None
        assert body["metrics"][name]["reason"]
    assert body["metrics"]["bmi"]["missing_fields"] == ["height_cm", "weight_kg"]
    assert "activity_level" in body["metrics"]["tdee"]["missing_fields"]


def test_registered_sections_appear_in_dashboard_and_export(user, user_client):
    def steps_today(u: User) -> dict:
        return {"steps": 4200, "for": u.email}

    with (
        dashboard_sections.temporarily("test_steps", steps_today),
        export_sections.temporarily("test_steps", steps_today),
    ):
        dashboard = user_client.get(DASHBOARD).json()
        export = user_client.get(EXPORT).json()

    assert dashboard["sections"]["test_steps"] == {"steps": 4200, "for": user.email}
    assert export["sections"]["test_steps"] == {"steps": 4200, "for": user.email}
    assert "test_steps" not in user_client.get(DASHBOARD).json()["sections"]


# --- me/export/ -------------------------------------------------------------------


def test_export_is_an_attachment_with_the_users_data(user, user_client):
    ProfileFactory.create(user=user, weight_kg=Decimal("65.25"), allergens=["sesame"], excluded_foods=["tofu"])

    response = user_client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="fitcore-export-{user.pk}-')
    body = response.json()
    assert body["format"] == "fitcore.personal-data-export" and body["user_id"] == user.pk
    account, profile = body["sections"]["account"], body["sections"]["profile"]
    assert account["email"] == user.email and account["tenant"]["slug"] == "acme"
    assert account["has_password"] is True
    assert profile["weight_kg"] == "65.25"
    assert profile["allergens"] == ["sesame"] and profile["excluded_foods"] == ["tofu"]
    assert (profile["image"], profile["image_status"], profile["image_error"]) == (None, "none", None)


def test_export_includes_why_the_latest_image_upload_failed(user, user_client):
    Profile.unscoped.filter(user=user).update(
        image_status="failed", image_error_code="invalid_image", image_error_message="The image file is damaged."
    )

    profile = user_client.get(EXPORT).json()["sections"]["profile"]

    assert profile["image_status"] == "failed"
    assert profile["image_error"] == {"code": "invalid_image", "message": "The image file is damaged."}
    assert "image_pending" not in profile


# --- DELETE me/ -------------------------------------------------------------------


def test_delete_me_with_the_wrong_password_keeps_everything(user, user_client):
    response = user_client.delete(ME, {"password": "not-my-password"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "password_incorrect"
    assert User.objects.filter(pk=user.pk).exists()
    assert user_client.get(ME).status_code == 200


def test_delete_me_password_guesses_are_rate_limited(user, user_client, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the lockout has its own tests; this one is about the throttle
    for _ in range(10):
        assert user_client.delete(ME, {"password": "guess"}, format="json").status_code == 403

    response = user_client.delete(ME, {"password": TEST_PASSWORD}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response
    assert User.objects.filter(pk=user.pk).exists()
    assert user_client.get(ME).status_code == 200  # other me/ calls are not limited by it


def test_delete_me_without_a_password_is_403_password_required(user, user_client):
    response = user_client.delete(ME, {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "password_required"
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_me_removes_the_rows_and_kills_every_token(user, tenant):
    tokens = issue_token_pair(user)
    client = jwt_client_for(user)
    other = UserFactory.create(tenant=tenant)

    response = client.delete(ME, {"password": TEST_PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Profile.unscoped.filter(user_id=user.pk).exists()
    assert User.objects.filter(pk=other.pk).exists()  # nobody else's rows
    assert client.get(ME).status_code == 401
    jti = RefreshToken(tokens["refresh"], verify=False)["jti"]
    assert BlacklistedToken.objects.filter(token__jti=jti).exists()
    with pytest.raises(InvalidToken, match="blacklisted"):
        TenantTokenRefreshSerializer(data={"refresh": tokens["refresh"]}).is_valid(raise_exception=True)


def test_delete_me_blocked_by_rows_that_must_be_kept_is_409(user, user_client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ProtectedError("billing records reference this user", set())

    monkeypatch.setattr(User, "delete", refuse)

    response = user_client.delete(ME, {"password": TEST_PASSWORD}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "account_deletion_blocked"
    assert not BlacklistedToken.objects.exists()  # the transaction rolled back as a whole


def test_social_only_account_is_deleted_with_a_fresh_sign_in(user):
    user.set_unusable_password()
    user.save()

    response = jwt_client_for(user).delete(ME, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()


def test_social_only_account_with_an_old_sign_in_must_sign_in_again(user, api_client):
    user.set_unusable_password()
    user.save()
    # A refresh keeps the original sign-in time: ten minutes old is too old.
    tokens = issue_token_pair(user, auth_time=int((timezone.now() - timedelta(minutes=10)).timestamp()))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.delete(ME, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "recent_login_required"
    assert User.objects.filter(pk=user.pk).exists()


# --- another user's data ----------------------------------------------------------


def test_me_endpoints_never_show_another_users_data(user, user_client, tenant):
    neighbour = UserFactory.create(tenant=tenant, first_name="Neighbour")
    ProfileFactory.create(user=neighbour, weight_kg=Decimal("99.99"))

    for path in (ME, SETTINGS, DASHBOARD, EXPORT):
        text = user_client.get(path).content.decode()
        assert neighbour.email not in text and "99.99" not in text, path
