"""Attacker-controlled text never splits, forges or disguises a log record, in either log format."""

import copy
import io
import json
import logging
import logging.config
import re
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from fitcore.api.logging import CONTINUATION_PREFIX, RequestContextFilter, TextFormatter

# What may appear raw in a log line: printable ASCII, and for the text format printable
# non-ASCII too, but never a control, line-breaking or bidi character.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

AttachLog = Callable[[str, str], io.StringIO]


def configured_formatter(name: str) -> logging.Formatter:
    """The formatter ``name`` exactly as settings.LOGGING builds it."""
    config = copy.deepcopy(settings.LOGGING["formatters"][name])
    return logging.config.DictConfigurator({"version": 1}).configure_formatter(config)


@pytest.fixture
def attach_log() -> Iterator[AttachLog]:
    """Route a logger through the configured formatter into a buffer, as the console handler would."""
    attached: list[tuple[logging.Logger, logging.Handler, int]] = []

    def attach(logger_name: str, format_name: str) -> io.StringIO:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RequestContextFilter())
        handler.setFormatter(configured_formatter(format_name))
        logger = logging.getLogger(logger_name)
        attached.append((logger, handler, logger.level))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        return stream

    yield attach
    for logger, handler, level in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)


# (path as sent, the decoded character it smuggles in, how the text format must show it)
HOSTILE_PATHS = [
    ("/api/v1/x%0aFAKE%20200", "\n", "\\nFAKE 200"),
    ("/api/v1/x%0d%0aFAKE", "\r\n", "\\r\\nFAKE"),
    ("/api/v1/x%e2%80%a8FAKE", "\u2028", "\\u2028FAKE"),
    ("/api/v1/x%1b[31mred", "\x1b", "\\x1b[31mred"),
    ("/api/v1/x%e2%80%aeevil", "\u202e", "\\u202eevil"),
    ("/api/v1/x%c2%85next", "\x85", "\\x85next"),
    ("/api/v1/x%7fdel", "\x7f", "\\x7fdel"),
]


@pytest.mark.parametrize(("path", "smuggled", "shown"), HOSTILE_PATHS)
def test_text_access_line_stays_one_line_with_visible_escapes(
    api_client: APIClient, attach_log: AttachLog, path: str, smuggled: str, shown: str
) -> None:
    stream = attach_log("fitcore.access", "text")
    api_client.get(path)
    output = stream.getvalue()
    assert output.count("\n") == 1 and output.endswith("\n"), output
    line = output[:-1]
    assert not UNSAFE.search(line), ascii(line)
    assert RECORD_START.match(line)
    assert f"GET /api/v1/x{shown} 404" in line


@pytest.mark.parametrize(("path", "smuggled", "shown"), HOSTILE_PATHS)
def test_json_access_line_stays_one_line_and_round_trips(
    api_client: APIClient, attach_log: AttachLog, path: str, smuggled: str, shown: str
) -> None:
    stream = attach_log("fitcore.access", "json")
    api_client.get(path)
    output = stream.getvalue()
    assert output.count("\n") == 1 and output.endswith("\n"), output
    line = output[:-1]
    assert re.fullmatch(r"[\x20-\x7e]+", line), ascii(line)
    record = json.loads(line)
    assert smuggled in record["path"]
    assert record["message"] == f"GET {record['path']} 404"


def test_text_format_escapes_message_args_and_extra_fields() -> None:
    formatter = TextFormatter("%(levelname)s %(field)s %(message)s")  # a format naming an extra field
    record = logging.LogRecord("fitcore.test", logging.WARNING, __file__, 1, "said\t%s", ("a\nINFO forged",), None)
    record.field = "b\u2066c\u2069\x00"
    assert formatter.format(record) == "WARNING b\\u2066c\\u2069\\x00 said\\ta\\nINFO forged"


@pytest.mark.parametrize("format_name", ["text", "json"])
def test_exception_message_cannot_forge_a_record(attach_log: AttachLog, format_name: str) -> None:
    stream = attach_log("fitcore.test.exc", format_name)
    forged = "2030-01-01 00:00:00,000 INFO fitcore.access [-] GET /admin/ 200"
    try:
        raise ValueError(f"bad input\n{forged}\r{forged}\u2028{forged}")
    except ValueError:
        logging.getLogger("fitcore.test.exc").exception("import failed")
    lines = stream.getvalue().rstrip("\n").split("\n")
    if format_name == "json":
        [line] = lines
        assert forged in json.loads(line)["exc_info"]
        return
    first, *rest = lines
    assert "import failed" in first and RECORD_START.match(first)
    assert rest and all(line.startswith(CONTINUATION_PREFIX) for line in rest), lines
    assert not any(RECORD_START.match(line) for line in rest)
    assert not any(UNSAFE.search(line) for line in lines)
    assert f"{CONTINUATION_PREFIX}{forged}\\r{forged}\\u2028{forged}" in lines
