"""Opening an upload safely: an Apple Health ``export.zip`` (or a bare ``export.xml``), checked before it is read.

A zip states its own sizes in its central directory, and a hostile one lies about them. So the checks come in
two layers: ``inspect_upload`` refuses, from the central directory alone (cheap enough for the upload request),
an archive without ``export.xml``, a damaged one and one whose declared sizes or compression ratios look like a
zip bomb; ``open_export`` then reads ``export.xml`` through a reader that stops with ``ImportFileError`` as soon
as more bytes come out than were declared or allowed, so a lie is caught while reading, never after memory or
disk ran out.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from .base import ImportFileError

APPLE_HEALTH = "apple_health"
EXPORT_NAME = "export.xml"
# A route GPX is a few hundred kB; 16 MB holds ~60,000 points, a day-long recording.
MAX_MEMBER_BYTES = 16 * 1024 * 1024
# Below this size a high compression ratio is harmless (a small file of zeros squeezes 1000 times): not checked.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
# How much of a non-zip upload is looked at to decide whether it starts like XML.
SNIFF_BYTES = 1024
_MB = 1024 * 1024
# What a damaged or lying member raises while it is decompressed.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


class CountingReader(io.BufferedIOBase, BinaryIO):
    """Passes reads through and counts the bytes, so an import can report how far through the file it is."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(-1 if size is None else size)
        self.count += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readline(self, size: int | None = -1) -> bytes:
        # Delegated: IOBase's own readline would call read(1) once per byte.
        line = self._raw.readline(-1 if size is None else size)
        self.count += len(line)
        return line


class _LimitedReader(io.BufferedIOBase, BinaryIO):
    """Reads a zip member, refusing to deliver more than ``limit`` bytes and turning zip errors into ours."""

    def __init__(self, raw: IO[bytes], *, limit: int, name: str) -> None:
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._name = name
        self.count = 0  # bytes delivered, as CountingReader counts them

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        # Never ask for more than one byte past the limit: that byte is enough to prove the lie.
        room = self._limit - self.count + 1
        wanted = room if size is None or size < 0 else min(size, room)
        try:
            data = self._raw.read(wanted)
        except _READ_ERRORS as exc:
            raise ImportFileError(f"The archive is damaged: {self._name} cannot be read ({exc}).") from exc
        self.count += len(data)
        if self.count > self._limit:
            raise ImportFileError(
                f"The archive is damaged or hostile: {self._name} holds more data than the archive declares "
                f"or than the {self._limit // _MB or 1} MB allowed."
            )
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class Export:
    """An opened export: ``xml`` streams export.xml (its ``count`` is the bytes read so far, out of
    ``uncompressed_size``); ``read_member`` fetches a file the XML refers to."""

    xml: CountingReader | _LimitedReader
    uncompressed_size: int
    _zip: zipfile.ZipFile | None = None
    _base: str = ""  # the folder of export.xml inside the zip, "" or ending in "/"
    _max_ratio: int = 0

    def read_member(self, name: str) -> bytes | None:
        """A file beside export.xml (``workout-routes/route_….gpx``), or None: absent, larger than
        MAX_MEMBER_BYTES, damaged, or the upload was a bare export.xml. A bad route costs only that route."""
        if self._zip is None:
            # A bare export.xml came alone: nothing beside it belongs to the upload (and the disk is not searched).
            return None
        relative = posixpath.normpath(name.lstrip("/"))
        if relative.startswith("..") or relative == ".":
            return None
        info = _member(self._zip, self._base + relative) or _member(self._zip, relative)
        if info is None:
            return None
        if info.file_size > MAX_MEMBER_BYTES:
            return None
        try:
            _check_ratio(info, self._max_ratio)
            with _open_member(self._zip, info) as raw:
                return _LimitedReader(raw, limit=info.file_size, name=info.filename).read()
        except ImportFileError:
            return None


def _member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    try:
        return archive.getinfo(name)
    except KeyError:
        return None


