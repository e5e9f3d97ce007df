"""Workout video files: what an upload really is, its thumbnail, and the short-lived URL it is watched through.

- ``validate_video`` trusts neither the file name nor the client's Content-Type: it reads
  the first ``HEAD_BYTES`` of the file and accepts only the container signatures of MP4,
  QuickTime (MOV) and WebM (``sniff_video``). It does not look at the codecs inside.
- ``make_thumbnail`` re-encodes an uploaded image as a small JPEG. The limits of profile
  images (``users.images``) are checked on the header (``users.image_headers``) before
  Pillow decodes anything, so a few bytes claiming a gigapixel image cost nothing.
- ``video_url`` hands out a URL that expires after ``WORKOUT_VIDEO_URL_TTL`` seconds: a
  signed token for our own streaming endpoint (``workout.streaming``) when the files live
  on the local file system, or the storage's own presigned URL (S3 and the like).

Errors are DRF ``ValidationError`` with a code and no field: raised from a serializer's
``validate_<field>`` method (or a field's validators) they are reported under that field.
"""

from __future__ import annotations

import inspect
import io
import math
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.http import HttpRequest
from django.urls import reverse
from PIL import Image, ImageOps, UnidentifiedImageError
from rest_framework.exceptions import ValidationError

from users.image_headers import HeaderError, ImageHeader, NotAnImage, read_header
from users.images import ACCEPTED_FORMATS, InvalidImage, check_size, to_srgb

if TYPE_CHECKING:
    from .models import WorkoutVideo

MP4 = "video/mp4"
QUICKTIME = "video/quicktime"
WEBM = "video/webm"
ACCEPTED_CONTENT_TYPES = (MP4, WEBM, QUICKTIME)

# Enough for every signature below; the rest of a video is never read here.
HEAD_BYTES = 8192
MEGABYTE = 1024 * 1024

# --- ISO base media files (MP4, MOV) -------------------------------------------------
# Real ftyp boxes hold a handful of brands (20-40 bytes); a larger one is not a real file.
MAX_FTYP_SIZE = 1024
# Brands that promise a file an MP4 player can open (ISO/IEC 14496-12 and -14, Apple's M4V,
# MPEG-DASH and CMAF segments).
MP4_BRANDS = frozenset(
    {
        b"isom",
        *(b"iso%d" % edition for edition in range(2, 10)),
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"dash",
        b"mmp4",
        b"cmfc",
        b"cmf2",
    }
)
QUICKTIME_BRAND = b"qt  "
# The same box format, but not a video we serve, even when an MP4 brand is among the
# compatible ones: still images and image sequences (HEIF, AVIF), Canon raw photos and
# audio-only MP4. 3GPP and 3GPP2 (every brand starting "3g") are refused too: their usual
# codecs (H.263, AMR) do not play in browsers.
REFUSED_MAJOR_BRANDS = frozenset(
    {
        b"heic",
        b"heix",
        b"heim",
        b"heis",
        b"hevc",
        b"hevx",
        b"mif1",
        b"msf1",
        b"avif",
        b"avis",
        b"crx ",
        b"M4A ",
        b"M4B ",
        b"M4P ",
        b"F4A ",
        b"F4B ",
    }
)
# Top-level atoms a QuickTime file written before ftyp existed may start with.
CLASSIC_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
QUICKTIME_MEDIA_ATOMS = frozenset({b"moov", b"mdat"})
# Padding atoms before the movie; real files have one or two.
MAX_LEADING_ATOMS = 16

# --- EBML (WebM, Matroska) -------------------------------------------------------------
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE_ID = b"\x42\x82"
# The EBML header holds about eight elements; Void and CRC-32 may add a couple.
MAX_EBML_ELEMENTS = 32

# --- Thumbnails ---------------------------------------------------------------------------
DEFAULT_THUMBNAIL_SIZE = (640, 360)
THUMBNAIL_QUALITY = 85
NOT_AN_IMAGE_MESSAGE = "The thumbnail must be a JPEG, PNG or WebP image."
DAMAGED_IMAGE_MESSAGE = "The thumbnail image is damaged or incomplete."

# --- Signed URLs ----------------------------------------------------------------------------
DEFAULT_URL_TTL = 3600
STREAM_SIGNING_SALT = "workout.video-stream"

UNSUPPORTED_VIDEO_MESSAGE = "Upload an MP4, WebM or MOV video; this file is not one of them."


