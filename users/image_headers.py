"""The size of a JPEG, PNG or WebP image, read from its header in bounded time, without Pillow.

An upload's limits are checked in the request, so reading them must cost next to
nothing whatever the file holds. Pillow's ``Image.open`` reads only the header, but
not in bounded time: it walks JPEG segments and PNG chunks one by one in Python and
inflates PNG text chunks, so a 5 MB JPEG of a million empty comment segments takes
about a second to open, and a PNG of 400,000 empty chunks nearly as long; its WebP
opener allocates the whole canvas. This module walks at most ``MAX_SEGMENTS``
segments or chunks, reading a few bytes from each, and never decompresses anything.

It checks structure only as far as the size depends on it: a file that passes may
still be damaged further on, which only the full decode (in the worker) finds.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import IO

# Real files have a dozen or two segments before the image data (EXIF, XMP, ICC profile,
# quantisation and Huffman tables); an ICC profile split into 64 KB JPEG segments adds a few.
MAX_SEGMENTS = 256
# JPEG allows any number of 0xFF fill bytes before a marker; encoders write none or one.
MAX_FILL_BYTES = 16

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type -> (samples per pixel, allowed bit depths).
PNG_COLOUR_TYPES: dict[int, tuple[int, frozenset[int]]] = {
    0: (1, frozenset({1, 2, 4, 8, 16})),  # greyscale
    2: (3, frozenset({8, 16})),  # RGB
    3: (1, frozenset({1, 2, 4, 8})),  # palette
    4: (2, frozenset({8, 16})),  # greyscale + alpha
    6: (4, frozenset({8, 16})),  # RGBA
}
# JPEG start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
JPEG_FRAME_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
JPEG_START_OF_SCAN = 0xDA


@dataclass(frozen=True)
class ImageHeader:
    """What the header promises: the decoder will produce ``width`` x ``height`` pixels of ``bands`` samples."""

    format: str  # "JPEG", "PNG" or "WEBP", as Pillow names them
    width: int
    height: int
    bands: int
    bits_per_sample: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def decoded_bytes(self) -> int:
        """Size of the raw pixel data the decoder must produce (for PNG: what zlib must inflate)."""
        row = -(-self.width * self.bands * self.bits_per_sample // 8)  # whole bytes per row
        return row * self.height


class HeaderError(ValueError):
    """The file is not one of the accepted formats (``NotAnImage``) or its header is malformed."""


class NotAnImage(HeaderError):
    pass


class MalformedHeader(HeaderError):
    pass


def read_header(fp: IO[bytes]) -> ImageHeader:
    """The header of the JPEG, PNG or WebP image in ``fp`` (read from the start; position left anywhere)."""
    fp.seek(0)
    head = fp.read(30)
    if head.startswith(PNG_SIGNATURE):
        return _png(fp)
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg(fp)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    raise NotAnImage("not a JPEG, PNG or WebP file")


def _read(fp: IO[bytes], size: int) -> bytes:
    data = fp.read(size)
    if len(data) != size:
        raise MalformedHeader("the file ends inside its header")
    return data


def _png(fp: IO[bytes]) -> ImageHeader:
    fp.seek(len(PNG_SIGNATURE))
    length, kind = struct.unpack(">I4s", _read(fp, 8))
    if kind != b"IHDR" or length != 13:
        raise MalformedHeader("a PNG file must start with its IHDR chunk")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", _read(fp, 13))
    samples, depths = PNG_COLOUR_TYPES.get(colour, (0, frozenset()))
    if not (0 < width < 2**31 and 0 < height < 2**31) or depth not in depths:
        raise MalformedHeader("invalid PNG dimensions, colour type or bit depth")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise MalformedHeader("unknown PNG compression, filter or interlace method")
    header = ImageHeader("PNG", width, height, samples, depth)
    fp.seek(4, os.SEEK_CUR)  # IHDR's CRC
    # Walk to the first IDAT, so the decoder's own walk over these chunks is bounded too.
    for _ in range(MAX_SEGMENTS):
        length, kind = struct.unpack(">I4s", _read(fp, 8))
        if kind == b"IDAT":
            return header
        if kind == b"IEND" or length >= 2**31:
            raise MalformedHeader("no PNG image data")
        fp.seek(length + 4, os.SEEK_CUR)  # the data and its CRC
    raise MalformedHeader(f"more than {MAX_SEGMENTS} PNG chunks before the image data")


def _jpeg(fp: IO[bytes]) -> ImageHeader:
    fp.seek(2)  # past SOI
    header: ImageHeader | None = None
    for _ in range(MAX_SEGMENTS):
        marker = _jpeg_marker(fp)
        if marker == JPEG_START_OF_SCAN:
            if header is None:
                raise MalformedHeader("JPEG image data before a frame header")
            return header
        # Before the first scan only segments with a length may appear (SOFn, tables, APPn, COM ...).
        if not (0xC0 <= marker <= 0xCF or 0xDB <= marker <= 0xFE):
            raise MalformedHeader(f"unexpected JPEG marker 0xFF{marker:02X} before the image data")
        (length,) = struct.unpack(">H", _read(fp, 2))
        if length < 2:
            raise MalformedHeader("invalid JPEG segment length")
        if marker in JPEG_FRAME_MARKERS:
            if header is not None:
                raise MalformedHeader("more than one JPEG frame header")
            if length < 8:
                raise MalformedHeader("short JPEG frame header")
            precision, height, width, components = struct.unpack(">BHHB", _read(fp, 6))
            # Height 0 defers it to a DNL marker after the first scan, which decoders here do not support.
            if width == 0 or height == 0 or components not in (1, 3, 4) or precision not in (8, 12, 16):
                raise MalformedHeader("invalid JPEG dimensions, components or precision")
            header = ImageHeader("JPEG", width, height, components, 8 if precision == 8 else 16)
            fp.seek(length - 8, os.SEEK_CUR)
        else:
            fp.seek(length - 2, os.SEEK_CUR)
    raise MalformedHeader(f"more than {MAX_SEGMENTS} JPEG segments before the image data")


def _jpeg_marker(fp: IO[bytes]) -> int:
    if _read(fp, 1) != b"\xff":
        raise MalformedHeader("JPEG segments are not contiguous")
    for _ in range(MAX_FILL_BYTES):
        (code,) = _read(fp, 1)
        if code != 0xFF:
            return code
    raise MalformedHeader("too many JPEG fill bytes")


def _webp(head: bytes) -> ImageHeader:
    """The first chunk names the size: VP8X (extended, the canvas), VP8L (lossless) or VP8 (lossy)."""
    if len(head) < 30:
        raise MalformedHeader("the file ends inside its header")
    kind, data = head[12:16], head[20:30]
    if kind == b"VP8X":
        has_alpha = bool(data[0] & 0x10)
        width = int.from_bytes(data[4:7], "little") + 1
        height = int.from_bytes(data[7:10], "little") + 1
    elif kind == b"VP8L":
        if data[0] != 0x2F:
            raise MalformedHeader("invalid WebP lossless signature")
        bits = int.from_bytes(data[1:5], "little")
        width, height, has_alpha = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
    elif kind == b"VP8 ":
        if data[3:6] != b"\x9d\x01\x2a":
            raise MalformedHeader("invalid WebP lossy start code")
        width, height = (value & 0x3FFF for value in struct.unpack("<HH", data[6:10]))
        has_alpha = False
        if width == 0 or height == 0:
            raise MalformedHeader("invalid WebP dimensions")
    else:
        raise MalformedHeader("unknown first WebP chunk")
    return ImageHeader("WEBP", width, height, 4 if has_alpha else 3, 8)
