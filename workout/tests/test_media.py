"""workout.media and workout.streaming: what a video upload really is, thumbnails, signed links and streaming."""

import io
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, RequestFactory
from PIL import Image
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from fitcore.api.exceptions import flatten_errors
from users.tests.helpers import blank_png, image_bytes
from workout.media import (
    HEAD_BYTES,
    InvalidStreamToken,
    load_stream_token,
    make_stream_token,
    make_thumbnail,
    sniff_video,
    stream_token_expires_at,
    validate_video,
    video_url,
)
from workout.models import Workout, WorkoutVideo
from workout.streaming import CHUNK_SIZE, RangeNotSatisfiable, parse_range

# The streaming route, mounted where workout/urls.py mounts it.
pytestmark = pytest.mark.urls("workout.tests.media_urls")

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# --- tiny real containers -----------------------------------------------------------------


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def ftyp(major: bytes, *compatible: bytes, minor: int = 0x200) -> bytes:
    return box(b"ftyp", major + struct.pack(">I", minor) + b"".join(compatible))


def mp4(payload: bytes = b"\x00" * 64, major: bytes = b"isom", *compatible: bytes) -> bytes:
    return ftyp(major, *(compatible or (b"isom", b"iso2", b"avc1", b"mp41"))) + box(b"free") + box(b"mdat", payload)


def ebml_element(element_id: bytes, data: bytes) -> bytes:
    return element_id + bytes([0x80 | len(data)]) + data


def ebml(doctype: bytes | None, *, eight_byte_size: bool = False) -> bytes:
    children = [
        ebml_element(b"\x42\x86", b"\x01"),  # EBMLVersion
        ebml_element(b"\x42\xf7", b"\x01"),  # EBMLReadVersion
        ebml_element(b"\x42\xf2", b"\x04"),  # EBMLMaxIDLength
        ebml_element(b"\x42\xf3", b"\x08"),  # EBMLMaxSizeLength
    ]
    if doctype is not None:
        children.append(ebml_element(b"\x42\x82", doctype))
    children += [ebml_element(b"\x42\x87", b"\x04"), ebml_element(b"\x42\x85", b"\x02")]
    body = b"".join(children)
    size = b"\x01" + len(body).to_bytes(7, "big") if eight_byte_size else bytes([0x80 | len(body)])
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff"  # Segment, unknown size
    return b"\x1a\x45\xdf\xa3" + size + body + segment + b"\x00" * 32


def upload(data: bytes, name: str = "clip.mp4", content_type: str = "video/mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def codes(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return list(exc.value.get_codes())


def error_message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    detail = exc.value.detail
    assert isinstance(detail, list) and len(detail) == 1
    return str(detail[0])


# --- sniff_video ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (mp4(), "video/mp4"),
        (mp4(b"", b"mp42", b"mp42", b"isom"), "video/mp4"),
        (mp4(b"", b"M4V ", b"M4V ", b"M4A ", b"mp42", b"isom"), "video/mp4"),
        (mp4(b"", b"dash", b"iso6", b"avc1"), "video/mp4"),
        (mp4(b"", b"XAVC", b"XAVC", b"mp42", b"iso2"), "video/mp4"),  # a camera's own major brand
        (ftyp(b"CAEP", b"CAEP", b"qt  ") + box(b"mdat"), "video/quicktime"),
        (ftyp(b"qt  ", b"qt  ") + box(b"wide") + box(b"mdat", b"\x00" * 16), "video/quicktime"),
        (box(b"wide") + box(b"mdat", b"\x00" * 16), "video/quicktime"),
        (box(b"moov", box(b"mvhd", b"\x00" * 100)), "video/quicktime"),
        (box(b"free", b"\x00" * 20) + box(b"skip") + box(b"moov", b"\x00" * 8), "video/quicktime"),
        (ebml(b"webm"), "video/webm"),
        (ebml(b"webm\x00\x00"), "video/webm"),  # zero-padded string
        (ebml(b"webm", eight_byte_size=True), "video/webm"),
    ],
    ids=[
        "mp4-isom",
        "mp4-mp42",
        "m4v",
        "dash",
        "unknown-major-mp4-compatible",
        "unknown-major-qt-compatible",
        "mov-ftyp",
        "mov-classic-wide-mdat",
        "mov-classic-moov",
        "mov-classic-padding",
        "webm",
        "webm-padded-doctype",
        "webm-8-byte-header-size",
    ],
)
def test_sniff_video_recognises_containers(data, expected):
    assert sniff_video(data) == expected