# --- Video uploads ------------------------------------------------------------------------


def max_video_bytes() -> int:
    return int(getattr(settings, "WORKOUT_VIDEO_MAX_BYTES", settings.API_MAX_UPLOAD_SIZE))


def validate_video(upload: File[bytes]) -> str:
    """The content type of an uploaded video, from its bytes; raises ``ValidationError`` otherwise.

    Reads at most ``HEAD_BYTES`` and leaves the file at its start, ready to be saved.
    Codes: ``empty_file``, ``file_too_large``, ``unsupported_video_type``.
    """
    size = upload.size
    if not size:
        raise ValidationError("The video file is empty.", code="empty_file")
    limit = max_video_bytes()
    if size > limit:
        raise ValidationError(
            f"The video is {_megabytes(size, round_up=True)} MB; at most {_megabytes(limit)} MB are accepted.",
            code="file_too_large",
        )
    try:
        upload.seek(0)
        head = upload.read(HEAD_BYTES)
    finally:
        upload.seek(0)
    content_type = sniff_video(head)
    if content_type is None:
        raise ValidationError(UNSUPPORTED_VIDEO_MESSAGE, code="unsupported_video_type")
    return content_type


def _megabytes(size: int, *, round_up: bool = False) -> str:
    """One decimal, rounded away from the limit, so a file just over it never reads as equal to it."""
    tenths = size * 10 / MEGABYTE
    value = (math.ceil(tenths) if round_up else math.floor(tenths)) / 10
    return f"{value:.1f}".removesuffix(".0")


def sniff_video(head: bytes) -> str | None:
    """``video/mp4``, ``video/quicktime`` or ``video/webm`` from the first bytes of a file, else None.

    Only the container is recognised; a file that passes may still hold codecs a player
    cannot decode, or be damaged further on.
    """
    if head.startswith(EBML_MAGIC):
        return WEBM if _ebml_doctype(head) == b"webm" else None  # "matroska" and others: refused
    brands = _ftyp_brands(head)
    if brands is not None:
        return _iso_media_type(*brands)
    if _is_classic_quicktime(head):
        return QUICKTIME
    return None


def _box(head: bytes, offset: int) -> tuple[bytes, int, int] | None:
    """(type, header length, size) of the ISO box at ``offset``; size 0 runs to the end of the file.

    None when the header is cut off by the end of ``head`` or its size is impossible.
    """
    if offset + 8 > len(head):
        return None
    size, kind = struct.unpack_from(">I4s", head, offset)
    header = 8
    if size == 1:  # a 64-bit size follows the type
        if offset + 16 > len(head):
            return None
        (size,) = struct.unpack_from(">Q", head, offset + 8)
        header = 16
    if size != 0 and size < header:
        return None
    return kind, header, size


def _ftyp_brands(head: bytes) -> tuple[bytes, list[bytes]] | None:
    """(major brand, compatible brands) of a file starting with an ftyp box, else None."""
    box = _box(head, 0)
    if box is None or box[0] != b"ftyp":
        return None
    _, header, size = box
    # Major brand and minor version, then whole brands; it must be small and lie within head.
    if not header + 8 <= size <= min(MAX_FTYP_SIZE, len(head)) or (size - header) % 4:
        return None
    major = head[header : header + 4]
    compatible = [head[offset : offset + 4] for offset in range(header + 8, size, 4)]
    return major, compatible


def _iso_media_type(major: bytes, compatible: list[bytes]) -> str | None:
    """The major brand decides; an unknown one (a camera's own, like XAVC) defers to the compatible list."""
    if major in REFUSED_MAJOR_BRANDS or major.startswith(b"3g"):
        return None
    if major == QUICKTIME_BRAND:
        return QUICKTIME
    if major in MP4_BRANDS or any(brand in MP4_BRANDS for brand in compatible):
        return MP4
    if QUICKTIME_BRAND in compatible:
        return QUICKTIME
    return None


