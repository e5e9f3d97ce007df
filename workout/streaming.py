"""GET/HEAD /api/v1/workouts/videos/stream/<token>/: a video file from local storage, by signed link.

The signed token of ``workout.media.video_url`` is the only credential: a ``<video>``
element cannot send an Authorization header, so whoever may watch is decided when the
link is handed out, and the link expires after ``WORKOUT_VIDEO_URL_TTL`` seconds. A link
names the file as well as the row, so once a video's file is replaced the old links
find nothing (404).

Players seek with Range requests: one range is answered 206 with just those bytes; a
request for several ranges, or one carrying If-Range (we send no validator it could
match), gets the whole file. The file is read chunk by chunk, never whole into memory;
under ASGI through an asynchronous iterator, which Django would otherwise collect into a
list before sending.

Every request holds a worker for as long as the client takes to read its bytes: this
endpoint is for development and small deployments. Busy ones keep videos in S3-compatible
storage, where ``video_url`` hands out presigned URLs and no request reaches us.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views import View

from fitcore.api.exceptions import problem_json_response

from .media import ACCEPTED_CONTENT_TYPES, InvalidStreamToken, load_stream_token, stream_token_expires_at
from .models import WorkoutVideo

CHUNK_SIZE = 64 * 1024
# One range of bytes; several (a comma) or anything else is not matched and the whole file is sent.
# 18 digits hold any real offset and keep int() cheap.
_SINGLE_RANGE = re.compile(r"bytes[ \t]*=[ \t]*(\d{0,18})[ \t]*-[ \t]*(\d{0,18})[ \t]*", re.IGNORECASE)


class RangeNotSatisfiable(Exception):
    """The range starts at or past the end of the file (or asks for its last 0 bytes)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte (inclusive) a Range header asks for; None to send the whole file.

    RFC 9110 section 14: an origin may ignore a Range it does not understand, which is what
    we do with other units, several ranges and malformed values.
    """
    match = _SINGLE_RANGE.fullmatch(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None  # "bytes=-"
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: last before first
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(int(last), size - 1) if last else size - 1


class VideoStreamView(View):
    """No authentication: the signed token in the URL is the proof (see the module docstring)."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, token: str) -> HttpResponseBase:
        return self._serve(request, token, with_body=True)

    def head(self, request: HttpRequest, token: str) -> HttpResponseBase:
        return self._serve(request, token, with_body=False)

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """In the API's problem shape, not Django's empty page."""
        return problem_json_response(
            request,
            status_code=405,
            code="method_not_allowed",
            detail=f'Method "{request.method}" not allowed.',
            headers={"Allow": "GET, HEAD"},
        )

    def _serve(self, request: HttpRequest, token: str, *, with_body: bool) -> HttpResponseBase:
        try:
            pk, name = load_stream_token(token)
        except InvalidStreamToken:
            return problem_json_response(
                request,
                status_code=403,
                code="invalid_video_link",
                detail="This video link is invalid or has expired; ask for the video again to get a new link.",
            )
        video = WorkoutVideo.objects.filter(pk=pk, video=name).only("video", "content_type").first()
        if video is None:
            return _not_found(request)
        storage = video.video.storage
        try:
            size = storage.size(name)
        except OSError:  # the row outlived its file
            return _not_found(request)

        try:
            byte_range = None if "If-Range" in request.headers else parse_range(request.headers.get("Range"), size)
        except RangeNotSatisfiable:
            return problem_json_response(
                request,
                status_code=416,
                code="range_not_satisfiable",
                detail=f"The requested range is outside the file, which is {size} bytes long.",
                headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
            )
        start, end = byte_range if byte_range is not None else (0, size - 1)
        remaining = max(0, int((stream_token_expires_at(token) - datetime.now(tz=UTC)).total_seconds()))
        content_type = (
            video.content_type if video.content_type in ACCEPTED_CONTENT_TYPES else "application/octet-stream"
        )
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(end - start + 1),
            "Accept-Ranges": "bytes",
            # For this viewer only, and no longer than the link itself is valid.
            "Cache-Control": f"private, max-age={remaining}",
            "X-Content-Type-Options": "nosniff",
        }
        status = 200
        if byte_range is not None:
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        if not with_body:
            return HttpResponse(status=status, headers=headers)

        try:
            file = storage.open(name, "rb")
        except OSError:
            return _not_found(request)
        file.seek(start)
        body = (
            AsyncFileChunks(file, end - start + 1)
            if isinstance(request, ASGIRequest)
            else FileChunks(file, end - start + 1)
        )
        return StreamingHttpResponse(body, status=status, headers=headers)


def _not_found(request: HttpRequest) -> HttpResponse:
    return problem_json_response(request, status_code=404, code="not_found", detail="Not found.")


class _Chunks:
    """The next ``length`` bytes of an open file, ``CHUNK_SIZE`` at a time; the response's close() closes it."""

    def __init__(self, file: IO[bytes], length: int) -> None:
        self._file = file
        self._remaining = length

    def _read(self) -> bytes:
        if self._remaining <= 0:
            return b""
        chunk = self._file.read(min(CHUNK_SIZE, self._remaining))
        # An empty read means the file shrank under us: the client sees a short body and retries.
        self._remaining = self._remaining - len(chunk) if chunk else 0
        return chunk

    def close(self) -> None:
        self._file.close()


class FileChunks(_Chunks):
    """For WSGI servers."""

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._read():
            yield chunk


class AsyncFileChunks(_Chunks):
    """For ASGI servers: each read in a thread, so the event loop never waits on the disk.

    No ``__iter__``: given an iterable, Django would run it to the end into a list first.
    """

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read = sync_to_async(self._read, thread_sensitive=False)
        while chunk := await read():
            yield chunk