def test_sniff_video_reads_64_bit_box_sizes():
    payload = b"isom" + struct.pack(">I", 0) + b"isom" + b"mp42"
    large = struct.pack(">I4sQ", 1, b"ftyp", 16 + len(payload)) + payload
    assert sniff_video(large + box(b"mdat")) == "video/mp4"
    # A 64-bit size smaller than its own header is impossible.
    assert sniff_video(struct.pack(">I4sQ", 1, b"ftyp", 8) + payload) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00",
        image_bytes("PNG"),
        image_bytes("JPEG"),
        b"Just some text, not a video at all.\n" * 10,
        b"abcdfree but this is a text file that happens to say free at offset four",
        ebml(b"matroska"),
        ebml(None),  # no DocType: Matroska by default
        ebml(b"webmx"),
        b"\x1a\x45\xdf\xa3\x01\xff\xff\xff\xff\xff\xff\xff" + b"\x00" * 40,  # unknown-size EBML header
        b"\x1a\x45\xdf\xa3\x00" + b"\x00" * 40,  # invalid size byte
        ftyp(b"3gp4", b"isom", b"3gp4"),
        ftyp(b"3g2a", b"3g2a"),
        ftyp(b"heic", b"mif1", b"heic"),
        ftyp(b"avif", b"avif", b"mif1", b"miaf"),
        ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"),
        ftyp(b"crx ", b"crx ", b"isom"),
        ftyp(b"abcd", b"efgh"),
        struct.pack(">I4s", 4, b"ftyp") + b"isom" * 4,  # size below its header
        struct.pack(">I4s", 0, b"ftyp") + b"isom" * 4,  # size 0: the whole file one ftyp box
        struct.pack(">I4s", 2000, b"ftyp") + b"isom" * 500,  # an ftyp of hundreds of brands
        struct.pack(">I4s", 19, b"ftyp") + b"isom" + b"\x00" * 7,  # brands not whole
        box(b"wide") + box(b"junk", b"\x00" * 8),  # padding, then no movie
        # What validate_video reads of a file whose movie lies beyond its first HEAD_BYTES.
        (box(b"free", b"\x00" * (HEAD_BYTES + 100)) + box(b"moov"))[:HEAD_BYTES],
        struct.pack(">I4s", 0, b"moov"),  # only mdat may run to the end
        box(b"free") * 17 + box(b"moov"),  # more padding than any real file
        b"\x1a\x45\xdf\xa3\x85\x00\x82\x84webm",  # an element ID starting with a zero byte
        b"\x1a\x45\xdf\xa3\x8a\x42\x82\x01\xff\xff\xff\xff\xff\xff\xff",  # a DocType of unknown size
        b"\x1a\x45\xdf\xa3\x85\x42\x82\x88webm",  # a DocType longer than the header holds
        b"\x1a\x45\xdf\xa3\x85\x42\x82",  # cut off before the DocType's size
    ],
    ids=[
        "empty",
        "three-bytes",
        "png",
        "jpeg",
        "text",
        "text-free-at-4",
        "matroska",
        "ebml-without-doctype",
        "other-doctype",
        "ebml-unknown-size",
        "ebml-invalid-vint",
        "3gp",
        "3g2",
        "heic",
        "avif",
        "m4a-audio",
        "canon-raw",
        "unknown-brands",
        "ftyp-too-small",
        "ftyp-size-zero",
        "ftyp-too-large",
        "ftyp-partial-brand",
        "classic-padding-only",
        "classic-movie-beyond-head",
        "classic-moov-size-zero",
        "classic-too-much-padding",
        "ebml-invalid-element-id",
        "ebml-doctype-unknown-size",
        "ebml-doctype-overruns-header",
        "ebml-cut-off",
    ],
)
def test_sniff_video_refuses_everything_else(data):
    assert sniff_video(data) is None


# --- validate_video -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [(mp4(), "video/mp4"), (ebml(b"webm"), "video/webm"), (ftyp(b"qt  ", b"qt  ") + box(b"mdat"), "video/quicktime")],
)
def test_validate_video_returns_the_sniffed_type_and_rewinds(data, expected):
    # The client's name and type are ignored: the bytes decide.
    file = upload(data, name="whatever.bin", content_type="application/octet-stream")
    file.read(5)
    assert validate_video(file) == expected
    assert file.tell() == 0


