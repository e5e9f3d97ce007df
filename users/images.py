"""Profile images: accept only real JPEG/PNG/WebP files, and store clean re-encoded copies.

An upload is handled in two steps, so that a web worker never decodes pixels:

1. In the request, ``check_profile_image`` reads the file's header (``users.image_headers``,
   bounded time, no decoding) and enforces every limit below. A file that fails answers
   400 ``invalid_image`` or 413 ``image_too_large`` at once.
2. In a Celery task, ``process_profile_image`` checks the same limits again, on the header
   and on what Pillow makes of it, then decodes every pixel (a truncated or disguised
   file fails here), turns the image upright by its EXIF orientation, converts it to
   sRGB, copies it pixel by pixel into a fresh image (so EXIF, GPS, ICC and comments
   are gone), shrinks it to at most ``MAX_DIMENSION`` on its longer side, and encodes
   it as WebP together with a square ``THUMBNAIL_SIZE`` thumbnail.

The limits bound what one upload can cost the worker, whatever its few bytes claim:

- ``MAX_SIDE`` on each side: a 1 x 39,000,000 strip is as costly to decode as a 39 MP
  photo, but no photo is shaped like that.
- ``MAX_SOURCE_PIXELS`` in total: 40 MP (as before) holds the usual 12-24 MP phone
  photo; a 48 MP full-resolution export is refused, as it was.
- ``MAX_DECODED_BYTES`` of raw pixel data (width x height x samples x bytes per sample):
  a 16-bit RGBA PNG is eight bytes a pixel, all of which zlib must inflate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from fitcore.api.exceptions import ApplicationError

from .image_headers import HeaderError, ImageHeader, NotAnImage, read_header

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# settings.PROFILE_IMAGE_MAX_BYTES overrides this (tests lower it); the whole request is
# also capped by API_MAX_UPLOAD_SIZE in the body-size middleware.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 10_000
MAX_SOURCE_PIXELS = 40_000_000
MAX_DECODED_BYTES = 256 * 1024 * 1024
MAX_DIMENSION = 1024
THUMBNAIL_SIZE = 256
OUTPUT_FORMAT = "WEBP"
OUTPUT_EXTENSION = ".webp"
OUTPUT_QUALITY = 85

# Bits per sample of Pillow's modes that are not 8 bits (its 16-bit RGB(A) PNGs load as 8-bit modes).
_PILLOW_MODE_BITS = {"1": 1, "I;16": 16, "I;16B": 16, "I;16L": 16, "I;16N": 16, "I": 32, "F": 32}

NOT_AN_IMAGE_MESSAGE = "The file is not a JPEG, PNG or WebP image."
DAMAGED_MESSAGE = "The image file is damaged or incomplete."


class ImageErrorCode(models.TextChoices):
    """Codes of upload problems: answered at once (the first two), or kept in a profile's ``image_error``."""

    INVALID_IMAGE = "invalid_image", "Not a JPEG, PNG or WebP image, damaged, or over the size limits"
    IMAGE_TOO_LARGE = "image_too_large", "Over the file size limit"
    # Not the file's fault (storage, the worker's time limit, a bug): the user may try again.
    IMAGE_PROCESSING_FAILED = "image_processing_failed", "Processing failed; upload it again"


class InvalidImage(ApplicationError):
    code = ImageErrorCode.INVALID_IMAGE
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message=message, errors=[{"field": "image", "code": self.code, "message": message}])


class ImageTooLarge(ApplicationError):
    code = ImageErrorCode.IMAGE_TOO_LARGE
    status = 413

    def __init__(self, message: str) -> None:
        super().__init__(message=message, errors=[{"field": "image", "code": self.code, "message": message}])


@dataclass(frozen=True)
class ProcessedImage:
    image: ContentFile[bytes]
    thumbnail: ContentFile[bytes]
    width: int
    height: int


