"""users.image_headers: image sizes read from headers alone, in bounded time, agreeing with Pillow."""

import io
import struct

import pytest
from PIL import Image

from users.image_headers import MAX_SEGMENTS, ImageHeader, MalformedHeader, NotAnImage, read_header
from users.tests.helpers import blank_png, image_bytes, jpeg_claiming, webp_claiming


class CountingFile(io.BytesIO):
    """Counts the bytes read, to show that a header walk stops early whatever the file holds."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0112] = 6
    return exif.tobytes()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("JPEG", size=(64, 48)), ("JPEG", 64, 48, 3, 8)),
        (image_bytes("JPEG", size=(64, 48), mode="L"), ("JPEG", 64, 48, 1, 8)),
        (image_bytes("JPEG", size=(64, 48), mode="CMYK"), ("JPEG", 64, 48, 4, 8)),
        (image_bytes("JPEG", size=(64, 48), progressive=True), ("JPEG", 64, 48, 3, 8)),
        (image_bytes("JPEG", size=(64, 48), exif=_exif(), icc_profile=_icc()), ("JPEG", 64, 48, 3, 8)),
        (image_bytes("PNG", size=(64, 48)), ("PNG", 64, 48, 3, 8)),
        (image_bytes("PNG", size=(64, 48), mode="RGBA"), ("PNG", 64, 48, 4, 8)),
        (image_bytes("PNG", size=(64, 48), mode="P"), ("PNG", 64, 48, 1, 8)),
        (image_bytes("PNG", size=(64, 48), mode="1"), ("PNG", 64, 48, 1, 1)),
        (image_bytes("PNG", size=(64, 48), mode="I;16"), ("PNG", 64, 48, 1, 16)),
        (image_bytes("PNG", size=(64, 48), exif=_exif(), icc_profile=_icc()), ("PNG", 64, 48, 3, 8)),
        (blank_png(640, 480, colour_type=6, bit_depth=16), ("PNG", 640, 480, 4, 16)),
        (image_bytes("WEBP", size=(64, 48)), ("WEBP", 64, 48, 3, 8)),
        (image_bytes("WEBP", size=(64, 48), lossless=True), ("WEBP", 64, 48, 3, 8)),
        (image_bytes("WEBP", size=(64, 48), mode="RGBA", lossless=True), ("WEBP", 64, 48, 4, 8)),
        (image_bytes("WEBP", size=(64, 48), mode="RGBA"), ("WEBP", 64, 48, 4, 8)),
        (image_bytes("WEBP", size=(64, 48), exif=_exif()), ("WEBP", 64, 48, 3, 8)),
    ],
    ids=[
        "jpeg",
        "jpeg-grey",
        "jpeg-cmyk",
        "jpeg-progressive",
        "jpeg-exif-icc",
        "png",
        "png-rgba",
        "png-palette",
        "png-1bit",
        "png-16bit-grey",
        "png-exif-icc",
        "png-16bit-rgba",
        "webp-lossy",
        "webp-lossless",
        "webp-lossless-alpha",
        "webp-lossy-alpha",
        "webp-extended",
    ],
)
def test_header_matches_what_pillow_reads(data, expected):
    header = read_header(io.BytesIO(data))

    assert (header.format, header.width, header.height, header.bands, header.bits_per_sample) == expected
    with Image.open(io.BytesIO(data)) as picture:
        assert (picture.format, picture.size) == (header.format, (header.width, header.height))


def test_decoded_bytes_count_every_sample():
    assert ImageHeader("PNG", 6000, 6000, 4, 16).decoded_bytes == 6000 * 6000 * 8
    assert ImageHeader("PNG", 10, 3, 1, 1).decoded_bytes == 2 * 3  # ten 1-bit pixels take two bytes a row


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (blank_png(1, 39_000_000), (1, 39_000_000)),
        (blank_png(39_000_000, 1), (39_000_000, 1)),
        (jpeg_claiming(65_000, 65_000), (65_000, 65_000)),
        (webp_claiming(20_000, 20_000), (20_000, 20_000)),
    ],
    ids=["tall-png", "wide-png", "huge-jpeg", "huge-webp"],
)
def test_huge_claims_are_read_without_touching_the_pixel_data(data, size):
    fp = CountingFile(data)

    header = read_header(fp)

    assert (header.width, header.height) == size
    assert fp.bytes_read <= 100  # a few bytes per header segment, none of the image data


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4", image_bytes("GIF"), image_bytes("BMP"), image_bytes("TIFF"), b"RIFF\0\0\0\0AVI LIST"],
    ids=["empty", "pdf", "gif", "bmp", "tiff", "riff-not-webp"],
)
def test_other_files_are_not_images(data):
    with pytest.raises(NotAnImage):
        read_header(io.BytesIO(data))


def _jpeg_segments(*segments: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(segments)


SOF = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 48, 64, 3) + bytes(9)
SOS = b"\xff\xda" + struct.pack(">H", 12) + bytes(10)


@pytest.mark.parametrize(
    "data",
    [
        image_bytes("PNG")[:20],  # ends inside IHDR
        image_bytes("PNG")[:33],  # ends before any image data
        image_bytes("JPEG")[:100],  # ends before the frame header
        image_bytes("WEBP")[:25],
        _jpeg_segments(SOS),  # image data before a frame header
        _jpeg_segments(SOF, SOF, SOS),  # two frame headers: which size would a decoder use?
        _jpeg_segments(b"\xff\xfe\x00\x04ab", b"junk", SOF, SOS),  # bytes between segments
        _jpeg_segments(b"\xff" * 100 + b"\xfe\x00\x02", SOF, SOS),  # endless fill bytes
        _jpeg_segments(b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 0, 64, 3) + bytes(9), SOS),  # height 0
        jpeg_claiming(0, 16),
        blank_png(0, 16),
        blank_png(16, 16, colour_type=2, bit_depth=4),  # RGB has no 4-bit depth
        webp_claiming(16, 16)[:12] + b"VP8Z" + webp_claiming(16, 16)[16:],
    ],
    ids=[
        "png-cut-in-ihdr",
        "png-without-idat",
        "jpeg-cut",
        "webp-cut",
        "jpeg-scan-first",
        "jpeg-two-frames",
        "jpeg-junk",
        "jpeg-fill",
        "jpeg-dnl",
        "jpeg-zero-width",
        "png-zero-width",
        "png-bad-depth",
        "webp-unknown-chunk",
    ],
)
def test_malformed_headers_are_refused(data):
    with pytest.raises(MalformedHeader):
        read_header(io.BytesIO(data))


def test_a_flood_of_jpeg_segments_is_refused_after_a_bounded_walk():
    # 1.25 million empty comments in 5 MB: Pillow's opener walks all of them, in about a second.
    data = _jpeg_segments(b"\xff\xfe\x00\x02" * 1_250_000, SOF, SOS)
    fp = CountingFile(data)

    with pytest.raises(MalformedHeader, match=f"more than {MAX_SEGMENTS}"):
        read_header(fp)

    assert fp.bytes_read <= 30 + 4 * MAX_SEGMENTS


def test_a_flood_of_png_chunks_is_refused_after_a_bounded_walk():
    png = image_bytes("PNG")
    empty_chunk = struct.pack(">I", 0) + b"zzZz" + struct.pack(">I", 0)
    data = png[:33] + empty_chunk * 400_000 + png[33:]
    fp = CountingFile(data)

    with pytest.raises(MalformedHeader, match=f"more than {MAX_SEGMENTS}"):
        read_header(fp)

    assert fp.bytes_read <= 30 + 8 + 13 + 8 * MAX_SEGMENTS


def test_a_truncated_file_with_a_whole_header_passes():
    """Only the decoder finds damage past the header; that is the worker's job."""
    data = image_bytes("JPEG", size=(200, 200))[:-400]

    assert read_header(io.BytesIO(data)).width == 200