def test_validate_video_reads_only_the_head():
    class CountingUpload(SimpleUploadedFile):
        bytes_read = 0

        def read(self, *args, **kwargs):
            data = super().read(*args, **kwargs)
            self.bytes_read += len(data)
            return data

    file = CountingUpload("big.mp4", mp4(b"\x00" * 1_000_000), content_type="video/mp4")
    assert validate_video(file) == "video/mp4"
    assert file.bytes_read <= HEAD_BYTES


def test_png_renamed_mp4_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_video(upload(image_bytes("PNG"), name="holiday.mp4", content_type="video/mp4"))
    assert codes(exc) == ["unsupported_video_type"]
    assert error_message(exc) == "Upload an MP4, WebM or MOV video; this file is not one of them."


def test_text_file_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_video(upload(b"hello, world\n" * 100, name="notes.mov", content_type="video/quicktime"))
    assert codes(exc) == ["unsupported_video_type"]


def test_matroska_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_video(upload(ebml(b"matroska"), name="film.webm", content_type="video/webm"))
    assert codes(exc) == ["unsupported_video_type"]


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_video(upload(b""))
    assert codes(exc) == ["empty_file"]


def test_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.WORKOUT_VIDEO_MAX_BYTES = 1024 * 1024
    data = mp4(b"\x00" * (1024 * 1024))  # the limit plus the boxes' headers
    with pytest.raises(ValidationError) as exc:
        validate_video(upload(data))
    assert codes(exc) == ["file_too_large"]
    assert error_message(exc) == "The video is 1.1 MB; at most 1 MB are accepted."
    settings.WORKOUT_VIDEO_MAX_BYTES = len(data)
    assert validate_video(upload(data)) == "video/mp4"


def test_the_limit_defaults_to_the_upload_limit(settings):
    from django.conf import settings as django_settings

    del settings.WORKOUT_VIDEO_MAX_BYTES
    settings.API_MAX_UPLOAD_SIZE = 100
    assert not hasattr(django_settings, "WORKOUT_VIDEO_MAX_BYTES")
    with pytest.raises(ValidationError) as exc:
        validate_video(upload(mp4(b"\x00" * 200)))
    assert codes(exc) == ["file_too_large"]


def test_errors_land_under_the_serializer_field():
    """How a view reports them: a field-level validate_<field> puts the code under the field's name."""

    class VideoUpload(serializers.Serializer):
        video = serializers.FileField()

        def validate_video(self, value):
            self.content_type = validate_video(value)
            return value

    serializer = VideoUpload(data={"video": upload(image_bytes("PNG"))})
    assert not serializer.is_valid()
    assert flatten_errors(serializer.errors) == [
        {
            "field": "video",
            "code": "unsupported_video_type",
            "message": "Upload an MP4, WebM or MOV video; this file is not one of them.",
        }
    ]


# --- make_thumbnail ---------------------------------------------------------------------------------


def _exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    return exif.tobytes()


def _open(thumbnail: ContentFile) -> Image.Image:
    picture = Image.open(io.BytesIO(thumbnail.read()))
    picture.load()
    return picture


def test_thumbnail_of_a_large_png_with_alpha():
    source = Image.new("RGBA", (2000, 1500), (0, 0, 255, 255))
    source.paste((255, 0, 0, 0), (0, 0, 1000, 1500))  # left half: fully transparent red
    buffer = io.BytesIO()
    source.save(buffer, format="PNG", exif=_exif())

    thumbnail = make_thumbnail(upload(buffer.getvalue(), name="cover.png", content_type="image/png"))

    assert thumbnail.name == "thumbnail.jpg"
    picture = _open(thumbnail)
    assert picture.format == "JPEG"
    assert picture.mode == "RGB"
    assert picture.size == (480, 360)  # 4:3 kept, within 640x360
    assert "exif" not in picture.info
    assert "icc_profile" not in picture.info
    assert len(picture.getexif()) == 0
    left, right = picture.getpixel((40, 180)), picture.getpixel((440, 180))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert all(channel > 245 for channel in left)  # transparent became white, not black or red
    assert right[2] > 200 and right[0] < 40


