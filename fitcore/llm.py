"""The one place that talks to OpenAI: a configured client and one structured-output call.

The feature is off unless ``OPENAI_API_KEY`` is set. Every failure surfaces as ``LLMFailure``
with a ``kind`` the caller can branch on; the caller is expected to fall back to its
deterministic path, which is also why the client never retries.

We use Chat Completions with ``response_format={"type": "json_schema", ..., "strict": True}``:
openai 3.54 supports it, and it reports refusals as ``message.refusal``. Even with strict
schemas we check the reply's shape ourselves, because the SDK does not validate response
bodies and a proxy or a future model may not honour the schema.

Prompt-injection stance: the system prompt is a constant chosen by the caller, and everything
that came from a user travels in ONE user message as a JSON document, never spliced into
instructions.

Tests replace only the HTTP layer: ``use_http_client(httpx.Client(transport=MockTransport(...)))``
makes every ``client()`` built inside the block send through that client, so requests still go
through the SDK's own encoding and error mapping.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, cast

import httpx
import openai
from django.conf import settings

logger = logging.getLogger(__name__)

FailureKind = Literal["disabled", "timeout", "refusal", "malformed", "http_error", "invalid"]

# gpt-4o-mini and gpt-4.1-mini are announced for shutdown on 2027-01-14 (openai 3.54 ChatModel notes).
DEFAULT_MODEL = "gpt-5.4-mini"
DEFAULT_TIMEOUT_SECONDS = 20.0
# Refusal texts and similar model prose are cut to this before they go into a detail.
_DETAIL_CHARS = 200

_injected: list[httpx.Client] = []
_clients: dict[tuple[str, float], openai.OpenAI] = {}


class LLMFailure(Exception):
    """The model gave no usable answer; fall back to the deterministic path.

    ``kind`` is one of ``disabled`` (no API key), ``timeout``, ``http_error`` (connection
    failure or a non-2xx reply; ``status`` holds the HTTP status when there was one),
    ``refusal``, ``malformed`` (empty, not JSON, or not the shape the schema asks for) and
    ``invalid`` (well-formed but breaks a domain rule, raised by the planning modules).
    ``meta`` carries the model and token counts when the call itself went through.
    """

    def __init__(
        self,
        kind: FailureKind,
        detail: str,
        *,
        status: int | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail
        self.status = status
        self.meta: dict[str, Any] = dict(meta or {})


def _api_key() -> str:
    return str(getattr(settings, "OPENAI_API_KEY", "") or "")


def _timeout() -> float:
    return float(getattr(settings, "OPENAI_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def default_model() -> str:
    return str(getattr(settings, "OPENAI_MODEL", "") or DEFAULT_MODEL)


def enabled() -> bool:
    return bool(_api_key())


@contextmanager
def use_http_client(http_client: httpx.Client) -> Iterator[None]:
    """Inside the block, every ``client()`` sends through ``http_client`` (tests)."""
    _injected[:] = [http_client]
    try:
        yield
    finally:
        _injected.clear()


def client(*, http_client: httpx.Client | None = None) -> openai.OpenAI:
    """An OpenAI client configured from settings; raises ``LLMFailure("disabled")`` without a key.

    ``max_retries=0``: a slow or failing model means the caller falls back at once rather than
    holding a request open through retries. Without an explicit or injected HTTP client the
    client is cached per (key, timeout) so its connection pool is reused.
    """
    key = _api_key()
    if not key:
        raise LLMFailure("disabled", "OPENAI_API_KEY is not set")
    timeout = _timeout()
    transport = http_client or (_injected[0] if _injected else None)
    if transport is not None:
        # openai 3.x is typed for httpx2.Client but accepts an httpx.Client at runtime
        # (it checks for either in SyncAPIClient.__init__).
        return openai.OpenAI(api_key=key, timeout=timeout, max_retries=0, http_client=cast(Any, transport))
    cached = _clients.get((key, timeout))
    if cached is None:
        cached = _clients.setdefault((key, timeout), openai.OpenAI(api_key=key, timeout=timeout, max_retries=0))
    return cached


def structured_reply(
    *,
    system: str,
    data: dict[str, Any],
    schema_name: str,
    schema: dict[str, Any],
    model: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask for a JSON object matching ``schema`` and return it with call metadata.

    ``data`` is sent as the JSON content of the single user message (values that JSON can't
    express, such as Decimal or date, are sent as strings). Returns ``(reply, meta)`` where meta
    is ``{"model", "prompt_tokens", "completion_tokens", "seconds"}``; ``model`` is the one the
    API reports having used. Raises ``LLMFailure``.
    """
    api = client()
    chosen = model or default_model()
    messages: list[Any] = [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(data, ensure_ascii=False, default=str)},
    ]
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {"name": schema_name, "schema": schema, "strict": True},
    }
    started = time.monotonic()
    try:
        completion = api.chat.completions.create(model=chosen, messages=messages, response_format=response_format)
    except openai.APITimeoutError as exc:
        raise _failed(schema_name, LLMFailure("timeout", f"no reply within {_timeout():g}s")) from exc
    except openai.APIConnectionError as exc:
        raise _failed(schema_name, LLMFailure("http_error", "could not reach the OpenAI API")) from exc
    except openai.APIStatusError as exc:
        failure = LLMFailure("http_error", f"OpenAI answered HTTP {exc.status_code}", status=exc.status_code)
        raise _failed(schema_name, failure) from exc
    except (openai.APIResponseValidationError, ValueError) as exc:
        # The SDK raises ValueError (JSONDecodeError) for a 2xx body that isn't JSON.
        raise _failed(schema_name, LLMFailure("malformed", "the API response body is not valid JSON")) from exc
    seconds = round(time.monotonic() - started, 3)

    usage = completion.usage
    meta: dict[str, Any] = {
        "model": completion.model or chosen,
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
        "seconds": seconds,
    }
    choice = completion.choices[0] if completion.choices else None
    if choice is None or choice.message is None:
        raise _failed(schema_name, LLMFailure("malformed", "the reply has no message", meta=meta))
    message = choice.message
    if message.refusal:
        raise _failed(schema_name, LLMFailure("refusal", _short(str(message.refusal)), meta=meta))
    if choice.finish_reason == "content_filter":
        raise _failed(schema_name, LLMFailure("refusal", "the reply was withheld by the content filter", meta=meta))
    content = message.content
    if not isinstance(content, str) or not content.strip():
        raise _failed(schema_name, LLMFailure("malformed", "the reply is empty", meta=meta))
    if choice.finish_reason == "length":
        raise _failed(schema_name, LLMFailure("malformed", "the reply was cut off at the token limit", meta=meta))
    try:
        parsed = json.loads(content)
    except ValueError as exc:
        raise _failed(schema_name, LLMFailure("malformed", "the reply is not JSON", meta=meta)) from exc
    if not isinstance(parsed, dict):
        raise _failed(schema_name, LLMFailure("malformed", "$: expected object", meta=meta))
    problem = shape_problem(parsed, schema)
    if problem is not None:
        raise _failed(schema_name, LLMFailure("malformed", problem, meta=meta))
    logger.info(
        "openai %s answered: model=%s prompt_tokens=%s completion_tokens=%s seconds=%s",
        schema_name,
        meta["model"],
        meta["prompt_tokens"],
        meta["completion_tokens"],
        seconds,
    )
    return parsed, meta


