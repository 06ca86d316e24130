"""OpenAI's legacy ``completions.create`` (``text_completion``) on the real ``openai`` SDK, sync and async,
plain and streamed: what vLLM, TGI and instruct models are called with. Only the HTTP is local."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import StatusCode

from helpers.api import SyncOrAsync, breaking_body
from helpers.conformance import assert_conforms
from helpers.openai_fakes import FakeOpenAI, openai_http, sse
from helpers.telemetry import Telemetry, ended_once, exported_metrics, span_content

httpx = openai_http()
COMPLETIONS = "/completions"
MODEL = "gpt-3.5-turbo-instruct"
RESPONSE_MODEL = "gpt-3.5-turbo-instruct:20230824-v2"
PROMPT = "Say this is a test"


def completion_body(
    texts: tuple[str, ...] = ("This is a test.",), finish_reason: str = "stop"
) -> dict[str, Any]:
    """A ``text_completion`` body, as the API reference shows it."""
    return {
        "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
        "object": "text_completion",
        "created": 1_589_478_378,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [
            {"text": text, "index": i, "logprobs": None, "finish_reason": finish_reason}
            for i, text in enumerate(texts)
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def completion_chunks(words: list[str], *, include_usage: bool = True) -> list[dict[str, Any]]:
    """Streamed ``text_completion`` chunks: text pieces, the finish reason, then the usage chunk."""
    base = {
        "id": "cmpl-stream7",
        "object": "text_completion",
        "created": 1_690_759_702,
        "model": RESPONSE_MODEL,
    }
    chunks = [
        {**base, "choices": [{"text": word, "index": 0, "logprobs": None, "finish_reason": None}]}
        for word in words
    ]
    chunks.append(
        {**base, "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": "length"}]}
    )
    if include_usage:
        chunks.append(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": 16, "total_tokens": 21},
            }
        )
    return chunks


class Api(SyncOrAsync):
    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def is_async(self) -> bool:
        return isinstance(self.client, openai.AsyncOpenAI)

    async def create(self, **kwargs: Any) -> Any:
        return await self._await(self.client.completions.create(**kwargs))


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, client: Any, async_client: Any) -> Api:
    return Api(client if request.param == "sync" else async_client)


async def test_plain_completion(api: Api, fake_openai: FakeOpenAI, telemetry: Telemetry) -> None:
    fake_openai.reply(COMPLETIONS, completion_body())

    response = await api.create(
        model=MODEL, prompt=PROMPT, max_tokens=7, temperature=0, top_p=0.9, stop=["\n"], seed=3, n=1
    )

    assert response.choices[0].text == "This is a test."
    span = assert_conforms(telemetry, operation="text_completion", content=False)
    assert span.name == f"text_completion {MODEL}"
    attributes = span.attributes
    assert attributes["gen_ai.operation.name"] == "text_completion"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == MODEL
    assert attributes["gen_ai.request.max_tokens"] == 7
    assert attributes["gen_ai.request.temperature"] == 0.0
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert tuple(attributes["gen_ai.request.stop_sequences"]) == ("\n",)
    assert attributes["gen_ai.request.seed"] == 3
    assert attributes["gen_ai.response.model"] == RESPONSE_MODEL
    assert attributes["gen_ai.response.id"] == "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7"
    assert tuple(attributes["gen_ai.response.finish_reasons"]) == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == 5
    assert attributes["gen_ai.usage.output_tokens"] == 7
    assert attributes["openai.response.system_fingerprint"] == "fp_44709d6fcb"
    assert "openai.api.type" not in attributes  # the conventions name only chat_completions and responses
    usage = exported_metrics(telemetry.metric_reader)["gen_ai.client.token.usage"]
    assert {p.attributes["gen_ai.operation.name"] for p in usage.data.data_points} == {"text_completion"}


async def test_content_is_the_prompt_and_the_text(
    api: Api, fake_openai: FakeOpenAI, content_telemetry: Telemetry
) -> None:
    fake_openai.reply(COMPLETIONS, completion_body(("first", "second"), finish_reason="length"))

    await api.create(model=MODEL, prompt=PROMPT, n=2)

    span = assert_conforms(content_telemetry, operation="text_completion", content=True)
    assert span_content(span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]}
    ]
    outputs = span_content(span, "gen_ai.output.messages")
    assert [o["parts"][0]["content"] for o in outputs] == ["first", "second"]
    assert {o["finish_reason"] for o in outputs} == {"length"}
    assert tuple(span.attributes["gen_ai.response.finish_reasons"]) == ("length", "length")


async def test_a_batch_of_prompts_is_one_message_each(
    api: Api, fake_openai: FakeOpenAI, content_telemetry: Telemetry
) -> None:
    fake_openai.reply(COMPLETIONS, completion_body(("a", "b")))

    await api.create(model=MODEL, prompt=["one", "two"])

    messages = span_content(content_telemetry.span(), "gen_ai.input.messages")
    assert [m["parts"][0]["content"] for m in messages] == ["one", "two"]


async def test_token_id_prompts_are_not_text(
    api: Api, fake_openai: FakeOpenAI, content_telemetry: Telemetry
) -> None:
    fake_openai.reply(COMPLETIONS, completion_body())

    await api.create(model=MODEL, prompt=[1212, 318, 257, 1332])

    messages = span_content(content_telemetry.span(), "gen_ai.input.messages")
    assert messages == [{"role": "user", "parts": [{"type": "token_ids"}]}]


async def test_no_content_without_capture(api: Api, fake_openai: FakeOpenAI, telemetry: Telemetry) -> None:
    fake_openai.reply(COMPLETIONS, completion_body())

    await api.create(model=MODEL, prompt=PROMPT)

    assert not [name for name in telemetry.span().attributes if "messages" in name]


async def test_streamed_completion(api: Api, fake_openai: FakeOpenAI, content_telemetry: Telemetry) -> None:
    fake_openai.reply(COMPLETIONS, stream=sse(completion_chunks(["This", " is", " a", " test"])))

    stream = await api.create(model=MODEL, prompt=PROMPT, stream=True, stream_options={"include_usage": True})
    assert isinstance(stream, (openai.Stream, openai.AsyncStream))
    chunks = await api.drain(stream)

    assert "".join(c.choices[0].text for c in chunks if c.choices) == "This is a test"
    span = assert_conforms(content_telemetry, operation="text_completion", content=True, stream=True)
    attributes = span.attributes
    assert attributes["gen_ai.response.id"] == "cmpl-stream7"
    assert attributes["gen_ai.response.model"] == RESPONSE_MODEL
    assert tuple(attributes["gen_ai.response.finish_reasons"]) == ("length",)
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (5, 16)
    assert span_content(span, "gen_ai.output.messages")[0]["parts"] == [
        {"type": "text", "content": "This is a test"}
    ]
    assert "gen_ai.response.time_to_first_chunk" in attributes


async def test_a_stream_closed_early_ends_once(
    api: Api, fake_openai: FakeOpenAI, telemetry: Telemetry
) -> None:
    fake_openai.reply(COMPLETIONS, stream=sse(completion_chunks(["a", "b", "c"])))

    stream = await api.create(model=MODEL, prompt=PROMPT, stream=True)
    await api.next(stream)
    await api.close(stream)

    span = ended_once(telemetry)
    assert span.status.status_code is not StatusCode.ERROR


async def test_a_broken_stream_fails_the_span(api: Api, telemetry: Telemetry) -> None:
    head = sse(completion_chunks(["a"])[:1], done=False)
    error = httpx.ReadError("connection reset")

    def answer(request: Any) -> Any:
        return httpx.Response(
            200,
            content=breaking_body(api.is_async, head, error),
            headers={"content-type": "text/event-stream"},
        )

    cls = openai.AsyncOpenAI if api.is_async else openai.OpenAI
    http = httpx.AsyncClient if api.is_async else httpx.Client
    client = cls(api_key="k", http_client=http(transport=httpx.MockTransport(answer)), max_retries=0)
    stream = await Api(client).create(model=MODEL, prompt=PROMPT, stream=True)

    with pytest.raises(Exception) as raised:
        await api.drain(stream)

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__qualname__


async def test_an_error_is_reraised_with_its_code(
    api: Api, fake_openai: FakeOpenAI, telemetry: Telemetry
) -> None:
    fake_openai.reply(
        COMPLETIONS,
        {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
        status=429,
    )

    with pytest.raises(openai.RateLimitError):
        await api.create(model=MODEL, prompt=PROMPT)

    span = assert_conforms(
        telemetry, operation="text_completion", failed=True, error_type="rate_limit_exceeded"
    )
    assert "Rate limit reached" not in json.dumps(dict(span.attributes))


def test_suppressed(client: Any, fake_openai: FakeOpenAI, telemetry: Telemetry) -> None:
    fake_openai.reply(COMPLETIONS, completion_body())

    with suppress_instrumentation():
        client.completions.create(model=MODEL, prompt=PROMPT)

    assert telemetry.spans() == []


def test_a_chat_call_never_gets_a_legacy_completions_answer(client: Any, fake_openai: FakeOpenAI) -> None:
    """``/chat/completions`` ends with ``/completions``: the fake must not answer a chat call with the legacy
    body queued for another test's ``completions.create`` (a chat test would pass on the wrong shape)."""
    fake_openai.reply(COMPLETIONS, completion_body())

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": PROMPT}])
    assert client.completions.create(model=MODEL, prompt=PROMPT).choices[0].text == "This is a test."