def _is_classic_quicktime(head: bytes) -> bool:
    """A QuickTime file without ftyp: padding atoms at most, then the movie (moov) or its data (mdat).

    Walking the atoms (not just checking the first type) keeps a text file that happens
    to hold "free" at offset 4 out. If the movie is not reached within ``head``, the file
    is refused.
    """
    offset = 0
    for _ in range(MAX_LEADING_ATOMS):
        box = _box(head, offset)
        if box is None or box[0] not in CLASSIC_QUICKTIME_ATOMS:
            return False
        kind, _, size = box
        if kind in QUICKTIME_MEDIA_ATOMS:
            return size != 0 or kind == b"mdat"  # only media data may run to the end of the file
        if size == 0:
            return False
        offset += size
    return False


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType of the EBML header at the start of ``head`` ("webm", "matroska"), or None."""
    header = _vint(head, len(EBML_MAGIC))
    if header is None:
        return None
    header_size, header_length = header
    if header_size is None:
        return None
    offset = len(EBML_MAGIC) + header_length
    end = min(offset + header_size, len(head))
    for _ in range(MAX_EBML_ELEMENTS):
        if offset >= end:
            return None  # no DocType: Matroska by the specification's default
        id_length = _vint_length(head[offset])
        element = _vint(head, offset + id_length) if id_length <= 4 else None
        if element is None:
            return None
        size, size_length = element
        if size is None:  # "unknown size" is only for the top-level elements that follow
            return None
        data_start = offset + id_length + size_length
        data_end = data_start + size
        if data_end > end:
            return None
        if head[offset : offset + id_length] == EBML_DOCTYPE_ID:
            return head[data_start:data_end].rstrip(b"\x00")  # strings may be zero-padded
        offset = data_end
    return None


def _vint_length(first: int) -> int:
    """Bytes in an EBML variable-size integer, from its first byte (9 for an invalid 0x00)."""
    return 9 - first.bit_length()


def _vint(data: bytes, offset: int) -> tuple[int | None, int] | None:
    """(value, length) of the EBML variable-size integer at ``offset``; value None for "unknown size".

    None when it is invalid or cut off by the end of ``data``.
    """
    if offset >= len(data):
        return None
    length = _vint_length(data[offset])
    if length > 8 or offset + length > len(data):
        return None
    value = data[offset] & (0xFF >> length)  # without the length marker bit
    for byte in data[offset + 1 : offset + length]:
        value = value << 8 | byte
    if value == 2 ** (7 * length) - 1:  # every value bit set
        return None, length
    return value, length


# --- Thumbnails ----------------------------------------------------------------------------


def thumbnail_size() -> tuple[int, int]:
    width, height = getattr(settings, "WORKOUT_THUMBNAIL_SIZE", DEFAULT_THUMBNAIL_SIZE)
    return int(width), int(height)


def make_thumbnail(upload: File[bytes]) -> ContentFile[bytes]:
    """A JPEG of ``upload`` that fits ``WORKOUT_THUMBNAIL_SIZE``; raises ``ValidationError`` (``invalid_image``).

    Upright (EXIF orientation applied), sRGB, transparency flattened onto white, and
    no metadata at all: EXIF (GPS included), ICC profiles and comments are gone. Decodes
    the image in the calling process, within the pixel limits of profile images.
    """
    box = thumbnail_size()
    header = _checked_header(upload)
    try:
        with _decode(upload, header, box) as picture:
            flat = _flatten(picture, box)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise _invalid_image(NOT_AN_IMAGE_MESSAGE) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow's ways of saying "broken": truncated data, bad chunks, bad CRCs.
        raise _invalid_image(DAMAGED_IMAGE_MESSAGE) from None
    finally:
        upload.seek(0)
    buffer = io.BytesIO()
    flat.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return ContentFile(buffer.getvalue(), name="thumbnail.jpg")


def _invalid_image(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_image")


def _checked_header(upload: IO[bytes]) -> ImageHeader:
    """The image's header, held to the profile-image limits, before Pillow reads a byte."""
    try:
        header = read_header(upload)
    except NotAnImage:
        raise _invalid_image(NOT_AN_IMAGE_MESSAGE) from None
    except HeaderError:
        raise _invalid_image(DAMAGED_IMAGE_MESSAGE) from None
    finally:
        upload.seek(0)
    try:
        check_size(header)
    except InvalidImage as exc:
        raise _invalid_image(exc.message) from None
    return header


