"""Log records carrying the request id (and user/tenant when known), one physical line each.

Paths, headers and exception messages are attacker-controlled. Written raw, a newline
in one of them would start a line that reads like a record of its own, and terminal
escapes or bidi overrides would change what a person sees. Both formatters therefore
escape every control character: the text formatter itself, the JSON formatter through
JSON string escaping.
"""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from .context import request_id_var, tenant_id_var, user_id_var

# Attributes every LogRecord has; anything else was passed through `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

# C0 controls (CR, LF and TAB included), DEL, C1 controls (NEL included), the Unicode
# line and paragraph separators, and the bidi marks, embeddings, overrides and isolates.
_UNSAFE_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Starts every line of a traceback after the record's own line; a record never starts with it.
CONTINUATION_PREFIX = "  | "


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_control_characters(text: str) -> str:
    """``text`` with each control, line-breaking or bidi character written as a visible escape."""
    return _UNSAFE_CHARACTERS.sub(_escape, text)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        if not hasattr(record, "tenant_id"):
            record.tenant_id = tenant_id_var.get()
        return True


class TextFormatter(logging.Formatter):
    """Human-readable records (``LOG_FORMAT=text``) that untrusted text cannot split or forge.

    The record's line (message, its args, any extra field the format names) is escaped
    as a whole. A traceback or stack keeps its lines for readability, escaped one by
    one and each prefixed with ``CONTINUATION_PREFIX``.
    """

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        text = escape_control_characters(self.formatMessage(record))
        blocks: list[str] = []
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            blocks.append(record.exc_text)
        if record.stack_info:
            blocks.append(self.formatStack(record.stack_info))
        for block in blocks:
            for line in block.split("\n"):
                text += "\n" + CONTINUATION_PREFIX + escape_control_characters(line)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record, always on exactly one line.

    ``json.dumps`` without ``indent`` never writes a raw line break, and with
    ``ensure_ascii`` (kept explicit: it is what makes this safe) it escapes every
    character outside printable ASCII (C0 controls, DEL, C1 controls, U+2028/U+2029,
    bidi controls) as ``\\uXXXX``. The decoded values stay exactly what was logged.
    """

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and value is not None:
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=True)