@contextlib.contextmanager
def open_export(path: str, *, max_uncompressed: int, max_ratio: int) -> Iterator[Export]:
    """Open a stored upload, zip or bare XML; the same checks as ``inspect_upload`` apply again (the file may
    have been stored before they existed)."""
    with open(path, "rb") as file:
        if not zipfile.is_zipfile(file):
            size = file.seek(0, io.SEEK_END)
            file.seek(0)
            yield Export(xml=CountingReader(file), uncompressed_size=size)
            return
        file.seek(0)
        archive = _open_zip(file)
        with archive:
            infos = archive.infolist()
            _check_sizes(infos, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
            info = _find_export(infos)
            if info is None:
                raise ImportFileError("The archive holds no export.xml.")
            with _open_member(archive, info) as raw:
                limited = _LimitedReader(raw, limit=min(info.file_size, max_uncompressed), name=info.filename)
                base = posixpath.dirname(info.filename)
                yield Export(
                    xml=limited,
                    uncompressed_size=info.file_size,
                    _zip=archive,
                    _base=f"{base}/" if base else "",
                    _max_ratio=max_ratio,
                )


def inspect_upload(fileobj: IO[bytes], *, format: str, max_uncompressed: int, max_ratio: int) -> None:
    """Refuse an upload that cannot be imported, reading only a zip's central directory (or a few bytes of XML).

    The stream is left at its start. Zips are Apple Health's layout only: the other formats' readers take the
    CSV or JSON file itself.
    """
    fileobj.seek(0)
    try:
        if zipfile.is_zipfile(fileobj):
            if format != APPLE_HEALTH:
                raise ImportFileError("Upload the file itself, not a zip archive, for this format.")
            fileobj.seek(0)
            with _open_zip(fileobj) as archive:
                infos = archive.infolist()
                _check_sizes(infos, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
                if _find_export(infos) is None:
                    raise ImportFileError("The archive holds no export.xml.")
        elif format == APPLE_HEALTH:
            fileobj.seek(0)
            if not _looks_like_xml(fileobj.read(SNIFF_BYTES)):
                raise ImportFileError("This is neither an Apple Health export.zip nor its export.xml.")
    finally:
        fileobj.seek(0)


def _open_zip(file: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(f"The archive is damaged ({exc}).") from exc


@contextlib.contextmanager
def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[IO[bytes]]:
    if info.flag_bits & 0x1:
        raise ImportFileError(f"{info.filename} is encrypted; export again without a password.")
    try:
        member = archive.open(info)
    except (*_READ_ERRORS, ValueError) as exc:
        raise ImportFileError(f"The archive is damaged: {info.filename} cannot be opened ({exc}).") from exc
    with member:
        yield member


def _find_export(infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    """``export.xml`` at any depth (the shallowest wins); ``export_cda.xml`` and look-alikes do not count."""
    found = [
        info
        for info in infos
        if not info.is_dir()
        and posixpath.basename(info.filename).lower() == EXPORT_NAME
        and "__MACOSX" not in info.filename
    ]
    return min(found, key=lambda info: (info.filename.count("/"), info.filename)) if found else None


def _check_sizes(infos: list[zipfile.ZipInfo], *, max_uncompressed: int, max_ratio: int) -> None:
    """Zip-bomb checks on the declared sizes; reading later enforces them against the real bytes."""
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise ImportFileError(
            f"The archive would expand to {total // _MB:,} MB, more than the {max_uncompressed // _MB:,} MB allowed."
        )
    for info in infos:
        _check_ratio(info, max_ratio)


def _check_ratio(info: zipfile.ZipInfo, max_ratio: int) -> None:
    if max_ratio <= 0 or info.file_size < RATIO_CHECK_MIN_BYTES:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > max_ratio:
        raise ImportFileError(
            f"{info.filename} expands {ratio:,.0f} times when unpacked, more than the {max_ratio} times allowed: "
            "this looks like a zip bomb."
        )


def _looks_like_xml(head: bytes) -> bool:
    """A UTF-8 XML document starts (after an optional byte order mark and blank space) with '<'."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")