def test_thumbnail_is_turned_upright_and_never_enlarged():
    # Stored 800x400 with "rotate 90" in EXIF: upright it is 400x800, so 180x360 fits the box.
    rotated = upload(image_bytes("JPEG", size=(800, 400), exif=_exif(orientation=6)), name="a.jpg")
    picture = _open(make_thumbnail(rotated))
    assert picture.size == (180, 360)
    assert len(picture.getexif()) == 0

    small = _open(make_thumbnail(upload(image_bytes("WEBP", size=(64, 48)), name="b.webp")))
    assert small.size == (64, 48)


def test_thumbnail_colours_are_converted_to_srgb_and_the_profile_dropped():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for data in (
        image_bytes("JPEG", icc_profile=icc),
        image_bytes("PNG", mode="RGBA", icc_profile=icc),
        image_bytes("PNG", icc_profile=b"not a colour profile"),  # ignored: the raw values are kept
    ):
        picture = _open(make_thumbnail(upload(data, name="p.jpg")))
        assert picture.size == (64, 48)
        assert "icc_profile" not in picture.info


def test_thumbnail_size_comes_from_settings(settings):
    settings.WORKOUT_THUMBNAIL_SIZE = (100, 100)
    picture = _open(make_thumbnail(upload(image_bytes("PNG", size=(400, 200), mode="P"), name="c.png")))
    assert picture.size == (100, 50)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00garbage bytes, not an image" * 20, "The thumbnail must be a JPEG, PNG or WebP image."),
        (b"", "The thumbnail must be a JPEG, PNG or WebP image."),
        (image_bytes("GIF"), "The thumbnail must be a JPEG, PNG or WebP image."),
        (image_bytes("PNG")[:60], "The thumbnail image is damaged or incomplete."),  # header fine, pixels cut off
        (image_bytes("JPEG")[:-200], "The thumbnail image is damaged or incomplete."),
        (blank_png(20_000, 10), "The image is 20000x10 pixels; each side may be at most 10000 pixels."),
        (blank_png(8000, 8000), "The image is 8000x8000 pixels; at most 40000000 pixels in total."),
        (
            blank_png(9000, 4000, colour_type=6, bit_depth=16),
            "The image is 274 MB once decoded; at most 256 MB are accepted.",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "The thumbnail image is damaged or incomplete."),  # no IHDR
    ],
    ids=[
        "garbage",
        "empty",
        "gif",
        "truncated-png",
        "truncated-jpeg",
        "too-wide",
        "too-many-pixels",
        "too-many-decoded-bytes",
        "malformed-header",
    ],
)
def test_thumbnail_refuses_what_is_not_a_usable_image(data, message):
    file = upload(data, name="x.png", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        make_thumbnail(file)
    assert codes(exc) == ["invalid_image"]
    assert error_message(exc) == message
    assert file.tell() == 0


# --- signed links -------------------------------------------------------------------------------------


@pytest.fixture
def workout(tenant):
    return Workout.objects.create(tenant=tenant, title="Morning mobility", duration_minutes=20)


VIDEO_BYTES = mp4(bytes(range(256)) * 600)  # about 150 KB: more than two streaming chunks


@pytest.fixture
def video(tenant, workout):
    return WorkoutVideo.objects.create(
        tenant=tenant,
        workout=workout,
        title="Warm-up",
        video=ContentFile(VIDEO_BYTES, name="upload.mp4"),
        content_type="video/mp4",
        size_bytes=len(VIDEO_BYTES),
        order_index=1,
        duration_seconds=60,
    )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_local_video_url_is_a_signed_link_to_the_stream(video, frozen):
    url, expires_at = video_url(video)
    assert url.startswith("/api/v1/workouts/videos/stream/")
    assert expires_at == NOW + timedelta(seconds=3600)
    token = url.removeprefix("/api/v1/workouts/videos/stream/").removesuffix("/")
    assert load_stream_token(token) == (video.pk, video.video.name)
    assert video.video.name.startswith(f"workouts/{video.workout_id}/videos/") and video.video.name.endswith(".mp4")


def test_video_url_is_absolute_with_a_request(video, frozen):
    url, _ = video_url(video, request=RequestFactory().get("/api/v1/workouts/"))
    assert url.startswith("http://testserver/api/v1/workouts/videos/stream/")


def test_ttl_comes_from_settings(video, frozen, settings):
    settings.WORKOUT_VIDEO_URL_TTL = 60
    _, expires_at = video_url(video)
    assert expires_at == NOW + timedelta(seconds=60)
    token = make_stream_token(video)
    frozen.shift(60)
    assert load_stream_token(token) == (video.pk, video.video.name)
    frozen.shift(1)
    with pytest.raises(InvalidStreamToken):
        load_stream_token(token)


class PresigningStorage(InMemoryStorage):
    """Stands in for django-storages' S3Storage, whose url() presigns for ``expire`` seconds."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return f"https://bucket.example/{name}?X-Amz-Expires={expire}&X-Amz-Signature=abc"


class PlainUrlStorage(InMemoryStorage):
    def url(self, name):
        return f"https://cdn.example/{name}"


def test_remote_storage_presigns_the_url(frozen):
    video = WorkoutVideo(pk=7, video="workouts/1/videos/abc.mp4")
    video.video.storage = PresigningStorage()
    url, expires_at = video_url(video)
    assert url == "https://bucket.example/workouts/1/videos/abc.mp4?X-Amz-Expires=3600&X-Amz-Signature=abc"
    assert expires_at == NOW + timedelta(seconds=3600)


def test_storage_that_cannot_expire_urls_gives_its_plain_url(frozen):
    video = WorkoutVideo(pk=7, video="workouts/1/videos/abc.mp4")
    video.video.storage = PlainUrlStorage()
    assert video_url(video) == ("https://cdn.example/workouts/1/videos/abc.mp4", NOW + timedelta(seconds=3600))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "nonsense",
        signing.dumps({"v": 1, "n": "workouts/1/videos/a.mp4"}, salt="another.purpose"),
        signing.dumps({"v": 1, "n": "workouts/1/videos/a.mp4"}, salt="workout.video-stream", key="another-key" * 5),
        signing.dumps({"v": "1", "n": "workouts/1/videos/a.mp4"}, salt="workout.video-stream"),
        signing.dumps({"v": True, "n": "workouts/1/videos/a.mp4"}, salt="workout.video-stream"),
        signing.dumps({"v": 1, "n": ""}, salt="workout.video-stream"),
        signing.dumps([1, "workouts/1/videos/a.mp4"], salt="workout.video-stream"),
        signing.Signer(salt="workout.video-stream").sign_object({"v": 1, "n": "a"}),  # no timestamp
    ],
    ids=["empty", "nonsense", "other-salt", "other-key", "pk-string", "pk-bool", "no-name", "not-a-dict", "unstamped"],
)
def test_forged_tokens_do_not_verify(token):
    with pytest.raises(InvalidStreamToken):
        load_stream_token(token)


def test_expiry_of_a_malformed_token_is_refused():
    with pytest.raises(InvalidStreamToken):
        stream_token_expires_at("nonsense")


def test_invalid_stream_token_is_a_bad_signature():
    assert issubclass(InvalidStreamToken, signing.BadSignature)


# --- the stream ------------------------------------------------------------------------------------------


def stream_url(video) -> str:
    url, _ = video_url(video)
    return url


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_stream_sends_the_whole_file(client, video, frozen):
    response = client.get(stream_url(video))
    assert response.status_code == 200
    assert body(response) == VIDEO_BYTES
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(VIDEO_BYTES))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.has_header("Content-Range")


def test_cache_lifetime_is_what_is_left_of_the_link(client, video, frozen):
    url = stream_url(video)
    frozen.shift(3000)
    response = client.get(url)
    assert response["Cache-Control"] == "private, max-age=600"
    assert body(response) == VIDEO_BYTES


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=0-0", 0, 0),
        ("bytes=70000-", 70000, len(VIDEO_BYTES) - 1),  # across chunk boundaries
        ("bytes=-500", len(VIDEO_BYTES) - 500, len(VIDEO_BYTES) - 1),
        ("bytes=-999999999", 0, len(VIDEO_BYTES) - 1),  # a suffix longer than the file: all of it
        ("bytes=1000-999999999", 1000, len(VIDEO_BYTES) - 1),
        ("Bytes = 5 - 9", 5, 9),
    ],
)
def test_stream_answers_one_range(client, video, frozen, header, start, end):
    response = client.get(stream_url(video), HTTP_RANGE=header)
    assert response.status_code == 206
    assert body(response) == VIDEO_BYTES[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(VIDEO_BYTES)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"


@pytest.mark.parametrize(
    "header", [f"bytes={len(VIDEO_BYTES)}-", f"bytes={len(VIDEO_BYTES) + 10}-{len(VIDEO_BYTES) + 20}", "bytes=-0"]
)
def test_unsatisfiable_range_is_416(client, video, frozen, header):
    response = client.get(stream_url(video), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "range_not_satisfiable"


@pytest.mark.parametrize(
    "header",
    ["bytes=0-10,20-30", "items=0-10", "bytes=10-5", "bytes=-", "bytes=abc", "bytes=1-2-3", "bytes=" + "9" * 30 + "-"],
)
def test_ranges_we_do_not_serve_get_the_whole_file(client, video, frozen, header):
    response = client.get(stream_url(video), HTTP_RANGE=header)
    assert response.status_code == 200
    assert body(response) == VIDEO_BYTES


def test_if_range_gets_the_whole_file(client, video, frozen):
    """We send no ETag or Last-Modified, so an If-Range can never match: RFC 9110 says send everything."""
    response = client.get(stream_url(video), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"abc"')
    assert response.status_code == 200
    assert body(response) == VIDEO_BYTES


def test_head_sends_the_headers_only(client, video, frozen):
    response = client.head(stream_url(video), HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response.content == b""
    assert response["Content-Length"] == "10"
    assert response["Content-Range"] == f"bytes 10-19/{len(VIDEO_BYTES)}"


def test_other_methods_are_405_problems(client, video, frozen):
    response = client.post(stream_url(video))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["code"] == "method_not_allowed"


def test_expired_link_is_403(client, video, frozen):
    url = stream_url(video)
    frozen.shift(3601)
    response = client.get(url)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid_video_link"
    assert problem["instance"] == url


def test_tampered_link_is_403(client, video, frozen):
    url = stream_url(video)
    token = url.split("/")[-2]
    payload, timestamp, signature = token.split(":")
    other = signing.b64_encode(b'{"v":%d,"n":"workouts/1/videos/other.mp4"}' % video.pk).decode()
    for forged in (
        f"{other}:{timestamp}:{signature}",
        f"{payload}:{timestamp}:{signature[:-2]}xx",
        f"{payload}:zz:{signature}",
    ):
        response = client.get(f"/api/v1/workouts/videos/stream/{forged}/")
        assert response.status_code == 403
        assert response.json()["code"] == "invalid_video_link"


def test_link_to_a_replaced_file_is_404(client, video, frozen):
    url = stream_url(video)
    video.video = ContentFile(mp4(b"new"), name="again.mp4")
    video.save()
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert body(client.get(stream_url(video))) == mp4(b"new")


def test_link_to_a_deleted_video_is_404(client, video, frozen):
    url = stream_url(video)
    video.delete()
    assert client.get(url).status_code == 404


def test_row_without_its_file_is_404(client, video, frozen):
    url = stream_url(video)
    video.video.storage.delete(video.video.name)
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_stream_is_asynchronous_under_asgi(video, frozen):
    """Django would collect a synchronous iterator into one list under ASGI: the whole video in memory."""
    url = stream_url(video)

    async def fetch() -> tuple[int, str, list[bytes]]:
        response: Any = await AsyncClient().get(url, headers={"Range": "bytes=10-"})
        assert response.is_async
        return response.status_code, response["Content-Range"], [chunk async for chunk in response.streaming_content]

    status, content_range, chunks = async_to_sync(fetch)()
    assert status == 206
    assert content_range == f"bytes 10-{len(VIDEO_BYTES) - 1}/{len(VIDEO_BYTES)}"
    assert b"".join(chunks) == VIDEO_BYTES[10:]
    assert max(len(chunk) for chunk in chunks) == CHUNK_SIZE


# --- parse_range --------------------------------------------------------------------------------------------


def test_parse_range_edges():
    assert parse_range(None, 10) is None
    assert parse_range("", 10) is None
    assert parse_range("bytes=9-", 10) == (9, 9)
    assert parse_range("bytes=-10", 10) == (0, 9)
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=10-", 10)
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=-1", 0)
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)
