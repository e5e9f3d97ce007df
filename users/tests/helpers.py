"""Test helpers: real image files made with Pillow, and problem-body comparison."""

import io
import os
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


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def without_volatile(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem body minus the fields that differ per request (path, request id)."""
    return {k: v for k, v in problem.items() if k not in {"instance", "request_id"}}


def error_fields(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json().get("errors", [])]
