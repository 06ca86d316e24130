"""A local OpenAI API: canned response bodies and ``FakeOpenAI``, the transport handler that serves them.

The client stays the real ``openai.OpenAI`` / ``AsyncOpenAI``; only its HTTP transport is replaced
(the ``MockTransport`` of ``openai_http()``), so every request goes through the SDK's own request building,
SSE decoding and response parsing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


def openai_http() -> ModuleType:
    """The HTTP library the installed ``openai`` is built on: ``httpx2`` from openai 3.0, ``httpx`` before
    (same API), so the tests run against every release ``make test-matrix`` installs."""
    import openai._base_client as base_client

    return getattr(base_client, "httpx2", None) or base_client.httpx


MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"


def chat_completion(
    content: str | None = "Hello! How can I help?",
    *,
    choices: list[dict[str, Any]] | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` body."""
    if choices is None:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        choices = [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}]
    body = {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": RESPONSE_MODEL,
        "choices": choices,
        "usage": usage
        if usage is not None
        else {
            "prompt_tokens": 31,
            "completion_tokens": 58,
            "total_tokens": 89,
            "prompt_tokens_details": {"cached_tokens": 12},
            "completion_tokens_details": {"reasoning_tokens": 7},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_44709d6fcb",
    }
    body.update(extra)
    return body


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def chat_chunks(
    words: list[str],
    *,
    finish_reason: str = "stop",
    include_usage: bool = False,
    tool_call_deltas: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """``chat.completion.chunk`` bodies for a streamed answer made of ``words``."""
    base = {
        "id": "chatcmpl-stream1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_44709d6fcb",
        "service_tier": "default",
    }

    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": word}) for word in words]
    for delta in tool_call_deltas or ():
        chunks.append(chunk({"tool_calls": [delta]}))
    chunks.append(chunk({}, finish_reason))
    if include_usage:
        chunks.append(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 31, "completion_tokens": 58, "total_tokens": 89},
            }
        )
    return chunks


def sse(events: list[dict[str, Any]], *, done: bool = True, named: bool = False) -> bytes:
    """Server-sent events; ``named`` adds ``event:`` lines (the Responses API does)."""
    lines = []
    for event in events:
        if named:
            lines.append(f"event: {event['type']}\n")
        lines.append(f"data: {json.dumps(event)}\n\n")
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def responses_body(
    text: str = "Paris is the capital of France.",
    *,
    output: list[dict[str, Any]] | None = None,
    status: str = "completed",
    **extra: Any,
) -> dict[str, Any]:
    """A Responses API ``response`` object."""
    if output is None:
        output = [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ]
    body = {
        "id": "resp_123",
        "object": "response",
        "created_at": 1_700_000_000,
        "model": RESPONSE_MODEL,
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 20,
            "output_tokens": 9,
            "total_tokens": 29,
            "input_tokens_details": {"cached_tokens": 4},
            "output_tokens_details": {"reasoning_tokens": 2},
        },
        "service_tier": "default",
    }
    body.update(extra)
    return body


def embeddings_body(vectors: int = 2, dimensions: int = 8) -> dict[str, Any]:
    return {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": [
            {"object": "embedding", "index": i, "embedding": [0.01 * (i + 1)] * dimensions}
            for i in range(vectors)
        ],
        "usage": {"prompt_tokens": 6, "total_tokens": 6},
    }


# The API's paths, for a request under another base path (a suffix of one may be another: ``/completions``)
_API_PATHS = ("/chat/completions", "/completions", "/embeddings", "/responses")


@dataclass
class FakeOpenAI:
    """Answers the SDK's HTTP requests from a queue of canned responses, and keeps the requests."""

    routes: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[Any] = field(default_factory=list)

    def reply(self, path: str, body: Any = None, *, status: int = 200, stream: bytes | None = None,
              headers: dict[str, str] | None = None, error: BaseException | None = None) -> None:  # fmt: skip
        """Queue an answer for ``path`` (e.g. ``/chat/completions``): JSON, SSE bytes, or an exception.

        Answers are served in order; the last one stays and answers every later request.
        """
        self.routes.setdefault(path, []).append((body, status, stream, headers or {}, error))

    def __call__(self, request: Any) -> Any:
        httpx = openai_http()
        self.requests.append(request)
        path = request.url.path.removeprefix("/v1")
        queue = self.routes.get(path)
        if not queue:  # an OpenAI-compatible server's own base path (``/openai/v1``, ``/v1beta/openai``)
            # the longest API path the request ends with: ``/chat/completions`` never gets ``/completions``'s
            api_path = max((p for p in (*self.routes, *_API_PATHS) if path.endswith(p)), key=len, default="")
            queue = self.routes.get(api_path)
        if not queue:
            return httpx.Response(404, json={"error": {"message": f"no canned answer for {path}"}})
        body, status, stream, headers, error = queue.pop(0) if len(queue) > 1 else queue[0]
        if error is not None:
            raise error
        if stream is not None:
            return httpx.Response(
                status, content=stream, headers={"content-type": "text/event-stream", **headers}
            )
        return httpx.Response(status, json=body, headers=headers)

    def last_json(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)
