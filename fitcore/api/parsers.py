import codecs
from typing import Any

import orjson
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """Strict JSON, parsed by orjson: what it refuses, nothing downstream has to handle.

    - A lone surrogate (``"\\ud800"``, in a value or a key, at any depth) is a parse
      error. Python's json module decodes it into a str that no UTF-8 encoder accepts:
      the database, the JSON renderer echoing it back in a validation message (a 500).
    - NaN and Infinity are refused, as under DRF's STRICT_JSON, and so are numbers that
      overflow to infinity (``1e400``), which Python's json module let through.
    - Nesting past 1024 levels is refused without recursing in Python.
    - A charset other than UTF-8 (``application/json; charset=utf-16``) is decoded
      first; DRF's ``get_encoding`` refuses non-text codecs (Django already ignores unknown ones).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # DRF's check that the charset is a text codec (not e.g. bz2_codec); newer than its stubs.
        encoding: str = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        raw: bytes = stream.read()
        try:
            document = raw if codecs.lookup(encoding).name == "utf-8" else raw.decode(encoding)
            return orjson.loads(document)
        except ValueError as exc:  # orjson.JSONDecodeError and UnicodeDecodeError are both ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from None
