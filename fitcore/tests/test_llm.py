"""fitcore.llm against the real openai client, with only its HTTP transport replaced."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fitcore import llm

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "items": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["answer", "items"],
    "additionalProperties": False,
}


def completion(content: str | None, *, refusal: str | None = None, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_780_000_000,
        "model": "gpt-5.4-mini-2026-03-17",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }


class FakeOpenAI:
    """Answers /chat/completions with ``answer``: a JSON body, an httpx.Response, or an exception to raise."""

    def __init__(self) -> None:
        self.answer: Any = completion('{"answer": "ok", "items": [1, 2]}')
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        if isinstance(self.answer, httpx.Response):
            return self.answer
        return httpx.Response(200, json=self.answer)

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


@pytest.fixture
def fake_openai(settings) -> Iterator[FakeOpenAI]:
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MODEL = "gpt-5.4-mini"
    settings.OPENAI_TIMEOUT_SECONDS = 5
    fake = FakeOpenAI()
    with llm.use_http_client(httpx.Client(transport=httpx.MockTransport(fake))):
        yield fake


def ask() -> tuple[dict[str, Any], dict[str, Any]]:
    return llm.structured_reply(
        system="You answer.", data={"question": "why?", "n": 3}, schema_name="answer", schema=SCHEMA
    )


def test_llm_disabled_without_api_key(settings):
    settings.OPENAI_API_KEY = ""
    assert llm.enabled() is False
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "disabled"


def test_llm_enabled_with_api_key(settings):
    settings.OPENAI_API_KEY = "sk-test"
    assert llm.enabled() is True


def test_client_is_configured_without_retries_and_with_the_timeout(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_TIMEOUT_SECONDS = 7
    api = llm.client(http_client=httpx.Client(transport=httpx.MockTransport(FakeOpenAI())))
    assert api.max_retries == 0
    assert api.timeout == 7


def test_structured_reply_parses_reply_and_records_meta(fake_openai):
    reply, meta = ask()
    assert reply == {"answer": "ok", "items": [1, 2]}
    assert meta["model"] == "gpt-5.4-mini-2026-03-17"
    assert meta["prompt_tokens"] == 120
    assert meta["completion_tokens"] == 30
    assert meta["seconds"] >= 0


def test_structured_reply_sends_schema_and_data_as_json_user_message(fake_openai):
    ask()
    request = fake_openai.requests[0]
    assert request.url.path.endswith("/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-test"
    body = fake_openai.body()
    assert body["model"] == "gpt-5.4-mini"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }
    system, user = body["messages"]
    assert system == {"role": "system", "content": "You answer."}
    assert user["role"] == "user"
    assert json.loads(user["content"]) == {"question": "why?", "n": 3}


def test_structured_reply_uses_the_model_asked_for(fake_openai):
    llm.structured_reply(system="s", data={}, schema_name="answer", schema=SCHEMA, model="gpt-4.1-mini")
    assert fake_openai.body()["model"] == "gpt-4.1-mini"


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ('{"answer": "ok", "items": [1, 2', "the reply is not JSON"),
        ("", "the reply is empty"),
        (None, "the reply is empty"),
        ('["answer"]', "$: expected object"),
        ('{"items": []}', "$: missing 'answer'"),
        ('{"answer": "ok", "items": [1, "2"]}', "$.items[1]: expected integer"),
        ('{"answer": "ok", "items": [true]}', "$.items[0]: expected integer"),
    ],
)
def test_structured_reply_rejects_malformed_content(fake_openai, content, detail):
    fake_openai.answer = completion(content)
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "malformed"
    assert caught.value.detail == detail
    assert caught.value.meta["model"] == "gpt-5.4-mini-2026-03-17"


def test_structured_reply_rejects_reply_cut_off_at_token_limit(fake_openai):
    fake_openai.answer = completion('{"answer": "ok", "items": [1, 2]}', finish_reason="length")
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "malformed"


def test_structured_reply_rejects_response_body_that_is_not_json(fake_openai):
    fake_openai.answer = httpx.Response(
        200, content=b"<html>proxy</html>", headers={"content-type": "application/json"}
    )
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "malformed"


def test_structured_reply_rejects_response_without_choices(fake_openai):
    fake_openai.answer = {**completion(None), "choices": []}
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "malformed"


def test_structured_reply_reports_refusal(fake_openai):
    fake_openai.answer = completion(None, refusal="I can't help with that request.")
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "refusal"
    assert caught.value.detail == "I can't help with that request."


def test_structured_reply_treats_content_filter_as_refusal(fake_openai):
    fake_openai.answer = completion(None, finish_reason="content_filter")
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "refusal"


@pytest.mark.parametrize("status", [500, 429, 401])
def test_structured_reply_reports_http_errors_without_retrying(fake_openai, status):
    fake_openai.answer = httpx.Response(status, json={"error": {"message": "nope", "type": "server_error"}})
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "http_error"
    assert caught.value.status == status
    assert len(fake_openai.requests) == 1


def test_structured_reply_reports_connection_failure(fake_openai):
    fake_openai.answer = httpx.ConnectError("connection refused")
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "http_error"
    assert caught.value.status is None


@pytest.mark.parametrize("error", [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out")])
def test_structured_reply_reports_timeout(fake_openai, error):
    fake_openai.answer = error
    with pytest.raises(llm.LLMFailure) as caught:
        ask()
    assert caught.value.kind == "timeout"
    assert len(fake_openai.requests) == 1


def test_use_http_client_ends_with_its_block(settings):
    settings.OPENAI_API_KEY = "sk-test"
    fake = FakeOpenAI()
    with llm.use_http_client(httpx.Client(transport=httpx.MockTransport(fake))):
        llm.structured_reply(system="s", data={}, schema_name="answer", schema=SCHEMA)
    assert len(fake.requests) == 1
    # Outside the block the shared, cached client is back.
    assert llm.client() is llm.client()


@pytest.mark.parametrize(
    ("value", "schema", "problem"),
    [
        ({"a": 1}, {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}, None),
        ({"a": 1.5}, {"type": "object", "properties": {"a": {"type": "integer"}}}, "$.a: expected integer"),
        ({"a": 1.5}, {"type": "object", "properties": {"a": {"type": "number"}}}, None),
        ({"a": None}, {"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, None),
        ({"a": "x"}, {"type": "object", "properties": {"a": {"enum": ["y"]}}}, "$.a: not one of the allowed values"),
        ([{"b": []}], {"type": "array", "items": {"type": "object", "required": ["c"]}}, "$[0]: missing 'c'"),
    ],
)
def test_shape_problem(value, schema, problem):
    assert llm.shape_problem(value, schema) == problem
