"""A local Anthropic Messages API: response bodies and stream events shaped as the API reference gives them,
and ``FakeAnthropic``, the transport handler that serves them.

The clients stay the real ``anthropic.Anthropic`` / ``AsyncAnthropic`` (and ``AnthropicBedrock`` /
``AnthropicVertex``); only their HTTP transport is replaced (the ``MockTransport`` of ``anthropic_http()``),
so the SDK's own request building, retries, SSE decoding, stream helpers and errors all run.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from helpers.api import SyncOrAsync
from helpers.aws_eventstream import chunk_message

MODEL = "claude-haiku-4-5"
RESPONSE_MODEL = "claude-haiku-4-5-20251001"
MESSAGE_ID = "msg_01XFDUDYJgAACzvnptvVoYEL"
REQUEST_ID = "req_011CSHoEeqs5C35K2UUqR7Fy"


def anthropic_http() -> ModuleType:
    """The HTTP library the installed ``anthropic`` is built on: ``httpx2`` from anthropic 1.0, ``httpx``
    before (same API), so the tests run against every release the version matrix installs."""
    import anthropic._base_client as base_client

    return getattr(base_client, "httpx2", None) or base_client.httpx


def sdk_version() -> tuple[int, ...]:
    return tuple(
        int(part) for part in importlib.metadata.version("anthropic").split(".")[:3] if part.isdigit()
    )


def needs_sdk(version: tuple[int, ...], feature: str) -> pytest.MarkDecorator:
    """Skip a test of a feature older releases lack; the reason names the release that added it."""
    release = ".".join(str(part) for part in version)
    return pytest.mark.skipif(sdk_version() < version, reason=f"{feature} is new in anthropic {release}")


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# AnthropicBedrock signs its requests with boto3 / botocore (the ``anthropic[bedrock]`` extra).
needs_bedrock_auth = pytest.mark.skipif(
    not (_importable("boto3") and _importable("botocore")), reason="AnthropicBedrock needs boto3 and botocore"
)


# --- bodies ---------------------------------------------------------------------------------------------


def usage(
    input_tokens: int = 25,
    output_tokens: int = 12,
    *,
    cache_read: int | None = 100,
    cache_write: int | None = 40,
) -> dict[str, Any]:
    body: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if cache_read is not None:
        body["cache_read_input_tokens"] = cache_read
    if cache_write is not None:
        body["cache_creation_input_tokens"] = cache_write
    body["service_tier"] = "standard"
    return body


def message(
    content: list[dict[str, Any]] | str = "Hi! My name is Claude.",
    *,
    stop_reason: str | None = "end_turn",
    usage_body: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` body (``POST /v1/messages``)."""
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    body = {
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": RESPONSE_MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage_body if usage_body is not None else usage(),
    }
    body.update(extra)
    return body


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_use_block(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def thinking_block(thinking: str) -> dict[str, Any]:
    return {
        "type": "thinking",
        "thinking": thinking,
        "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk",
    }


def redacted_thinking_block() -> dict[str, Any]:
    return {
        "type": "redacted_thinking",
        "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
    }


def web_search_blocks(call_id: str = "srvtoolu_014hJH82Qum7Td6UV8gDXThB") -> list[dict[str, Any]]:
    """A server tool round as the response carries it: the search the model ran and what it found."""
    return [
        {"type": "server_tool_use", "id": call_id, "name": "web_search", "input": {"query": "weather Paris"}},
        {
            "type": "web_search_tool_result",
            "tool_use_id": call_id,
            "content": [
                {
                    "type": "web_search_result",
                    "url": "https://weather.example/paris",
                    "title": "Paris weather",
                    "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2Qq",
                    "page_age": "April 30, 2025",
                }
            ],
        },
    ]


def error_body(kind: str, text: str = "Something went wrong.") -> dict[str, Any]:
    """An error response body (and the data of a stream's ``error`` event)."""
    return {"type": "error", "error": {"type": kind, "message": text}, "request_id": REQUEST_ID}


# --- streams --------------------------------------------------------------------------------------------


def stream_events(
    blocks: list[dict[str, Any]] | None = None,
    *,
    stop_reason: str = "end_turn",
    start_usage: dict[str, Any] | None = None,
    delta_usage: dict[str, Any] | None = None,
    ping: bool = True,
) -> list[dict[str, Any]]:
    """The events of a streamed message made of ``blocks``: each block opened empty, then its deltas
    (text in pieces, tool input as partial JSON, thinking then its signature), then closed."""
    blocks = blocks if blocks is not None else [text_block("Hello there, friend.")]
    start = message([], stop_reason=None, usage_body=start_usage or usage(25, 1))
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    if ping:
        events.append({"type": "ping"})
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            events.append({"type": "content_block_start", "index": index, "content_block": text_block("")})
            text = block["text"]
            for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
                delta = {"type": "text_delta", "text": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        elif kind == "tool_use":
            opened = {**block, "input": {}}
            events.append({"type": "content_block_start", "index": index, "content_block": opened})
            arguments = json.dumps(block["input"])
            for piece in ("", arguments[:5], arguments[5:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        elif kind == "thinking":
            opened = {"type": "thinking", "thinking": "", "signature": ""}
            events.append({"type": "content_block_start", "index": index, "content_block": opened})
            delta = {"type": "thinking_delta", "thinking": block["thinking"]}
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
            delta = {"type": "signature_delta", "signature": block["signature"]}
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
        else:  # redacted thinking, server tool results: whole in their start event
            events.append({"type": "content_block_start", "index": index, "content_block": block})
        events.append({"type": "content_block_stop", "index": index})
    final_usage = delta_usage if delta_usage is not None else {"output_tokens": 15}
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": final_usage,
        }
    )
    events.append({"type": "message_stop"})
    return events


def sse(events: list[dict[str, Any]]) -> bytes:
    """Server-sent events, named by their type as the API sends them."""
    return "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in events).encode()


def aws_event_stream(events: list[dict[str, Any]]) -> bytes:
    """Bedrock's ``invoke-with-response-stream`` body: each event base64-encoded in a ``chunk`` message
    of the AWS event-stream encoding (prelude, headers, payload, CRC32s), as botocore decodes it."""
    return b"".join(chunk_message(event) for event in events)


# --- the transport --------------------------------------------------------------------------------------


@dataclass
class FakeAnthropic:
    """Answers the SDK's HTTP requests from a queue of canned responses, and keeps the requests.

    Answers are served in order; the last one stays and answers every later request.
    """

    answers: list[Any] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)

    def reply(self, body: Any = None, *, status: int = 200, stream: bytes | Any = None,
              content_type: str = "text/event-stream", headers: dict[str, str] | None = None,
              error: BaseException | None = None) -> None:  # fmt: skip
        """Queue an answer: a JSON body, a streamed body (bytes, or an iterator of bytes), or an exception."""
        self.answers.append((body, status, stream, content_type, headers or {}, error))

    def __call__(self, request: Any) -> Any:
        httpx = anthropic_http()
        self.requests.append(request)
        if not self.answers:
            return httpx.Response(404, json=error_body("not_found_error", "no canned answer"))
        body, status, stream, content_type, headers, error = (
            self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        )
        if error is not None:
            raise error
        headers = {"request-id": REQUEST_ID, **headers}
        if stream is not None:
            return httpx.Response(status, content=stream, headers={"content-type": content_type, **headers})
        return httpx.Response(status, json=body, headers=headers)

    def last_json(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)


# --- clients and the same calls on the sync and the async client ------------------------------------------

MESSAGES = [{"role": "user", "content": "Hello, Claude."}]


def make_client(fake: FakeAnthropic, factory: Any = None, *, is_async: bool = False, **kwargs: Any) -> Any:
    """An ``anthropic`` client (``Anthropic`` / ``AsyncAnthropic`` by default, or any of the SDK's client
    classes) whose HTTP is answered by ``fake``; no retries unless asked for."""
    import anthropic

    if factory is None:
        factory = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    httpx = anthropic_http()
    is_async = factory.__name__.startswith("Async")
    http = (httpx.AsyncClient if is_async else httpx.Client)(transport=httpx.MockTransport(fake))
    kwargs.setdefault("max_retries", 0)
    if "Bedrock" not in factory.__name__ and "Vertex" not in factory.__name__:
        kwargs.setdefault("api_key", "sk-ant-test")
    return factory(http_client=http, **kwargs)


@dataclass
class Api(SyncOrAsync):
    """Messages calls on a sync or an async client; tests ``await`` either one."""

    client: Any

    @property
    def is_async(self) -> bool:
        return type(self.client).__name__.startswith("Async")

    @property
    def stream_class(self) -> type:
        import anthropic

        return anthropic.AsyncStream if self.is_async else anthropic.Stream

    async def create(self, **kwargs: Any) -> Any:
        return await self.call(self.client.messages.create, **kwargs)

    async def call(self, method: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("max_tokens", 1024)
        kwargs.setdefault("messages", MESSAGES)
        return await self._await(method(**kwargs))

    async def parse(self, raw: Any) -> Any:
        """A raw response's ``parse()``: a coroutine on 2.x's async client, plain before."""
        parsed = raw.parse()
        return await parsed if inspect.isawaitable(parsed) else parsed

    async def helper(self, use: str, *, resource: Any = None, **kwargs: Any) -> Any:
        """``messages.stream(...)`` used as documented: ``use`` is ``final_message``, ``final_text``,
        ``until_done`` (then the final message), ``text_stream`` (the texts), ``events`` (the events),
        ``first_event`` (left after one event), or ``enter_only`` (left before any event)."""
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("max_tokens", 1024)
        kwargs.setdefault("messages", MESSAGES)
        manager = (resource or self.client.messages).stream(**kwargs)
        if self.is_async:
            async with manager as stream:
                return await _use_async(stream, use)
        with manager as stream:
            return _use_sync(stream, use)


def _use_sync(stream: Any, use: str) -> Any:
    if use == "final_message":
        return stream.get_final_message()
    if use == "final_text":
        return stream.get_final_text()
    if use == "until_done":
        stream.until_done()
        return stream.current_message_snapshot
    if use == "text_stream":
        return list(stream.text_stream)
    if use == "events":
        return list(stream)
    if use == "first_event":
        return next(iter(stream))
    return None


async def _use_async(stream: Any, use: str) -> Any:
    if use == "final_message":
        return await stream.get_final_message()
    if use == "final_text":
        return await stream.get_final_text()
    if use == "until_done":
        await stream.until_done()
        return stream.current_message_snapshot
    if use == "text_stream":
        return [text async for text in stream.text_stream]
    if use == "events":
        return [event async for event in stream]
    if use == "first_event":
        return await stream.__anext__()
    return None
