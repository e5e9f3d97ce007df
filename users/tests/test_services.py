import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image, ImageFile, JpegImagePlugin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from authapp.tokens import TenantTokenObtainSerializer
from fitcore.api.exceptions import ApplicationError
from users import images, services, tasks
from users.image_headers import ImageHeader
from users.images import ImageTooLarge, InvalidImage, check_profile_image, process_profile_image
from users.models import Profile, User
from users.tests.factories import TEST_PASSWORD, UserFactory
from users.tests.helpers import blank_png, image_bytes, noisy_png, upload


@pytest.mark.django_db
def test_user_create_without_password_has_no_usable_password(tenant):
    user = services.user_create(tenant=tenant, email="Partner.User@Example.COM")

    assert user.email == "partner.user@example.com"  # stored in canonical form (users.emails)
    assert not user.has_usable_password()
    assert Profile.unscoped.filter(user=user, tenant=tenant).exists()


@pytest.mark.django_db
def test_user_create_rejects_an_email_taken_in_any_case(tenant):
    UserFactory.create(tenant=tenant, email="ann@example.com")

    with pytest.raises(ApplicationError) as caught:
        services.user_create(tenant=tenant, email="ANN@example.com")

    assert caught.value.code == "email_taken"
    assert User.objects.filter(tenant=tenant).count() == 1


@pytest.mark.django_db
def test_user_create_checks_password_strength(tenant):
    with pytest.raises(ValidationError) as caught:
        services.user_create(tenant=tenant, email="weak@example.com", password="123")

    assert "password" in caught.value.message_dict
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.django_db
def test_profile_update_records_when_marketing_consent_was_given():
    profile = Profile.unscoped.get(user=UserFactory.create())

    given_at = services.profile_update(profile=profile, data={"marketing_opt_in": True}).marketing_opt_in_at
    services.profile_update(profile=profile, data={"marketing_opt_in": False})

    assert given_at is not None
    profile.refresh_from_db()
    assert profile.marketing_opt_in is False and profile.marketing_opt_in_at is None


@pytest.mark.django_db
def test_account_delete_blacklists_refresh_tokens(user):
    refresh = TenantTokenObtainSerializer.get_token(user)

    services.user_account_delete(
        request=RequestFactory().post("/"), user=user, password=TEST_PASSWORD, token_issued_at=None
    )

    assert not User.objects.filter(email=user.email).exists()
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()


@pytest.mark.django_db
def test_social_only_account_needs_a_recent_sign_in(user):
    user.set_unusable_password()
    user.save()

    with pytest.raises(ApplicationError) as caught:
        services.user_account_delete(
            request=RequestFactory().post("/"),
            user=user,
            password=None,
            token_issued_at=timezone.now() - timedelta(minutes=6),
        )
    assert caught.value.code == "recent_login_required"

    services.user_account_delete(
        request=RequestFactory().post("/"),
        user=user,
        password=None,
        token_issued_at=timezone.now() - timedelta(minutes=1),
    )
    assert not User.objects.filter(pk=user.pk).exists()


def test_processed_image_is_webp_capped_and_has_a_square_thumbnail():
    processed = process_profile_image(upload(image_bytes("PNG", size=(3000, 1500))))

    stored = Image.open(io.BytesIO(processed.image.read()))
    thumb = Image.open(io.BytesIO(processed.thumbnail.read()))
    assert stored.format == "WEBP" and stored.size == (1024, 512)
    assert thumb.format == "WEBP" and thumb.size == (256, 256)


def test_processed_image_loses_exif_and_is_turned_upright():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    data = image_bytes("JPEG", size=(80, 40), exif=exif.tobytes())
    assert b"SecretCam" in data

    processed = process_profile_image(upload(data, "photo.jpg", "image/jpeg"))

    raw = processed.image.read()
    stored = Image.open(io.BytesIO(raw))
    assert b"SecretCam" not in raw
    assert not stored.getexif() and "exif" not in stored.info and "icc_profile" not in stored.info
    assert stored.size == (40, 80)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_jpeg_and_webp_are_accepted(fmt):
    assert process_profile_image(upload(image_bytes(fmt))).width == 64


def test_transparent_png_keeps_its_alpha():
    processed = process_profile_image(upload(image_bytes("PNG", mode="RGBA")))

    assert Image.open(io.BytesIO(processed.image.read())).mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [
        b"definitely not an image",
        image_bytes("GIF"),
        image_bytes("BMP"),
        image_bytes("PNG", size=(300, 300))[:500],  # truncated
        image_bytes("JPEG", size=(200, 200))[:-400],  # truncated
    ],
    ids=["text", "gif", "bmp", "truncated-png", "truncated-jpeg"],
)
def test_non_images_and_damaged_files_are_invalid(data):
    with pytest.raises(InvalidImage) as caught:
        process_profile_image(upload(data))

    assert caught.value.status == 400
    assert caught.value.errors == [{"field": "image", "code": "invalid_image", "message": caught.value.message}]


