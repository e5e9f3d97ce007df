"""JSON out through orjson: the same bytes DRF's renderer writes, in a fraction of the time.

Same output as DRF with UNICODE_JSON and COMPACT_JSON (the defaults): UTF-8, no spaces,
Decimals as numbers, datetimes as ISO 8601 with ``Z`` for UTC, lazy translation strings
as text, any other iterable as a list. A client that asks for ``; indent=N`` gets DRF's
own (slower) indented rendering.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework import renderers

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value: Any) -> Any:
    """What orjson does not encode itself, encoded as DRF's JSONEncoder does."""
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID | Promise):
        return str(value)
    if isinstance(value, bytes):
        return value.decode()
    if hasattr(value, "tolist"):  # numpy-like
        return value.tolist()
    if hasattr(value, "__iter__"):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return bytes(super().render(data, accepted_media_type, renderer_context))
        return dumps(data)
