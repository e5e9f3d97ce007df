"""Recorded activity files (GPX, TCX, FIT, optionally gzipped) turned into one summary: the ParsedActivity.

Pure parsing: bytes in, dataclass or ActivityFileError out. No models, no settings, no storage; the caller passes
the limits. The format is sniffed from the content, never the file name, because names and MIME types are whatever
the uploader's phone made up.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import zlib

from .common import (
    MAX_POINTS,
    NOT_AN_ACTIVITY_FILE,
    ActivityFileError,
    ParsedActivity,
    TrackPoint,
    downsample,
    elevation_gain_m,
    haversine_m,
    xml_root_name,
)
from .fit import is_fit, parse_fit
from .gpx import parse_gpx
from .tcx import parse_tcx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_POINTS",
    "ActivityFileError",
    "ParsedActivity",
    "TrackPoint",
    "elevation_gain_m",
    "haversine_m",
    "parse_activity",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def parse_activity(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_points: int = MAX_POINTS) -> ParsedActivity:
    """Parse a GPX, TCX or FIT file, gzipped or not, into a ParsedActivity.

    max_bytes caps the file both as uploaded and once decompressed (a gzip bomb stops at the cap); max_points caps
    the track kept (summaries use every point, the stored track is thinned evenly). Every failure, whatever the
    file does, is an ActivityFileError whose message can be shown to the uploader.
    """
    if len(data) > max_bytes:
        raise ActivityFileError(f"The file is larger than the {_size_words(max_bytes)} limit.")
    content = _gunzip(data, max_bytes) if data[:2] == GZIP_MAGIC else data

    if is_fit(content):
        activity = parse_fit(content)
    else:
        root = xml_root_name(content)
        if root == "gpx":
            activity = parse_gpx(content)
        elif root == "TrainingCenterDatabase":
            activity = parse_tcx(content)
        else:
            raise ActivityFileError(NOT_AN_ACTIVITY_FILE)

    if len(activity.points) > max_points:
        activity = dataclasses.replace(activity, points=downsample(activity.points, max_points))
    return activity


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress in a stream, stopping one byte past the cap, so a bomb never gets to fill memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            content = stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ActivityFileError("The gzip file is corrupt or truncated.") from exc
    if len(content) > max_bytes:
        raise ActivityFileError(f"The file is larger than the {_size_words(max_bytes)} limit once decompressed.")
    return content


def _size_words(size: int) -> str:
    """50 MB, 512 KB, 100 bytes: the limit as a person reads it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"