def test_decompression_bombs_are_rejected_before_decoding():
    data = blank_png(10_000, 5_000)  # small file, 50 megapixels

    with pytest.raises(InvalidImage, match="pixels"):
        process_profile_image(upload(data))


def test_files_over_the_size_limit_are_rejected(settings):
    settings.PROFILE_IMAGE_MAX_BYTES = 1000

    with pytest.raises(ImageTooLarge):
        process_profile_image(upload(noisy_png()))


def test_header_check_accepts_the_limits_themselves():
    header = check_profile_image(upload(blank_png(10_000, 4_000)))  # 10,000 px a side, 40 MP exactly

    assert (header.width, header.height) == (10_000, 4_000)


def test_large_jpegs_are_decoded_at_a_reduced_scale_and_still_reach_the_full_size(monkeypatch):
    photo = Image.linear_gradient("L").resize((2400, 2100)).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    drafts = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def recording_draft(self, mode, size):
        result = real_draft(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recording_draft)

    processed = process_profile_image(upload(buffer.getvalue(), "photo.jpg", "image/jpeg"))

    assert drafts == [(1200, 1050)]  # libjpeg decoded at half scale, never below 1024 px
    assert (processed.width, processed.height) == (1024, 896)


def test_the_task_holds_pillow_to_the_limits_as_well(monkeypatch):
    """Should the header reader and Pillow ever disagree, Pillow's reading is checked before it decodes."""
    wide = blank_png(12_000, 10)
    monkeypatch.setattr(images, "read_header", lambda fp: ImageHeader("PNG", 100, 100, 1, 8))
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self))

    with pytest.raises(InvalidImage):
        process_profile_image(upload(wide))

    assert loads == []


# --- the upload's worker half (users.tasks -> services.profile_image_process) --------


def _pending(profile: Profile, data: bytes) -> str:
    """Store an original and mark the profile as waiting for it, as profile_image_set does."""
    name = default_storage.save(f"pending/{profile.tenant_id}/test-original", ContentFile(data))
    Profile.unscoped.filter(pk=profile.pk).update(image_pending=name, image_status="processing")
    return name


def _run_task(profile: Profile, name: str, capture) -> Profile:
    with capture(execute=True):
        tasks.process_profile_image(tenant_id=profile.tenant_id, profile_id=profile.pk, pending_name=name)
    return Profile.unscoped.get(pk=profile.pk)


@pytest.mark.django_db
def test_the_task_checks_the_limits_again_before_decoding(user, monkeypatch, django_capture_on_commit_callbacks):
    """A file that reached storage some other way is still refused on its header."""
    profile = Profile.unscoped.get(user=user)
    name = _pending(profile, blank_png(1, 39_000_000))
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self))

    profile = _run_task(profile, name, django_capture_on_commit_callbacks)

    assert loads == []
    assert (profile.image_status, profile.image_error_code) == ("failed", "invalid_image")
    assert "each side" in profile.image_error_message
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_the_task_records_an_unexpected_failure_and_keeps_the_image(
    user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    profile = services.profile_image_clear(profile=Profile.unscoped.get(user=user))
    Profile.unscoped.filter(pk=profile.pk).update(image="profiles/kept.webp", image_status="ready")
    name = _pending(profile, image_bytes("PNG"))

    def broken(upload):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "process_profile_image", broken)

    profile = _run_task(profile, name, django_capture_on_commit_callbacks)

    assert profile.image.name == "profiles/kept.webp"
    assert profile.image_status == "failed"
    assert profile.image_error == {
        "code": "image_processing_failed",
        "message": "The image could not be processed; please try again.",
    }
    assert "could not be processed" in caplog.text
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_the_task_of_a_superseded_upload_does_nothing(user, django_capture_on_commit_callbacks):
    profile = Profile.unscoped.get(user=user)
    _pending(profile, image_bytes("PNG"))
    stale = default_storage.save(f"pending/{profile.tenant_id}/older", ContentFile(image_bytes("PNG")))

    after = _run_task(profile, stale, django_capture_on_commit_callbacks)

    assert after.image_status == "processing" and not after.image
    assert after.image_pending != stale


@pytest.mark.django_db
def test_the_task_only_reads_its_own_tenants_profile(user, other_tenant, django_capture_on_commit_callbacks):
    profile = Profile.unscoped.get(user=user)
    name = _pending(profile, image_bytes("PNG"))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_profile_image(tenant_id=other_tenant.pk, profile_id=profile.pk, pending_name=name)

    assert Profile.unscoped.get(pk=profile.pk).image_status == "processing"


@pytest.mark.django_db
def test_user_delete_removes_a_pending_original_too(user, django_capture_on_commit_callbacks):
    name = _pending(Profile.unscoped.get(user=user), image_bytes("PNG"))

    with django_capture_on_commit_callbacks(execute=True):
        services.user_delete(user=user)

    assert not default_storage.exists(name)
