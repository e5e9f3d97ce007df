"""Profile images: accept only real JPEG/PNG/WebP files, and store clean re-encoded copies.

Nothing a client uploads is stored as sent. Every image is decoded in full (a
truncated or disguised file fails here), turned upright by its EXIF orientation,
converted to sRGB, copied pixel by pixel into a fresh image (so EXIF, GPS, ICC and
comments are gone), shrunk to at most ``MAX_DIMENSION`` on its longer side, and
encoded as WebP together with a square ``THUMBNAIL_SIZE`` thumbnail.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from fitcore.api.exceptions import ApplicationError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# settings.PROFILE_IMAGE_MAX_BYTES overrides this (tests lower it); the whole request is
# also capped by API_MAX_UPLOAD_SIZE in the body-size middleware.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Checked on the header before decoding: a small file can still expand to gigabytes of pixels.
MAX_SOURCE_PIXELS = 40_000_000
MAX_DIMENSION = 1024
THUMBNAIL_SIZE = 256
OUTPUT_FORMAT = "WEBP"
OUTPUT_EXTENSION = ".webp"
OUTPUT_QUALITY = 85


class InvalidImage(ApplicationError):
    code = "invalid_image"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message=message, errors=[{"field": "image", "code": self.code, "message": message}])


class ImageTooLarge(ApplicationError):
    code = "image_too_large"
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


def process_profile_image(upload: Any) -> ProcessedImage:
    """Validate and re-encode an uploaded file; raises ``InvalidImage`` or ``ImageTooLarge``.

    ``upload`` is a Django ``File`` (``UploadedFile`` in a request).
    """
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ImageTooLarge(f"The image is {upload.size} bytes; at most {limit} bytes are accepted.")
    try:
        picture = _decode(upload)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise InvalidImage("The file is not a JPEG, PNG or WebP image.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow's ways of saying "broken": truncated data, bad chunks, bad CRCs.
        raise InvalidImage("The image file is damaged or incomplete.") from None

    clean = _without_metadata(picture)
    clean.thumbnail((MAX_DIMENSION, MAX_DIMENSION), Image.Resampling.LANCZOS)
    square = ImageOps.fit(clean, (THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    return ProcessedImage(
        image=ContentFile(_encode(clean), name=f"image{OUTPUT_EXTENSION}"),
        thumbnail=ContentFile(_encode(square), name=f"thumbnail{OUTPUT_EXTENSION}"),
        width=clean.width,
        height=clean.height,
    )


def _decode(upload: Any) -> Image.Image:
    upload.seek(0)
    # formats= keeps Pillow from trying its other, rarely exercised decoders on untrusted input.
    with Image.open(upload, formats=ACCEPTED_FORMATS) as probe:
        width, height = probe.size
        if width * height > MAX_SOURCE_PIXELS:
            raise InvalidImage(f"The image is {width}x{height} pixels; at most {MAX_SOURCE_PIXELS} pixels in total.")
        probe.verify()  # structure and checksums (PNG CRCs) before any pixel is decoded
    upload.seek(0)
    picture = Image.open(upload, formats=ACCEPTED_FORMATS)
    picture.load()  # decodes every pixel: a truncated file fails here
    return picture


def _without_metadata(picture: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(picture) or picture
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    mode = "RGBA" if has_alpha else "RGB"
    pixels = _to_srgb(upright, mode)
    # A new image starts with an empty .info: no EXIF, XMP, ICC profile or comments survive.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def _to_srgb(picture: Image.Image, mode: str) -> Image.Image:
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