def shape_problem(value: Any, schema: Mapping[str, Any], path: str = "$") -> str | None:
    """The first place where ``value`` breaks the schema's types or required keys, or None.

    Deliberately minimal (no jsonschema dependency): it checks ``type``, ``enum``, ``required``,
    ``properties`` and ``items``. Counts, lengths and ranges are domain rules for the caller, and
    keys the schema doesn't name are ignored.
    """
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(expected)
        if not any(_is_json_type(value, name) for name in names):
            return f"{path}: expected {' or '.join(names)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{path}: not one of the allowed values"
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                return f"{path}: missing {key!r}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problem = shape_problem(value[key], sub, f"{path}.{key}")
                if problem is not None:
                    return problem
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            problem = shape_problem(item, schema["items"], f"{path}[{index}]")
            if problem is not None:
                return problem
    return None


def _is_json_type(value: Any, name: str) -> bool:
    # bool is an int in Python but not an integer in JSON.
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "null": type(None),
    }
    return name in kinds and isinstance(value, kinds[name])


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def _failed(schema_name: str, failure: LLMFailure) -> LLMFailure:
    # Kind and status only: details may quote the model, which may quote the user.
    logger.warning("openai %s failed: kind=%s status=%s", schema_name, failure.kind, failure.status)
    return failure
