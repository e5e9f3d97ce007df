"""Test helpers: real image files made with Pillow (or, for huge ones, by hand), and problem-body comparison."""

import io
import os
import struct
import zlib
from functools import cache
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save_kwargs: Any) -> bytes:
    """A small real image with a gradient (so every pixel differs, but it stays compressible)."""
    picture = Image.new("RGB", size)
    picture.putdata([(x * 4 % 256, y * 5 % 256, (x + y) % 256) for y in range(size[1]) for x in range(size[0])])
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize(size))  # really transparent in places
    elif mode != "RGB":
        picture = picture.convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def noisy_png(size: tuple[int, int] = (200, 200)) -> bytes:
    """Random pixels do not compress: the file is about 3 bytes per pixel."""
    picture = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def blank_png(width: int, height: int, colour_type: int = 0, bit_depth: int = 8) -> bytes:
    """A valid all-black PNG of any size, compressed row by row without ever holding its pixels.

    Pillow would need the whole image in memory to write one; zeros compress about
    1000:1, so 1 x 39,000,000 pixels is a file of about 76 KB.
    """
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    row = b"\0" * (1 + -(-width * samples * bit_depth // 8))  # filter byte "none", then zero samples
    compressor = zlib.compressobj(9)
    rows_per_step = max(1, (1 << 20) // len(row))
    block = row * rows_per_step
    parts = []
    for start in range(0, height, rows_per_step):
        parts.append(compressor.compress(block if start + rows_per_step <= height else row * (height - start)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    chunks = [_png_chunk(b"IHDR", ihdr), _png_chunk(b"IDAT", b"".join(parts)), _png_chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(image_bytes("JPEG", size=(16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A small real WebP with metadata (so its first chunk is VP8X) whose canvas claims another size."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    data = bytearray(image_bytes("WEBP", size=(16, 16), exif=exif.tobytes()))
    assert data[12:16] == b"VP8X"
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def without_volatile(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem body minus the fields that differ per request (path, request id)."""
    return {k: v for k, v in problem.items() if k not in {"instance", "request_id"}}


def error_fields(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json().get("errors", [])]