def _decode(upload: IO[bytes], header: ImageHeader, box: tuple[int, int]) -> Image.Image:
    upload.seek(0)
    # formats= keeps Pillow's rarely exercised decoders away from untrusted bytes.
    picture = Image.open(upload, formats=ACCEPTED_FORMATS)
    pillow_format = "JPEG" if picture.format == "MPO" else picture.format
    if (pillow_format, picture.width, picture.height) != (header.format, header.width, header.height):
        # Pillow read another image than the header check did: the limits would not hold.
        picture.close()
        raise _invalid_image(DAMAGED_IMAGE_MESSAGE)
    if pillow_format == "JPEG":
        # libjpeg scales by 1/2 to 1/8 while decoding, never below the requested size. Both
        # sides at the box's longer one, as an EXIF rotation may still swap width and height.
        side = max(box)
        picture.draft(None, (side, side))
    picture.load()  # every pixel: a truncated file fails here
    return picture


def _flatten(picture: Image.Image, box: tuple[int, int]) -> Image.Image:
    """Upright, sRGB, shrunk into ``box``, on white; a fresh image, so no metadata comes along."""
    upright = ImageOps.exif_transpose(picture)
    has_alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in upright.info
    pixels = to_srgb(upright, "RGBA" if has_alpha else "RGB")
    pixels.thumbnail(box, Image.Resampling.LANCZOS)  # keeps the aspect ratio; never enlarges
    flat = Image.new("RGB", pixels.size, (255, 255, 255))
    flat.paste(pixels, mask=pixels.getchannel("A") if has_alpha else None)
    return flat


# --- Signed, expiring URLs ---------------------------------------------------------------------


class InvalidStreamToken(signing.BadSignature):
    """A streaming token that we did not sign, that was altered, or whose time is up."""


def url_ttl() -> int:
    return int(getattr(settings, "WORKOUT_VIDEO_URL_TTL", DEFAULT_URL_TTL))


def video_url(video: WorkoutVideo, *, request: HttpRequest | None = None) -> tuple[str, datetime]:
    """(URL, expiry) to watch ``video`` through; the URL works for ``WORKOUT_VIDEO_URL_TTL`` seconds.

    Files on the local file system are served by our streaming endpoint behind a signed
    token (a path, or an absolute URL when ``request`` is given). Any other storage is
    asked to presign the URL (django-storages' S3 storages take ``expire``). A storage
    whose ``url()`` cannot expire URLs gets its plain URL: such a storage must itself be
    private and sign its URLs, or every video in it is public to whoever learns a URL.
    For S3 that means a private bucket and ``querystring_auth`` left on.
    """
    ttl = url_ttl()
    storage = video.video.storage
    name = video.video.name
    if isinstance(storage, FileSystemStorage):
        token = make_stream_token(video)
        path = reverse("workout:video-stream", kwargs={"token": token})
        url = request.build_absolute_uri(path) if request is not None else path
        return url, stream_token_expires_at(token)
    expires_at = datetime.now(tz=UTC) + timedelta(seconds=ttl)
    storage_url: Callable[..., str] = storage.url
    if _takes_expire(storage_url):
        return storage_url(name, expire=ttl), expires_at
    return storage_url(name), expires_at


def _takes_expire(method: Callable[..., str]) -> bool:
    """Asked of the signature, not by catching TypeError: that could come from inside url() itself."""
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "expire" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=STREAM_SIGNING_SALT)


def make_stream_token(video: WorkoutVideo) -> str:
    """Names the row and its file: once the file is replaced, older tokens find nothing to stream."""
    return _signer().sign_object({"v": video.pk, "n": video.video.name}, compress=False)


def load_stream_token(token: str) -> tuple[int, str]:
    """(video pk, file name) from a token of ``make_stream_token``; raises ``InvalidStreamToken``."""
    try:
        payload: Any = _signer().unsign_object(token, max_age=url_ttl())
    except signing.SignatureExpired:
        raise InvalidStreamToken("the video link has expired") from None
    except (signing.BadSignature, ValueError):
        raise InvalidStreamToken("the video link is not valid") from None
    pk, name = (payload.get("v"), payload.get("n")) if isinstance(payload, dict) else (None, None)
    if not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(name, str) or not name:
        raise InvalidStreamToken("the video link is not valid")
    return pk, name


def stream_token_expires_at(token: str) -> datetime:
    """When a token stops verifying. Reads its timestamp without checking it: verify the token first."""
    try:
        issued = signing.b62_decode(token.rsplit(":", 2)[-2])
    except (IndexError, ValueError):
        raise InvalidStreamToken("the video link is not valid") from None
    return datetime.fromtimestamp(issued + url_ttl(), tz=UTC)
