"""A local Groq API: canned response bodies and ``FakeGroq``, the transport handler that serves them.

The client stays the real ``groq.Groq`` / ``AsyncGroq`` (on ``httpx``); only its transport is replaced, so
the SDK's own request building, SSE decoding (in-stream errors included) and response parsing run. The
shapes follow Groq's answers: ``usage`` with Groq's timings, ``x_groq.id`` (the request id) on the answer
and on a stream's first and last chunks, a stream's usage in its last chunk's ``x_groq.usage`` (and in a
final choice-less chunk's ``usage`` when the request asked with ``stream_options``), SSE framed as OpenAI
frames it (``helpers.openai_fakes.sse``), errors as ``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from helpers.openai_fakes import sse, tool_call

__all__ = [
    "MODEL",
    "REQUEST_ID",
    "FakeGroq",
    "chat_chunks",
    "chat_completion",
    "embeddings_body",
    "error_body",
    "make_client",
    "sse",
    "sse_error_event",
    "tool_call",
    "usage",
]

MODEL = "llama-3.3-70b-versatile"  # priced for groq by the shipped price table
REQUEST_ID = "req_01jbd6g2qdfw2adyrt2az8hz4w"
BASE_URL = "https://api.groq.com"
PREFIX = "/openai/v1"


def usage(prompt: int = 18, completion: int = 42, **details: Any) -> dict[str, Any]:
    """Groq's ``usage``: token counts and where the time went (seconds)."""
    return {
        "queue_time": 0.037493756,
        "prompt_tokens": prompt,
        "prompt_time": 0.000680594,
        "completion_tokens": completion,
        "completion_time": 0.463333333,
        "total_tokens": prompt + completion,
        "total_time": 0.464013927,
        **details,
    }


def chat_completion(
    content: str | None = "Hello! How can I help?",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning: str | None = None,
    finish_reason: str = "stop",
    choices: list[dict[str, Any]] | None = None,
    usage_body: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` body as Groq sends it."""
    if choices is None:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning is not None:
            message["reasoning"] = reasoning
        if tool_calls:
            message["tool_calls"] = tool_calls
        choices = [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}]
    body = {
        "id": "chatcmpl-f51b2cd2-bef7-417e-964e-a08f0b513c22",
        "object": "chat.completion",
        "created": 1_730_241_104,
        "model": MODEL,
        "choices": choices,
        "usage": usage() if usage_body is None else usage_body,
        "usage_breakdown": None,
        "system_fingerprint": "fp_179b0f92c9",
        "x_groq": {"id": REQUEST_ID},
        "service_tier": "on_demand",
    }
    body.update(extra)
    return body


def chat_chunks(
    words: list[str],
    *,
    finish_reason: str = "stop",
    reasoning: list[str] | None = None,
    tool_call_deltas: list[dict[str, Any]] | None = None,
    groq_usage: bool = True,
    include_usage: bool = False,
    usage_body: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``chat.completion.chunk`` bodies as Groq streams them: ``x_groq.id`` on the first chunk, the last
    (finishing) chunk with ``x_groq.usage`` (``groq_usage``), and with ``include_usage`` a final chunk
    without choices carrying ``usage``."""
    base = {
        "id": "chatcmpl-5a0e1e8f-3b0e-4a5d-9c7e-7d2b9b1c2f11",
        "object": "chat.completion.chunk",
        "created": 1_730_241_104,
        "model": MODEL,
        "system_fingerprint": "fp_179b0f92c9",
    }
    counts = usage() if usage_body is None else usage_body

    def chunk(delta: dict[str, Any], reason: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
        return {**base, "choices": [choice], **extra}

    chunks = [chunk({"role": "assistant", "content": ""}, x_groq={"id": REQUEST_ID})]
    chunks += [chunk({"reasoning": piece}) for piece in reasoning or ()]
    chunks += [chunk({"content": word}) for word in words]
    chunks += [chunk({"tool_calls": [delta]}) for delta in tool_call_deltas or ()]
    last = {"id": REQUEST_ID, "usage": counts} if groq_usage else {"id": REQUEST_ID}
    chunks.append(chunk({}, finish_reason, x_groq=last))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": counts, "x_groq": {"id": REQUEST_ID}})
    return chunks


def error_body(code: str | None, message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    """Groq's error object (the body of an HTTP error; sent alone as a data line inside a stream)."""
    error: dict[str, Any] = {"message": message, "type": kind}
    if code is not None:
        error["code"] = code
    return {"error": error}


def sse_error_event(body: dict[str, Any]) -> bytes:
    """An SSE ``error`` event (``event: error``), the other way a server may fail an open stream."""
    return f"event: error\ndata: {json.dumps(body)}\n\n".encode()


def embeddings_body(vectors: int = 2, dimensions: int = 8) -> dict[str, Any]:
    return {
        "object": "list",
        "model": "nomic-embed-text-v1_5",
        "data": [
            {"object": "embedding", "index": i, "embedding": [0.01 * (i + 1)] * dimensions}
            for i in range(vectors)
        ],
        "usage": {"prompt_tokens": 6, "total_tokens": 6},
    }


@dataclass
class FakeGroq:
    """Answers the SDK's HTTP requests from a queue of canned answers per path, and keeps the requests."""

    routes: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[Any] = field(default_factory=list)

    def reply(self, path: str, body: Any = None, *, status: int = 200, stream: Any = None,
              headers: dict[str, str] | None = None, error: BaseException | None = None) -> None:  # fmt: skip
        """Queue an answer for ``path`` (``/chat/completions``, ``/embeddings``): JSON, SSE bytes (or an
        iterator of bytes), or an exception. Served in order; the last one answers every later request."""
        self.routes.setdefault(path, []).append((body, status, stream, headers or {}, error))

    def __call__(self, request: Any) -> Any:
        import httpx

        self.requests.append(request)
        path = request.url.path.removeprefix(PREFIX)
        queue = self.routes.get(path)
        if not queue:
            return httpx.Response(404, json=error_body("unknown_url", f"Unknown request URL: {path}"))
        body, status, stream, headers, error = queue.pop(0) if len(queue) > 1 else queue[0]
        if error is not None:
            raise error
        if stream is not None:
            return httpx.Response(
                status, content=stream, headers={"content-type": "text/event-stream", **headers}
            )
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    def last_json(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)


def make_client(fake: FakeGroq, *, is_async: bool = False, base_url: str = BASE_URL) -> Any:
    """A real ``groq.Groq`` / ``AsyncGroq`` answered by ``fake`` (no retries)."""
    import groq
    import httpx

    if is_async:
        http: Any = httpx.AsyncClient(transport=httpx.MockTransport(fake))
        return groq.AsyncGroq(api_key="gsk-test", base_url=base_url, http_client=http, max_retries=0)
    http = httpx.Client(transport=httpx.MockTransport(fake))
    return groq.Groq(api_key="gsk-test", base_url=base_url, http_client=http, max_retries=0)