def max_upload_bytes() -> int:
    return int(getattr(settings, "PROFILE_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_profile_image(upload: Any) -> ImageHeader:
    """The size and header checks, without decoding; raises ``InvalidImage`` or ``ImageTooLarge``.

    Cheap enough for the request (well under a millisecond): it reads a few bytes per
    header segment. ``upload`` is a Django ``File`` (``UploadedFile`` in a request).
    """
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ImageTooLarge(f"The image is {upload.size} bytes; at most {limit} bytes are accepted.")
    try:
        header = read_header(upload)
    except NotAnImage:
        raise InvalidImage(NOT_AN_IMAGE_MESSAGE) from None
    except HeaderError:
        raise InvalidImage(DAMAGED_MESSAGE) from None
    finally:
        upload.seek(0)
    check_size(header)
    return header


def check_size(header: ImageHeader) -> None:
    """The size limits every uploaded image is held to, from its header alone (``InvalidImage``)."""
    width, height = header.width, header.height
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InvalidImage(f"The image is {width}x{height} pixels; each side may be at most {MAX_SIDE} pixels.")
    if header.pixels > MAX_SOURCE_PIXELS:
        raise InvalidImage(f"The image is {width}x{height} pixels; at most {MAX_SOURCE_PIXELS} pixels in total.")
    if header.decoded_bytes > MAX_DECODED_BYTES:
        raise InvalidImage(
            f"The image is {header.decoded_bytes // 2**20} MB once decoded; "
            f"at most {MAX_DECODED_BYTES // 2**20} MB are accepted."
        )


def process_profile_image(upload: Any) -> ProcessedImage:
    """Check, decode and re-encode a file; raises ``InvalidImage`` or ``ImageTooLarge``.

    The expensive half of an upload: it runs in a worker (``users.tasks``), never in a
    request. ``upload`` is a Django ``File``.
    """
    header = check_profile_image(upload)
    try:
        picture = _decode(upload, header)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise InvalidImage(NOT_AN_IMAGE_MESSAGE) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow's ways of saying "broken": truncated data, bad chunks, bad CRCs.
        raise InvalidImage(DAMAGED_MESSAGE) from None

    clean = _without_metadata(picture)
    clean.thumbnail((MAX_DIMENSION, MAX_DIMENSION), Image.Resampling.LANCZOS)
    square = ImageOps.fit(clean, (THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    return ProcessedImage(
        image=ContentFile(_encode(clean), name=f"image{OUTPUT_EXTENSION}"),
        thumbnail=ContentFile(_encode(square), name=f"thumbnail{OUTPUT_EXTENSION}"),
        width=clean.width,
        height=clean.height,
    )


def _decode(upload: IO[bytes], header: ImageHeader) -> Image.Image:
    # formats= keeps Pillow from trying its other, rarely exercised decoders on untrusted input.
    with _open(upload, header) as probe:
        probe.verify()  # structure and checksums (PNG CRCs) before any pixel is decoded
    picture = _open(upload, header)
    if picture.format in ("JPEG", "MPO"):
        # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding, never below MAX_DIMENSION: every
        # byte is still decoded (damage is still found), at a fraction of the time and memory.
        picture.draft(None, (MAX_DIMENSION, MAX_DIMENSION))
    picture.load()  # decodes every pixel: a truncated file fails here
    return picture


def _open(upload: IO[bytes], header: ImageHeader) -> Image.Image:
    """Open (header only) and hold Pillow to our limits before anything is decoded.

    Pillow's own guard, ``Image.MAX_IMAGE_PIXELS``, is process-wide and far above our
    limits (it warns at 89 MP and refuses at 179 MP). This is the same kind of guard
    with our limits, applied to Pillow's own reading of the file just before it
    decodes; that reading must also agree with ``users.image_headers``'.
    """
    upload.seek(0)
    picture = Image.open(upload, formats=ACCEPTED_FORMATS)
    pillow_format = "JPEG" if picture.format == "MPO" else picture.format
    if (pillow_format, picture.width, picture.height) != (header.format, header.width, header.height):
        picture.close()
        raise InvalidImage(DAMAGED_MESSAGE)
    bands = len(picture.getbands())
    bits = _PILLOW_MODE_BITS.get(picture.mode, 8)
    try:
        check_size(ImageHeader(header.format, picture.width, picture.height, bands, bits))
    except InvalidImage:
        picture.close()
        raise
    return picture


def _without_metadata(picture: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(picture) or picture
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    mode = "RGBA" if has_alpha else "RGB"
    pixels = to_srgb(upright, mode)
    # A new image starts with an empty .info: no EXIF, XMP, ICC profile or comments survive.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def to_srgb(picture: Image.Image, mode: str) -> Image.Image:
    """Wide-gamut photos (Display P3 from phones) would look washed out once their ICC profile is dropped."""
    icc = picture.info.get("icc_profile")
    if icc and picture.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(picture, source, ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: fall back to the raw values
        if converted is not None:
            return converted
    return picture.convert(mode)


def _encode(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=OUTPUT_FORMAT, quality=OUTPUT_QUALITY, method=4)
    return buffer.getvalue()
