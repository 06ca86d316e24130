"""A local Ollama server for the real ``ollama`` client, and the bodies it answers with.

The client hands extra keyword arguments to ``httpx.Client`` / ``httpx.AsyncClient``, so
``ollama.Client(host=..., transport=httpx.MockTransport(fake))`` sends every request through ``FakeOllama``:
the SDK's own request building, NDJSON line splitting, response models and ``ResponseError`` all run.
Bodies follow the shapes of the Ollama API reference (``docs/api.md``: ``/api/chat``, ``/api/generate``,
``/api/embed``, ``/api/embeddings``): a stream is NDJSON, one JSON object per line, the last one with
``"done": true``, the ``done_reason``, the counts and the server's timings (nanoseconds); an error is
``{"error": "..."}`` with the HTTP status, or a line ``{"error": "..."}`` inside a stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx

from helpers.api import SyncOrAsync, breaking_body

MODEL = "llama3.2"
HOST = "127.0.0.1"  # the client's default host: http://127.0.0.1:11434
PORT = 11434
CREATED_AT = "2024-07-22T20:33:28.123648Z"
# the server's timings of a call, as the reference's example sends them (nanoseconds)
TIMINGS = {
    "total_duration": 885095291,
    "load_duration": 3753500,
    "prompt_eval_duration": 328493000,
    "eval_duration": 552222000,
}
PROMPT_EVAL_COUNT = 26
EVAL_COUNT = 298
NDJSON = "application/x-ndjson"


def _final(done_reason: str | None, prompt_eval_count: int | None, eval_count: int | None) -> dict[str, Any]:
    """What the last (or only) object of an answer adds: done, the reason, the counts, the timings."""
    final: dict[str, Any] = {"done": True, **TIMINGS}
    if done_reason is not None:
        final["done_reason"] = done_reason
    if prompt_eval_count is not None:
        final["prompt_eval_count"] = prompt_eval_count
    if eval_count is not None:
        final["eval_count"] = eval_count
    return final


def function_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One ``message.tool_calls`` item: Ollama's calls have no id."""
    return {"function": {"name": name, "arguments": arguments}}


def assistant(content: str = "", *, tool_calls: Any = None, thinking: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return message


def chat_response(
    content: str = "",
    *,
    tool_calls: Any = None,
    thinking: str | None = None,
    done_reason: str | None = "stop",
    prompt_eval_count: int | None = PROMPT_EVAL_COUNT,
    eval_count: int | None = EVAL_COUNT,
    model: str = MODEL,
) -> dict[str, Any]:
    """``/api/chat`` with ``"stream": false``."""
    return {
        "model": model,
        "created_at": CREATED_AT,
        "message": assistant(content, tool_calls=tool_calls, thinking=thinking),
        **_final(done_reason, prompt_eval_count, eval_count),
    }


def chat_chunks(
    pieces: Iterable[str],
    *,
    thinking: Iterable[str] = (),
    tool_calls: Any = None,
    done_reason: str | None = "stop",
    prompt_eval_count: int | None = PROMPT_EVAL_COUNT,
    eval_count: int | None = EVAL_COUNT,
    final: bool = True,
    model: str = MODEL,
) -> list[dict[str, Any]]:
    """A streamed ``/api/chat``: the thinking pieces, the text pieces, one chunk with the tool calls, and
    the final chunk (an empty message with the counts) unless ``final`` is False."""

    def chunk(message: dict[str, Any]) -> dict[str, Any]:
        return {"model": model, "created_at": CREATED_AT, "message": message, "done": False}

    chunks = [chunk(assistant("", thinking=piece)) for piece in thinking]
    chunks += [chunk(assistant(piece)) for piece in pieces]
    if tool_calls is not None:
        chunks.append(chunk(assistant("", tool_calls=tool_calls)))
    if final:
        last = chunk(assistant(""))
        last.update(_final(done_reason, prompt_eval_count, eval_count))
        chunks.append(last)
    return chunks


def generate_response(
    text: str,
    *,
    thinking: str | None = None,
    done_reason: str | None = "stop",
    prompt_eval_count: int | None = PROMPT_EVAL_COUNT,
    eval_count: int | None = EVAL_COUNT,
) -> dict[str, Any]:
    """``/api/generate`` with ``"stream": false`` (``context``: the tokens of the exchange)."""
    body: dict[str, Any] = {"model": MODEL, "created_at": CREATED_AT, "response": text, "context": [1, 2, 3]}
    if thinking is not None:
        body["thinking"] = thinking
    body.update(_final(done_reason, prompt_eval_count, eval_count))
    return body


def generate_chunks(
    pieces: Iterable[str],
    *,
    done_reason: str | None = "stop",
    prompt_eval_count: int | None = PROMPT_EVAL_COUNT,
    eval_count: int | None = EVAL_COUNT,
) -> list[dict[str, Any]]:
    """A streamed ``/api/generate``: one object per piece, then the final one (empty ``response``)."""
    chunks: list[dict[str, Any]] = [
        {"model": MODEL, "created_at": CREATED_AT, "response": piece, "done": False} for piece in pieces
    ]
    last = {"model": MODEL, "created_at": CREATED_AT, "response": "", "context": [1, 2, 3]}
    last.update(_final(done_reason, prompt_eval_count, eval_count))
    return [*chunks, last]


def vector(dimensions: int, seed: int = 0) -> list[float]:
    return [round(0.01 * (seed + 1) * (i + 1), 4) for i in range(dimensions)]


def embed_response(inputs: int = 1, dimensions: int = 8, prompt_eval_count: int = 8) -> dict[str, Any]:
    """``/api/embed``: one vector per input, the model, the prompt count and the timings."""
    return {
        "model": "all-minilm",
        "embeddings": [vector(dimensions, i) for i in range(inputs)],
        "total_duration": 14143917,
        "load_duration": 1019500,
        "prompt_eval_count": prompt_eval_count,
    }


def embeddings_response(dimensions: int = 8) -> dict[str, Any]:
    """``/api/embeddings`` (the older endpoint): one vector, nothing else."""
    return {"embedding": vector(dimensions)}


def ndjson(objects: Sequence[dict[str, Any]]) -> bytes:
    """What the server streams: one compact JSON object per line."""
    return b"".join(json.dumps(item, separators=(",", ":")).encode() + b"\n" for item in objects)


class FakeOllama:
    """Answers ``/api/*`` from what the test queued, per path; keeps every request it saw.

    ``reply(path, body)`` answers JSON (``status`` for errors); ``reply(path, stream=[...])`` answers NDJSON;
    ``break_after`` makes the body fail like a dropped connection after those objects. An answer stays
    until replaced, so a test can call several times. ``on_request`` runs as each request arrives (inside
    the client's call: what is current then is what the request was sent under).
    """

    def __init__(self, is_async: bool = False) -> None:
        self.is_async = is_async
        self.routes: dict[str, Callable[[], httpx.Response]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.on_request: Callable[[httpx.Request], None] | None = None

    def reply(
        self,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        stream: Sequence[dict[str, Any]] | None = None,
        break_after: Exception | None = None,
    ) -> None:
        if stream is None:
            self.routes[path] = lambda: httpx.Response(status, json=body)
        elif break_after is None:
            content = ndjson(stream)
            self.routes[path] = lambda: httpx.Response(
                status, content=content, headers={"content-type": NDJSON}
            )
        else:
            head, error = ndjson(stream), break_after
            self.routes[path] = lambda: httpx.Response(
                status, content=breaking_body(self.is_async, head, error), headers={"content-type": NDJSON}
            )

    def fail_connecting(self, path: str) -> None:
        """Requests to ``path`` fail as a server that is not running makes them fail."""

        def refuse() -> httpx.Response:
            raise httpx.ConnectError("[Errno 111] Connection refused")

        self.routes[path] = refuse

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.url.path, json.loads(request.content or b"{}")))
        if self.on_request is not None:
            self.on_request(request)
        answer = self.routes.get(request.url.path)
        if answer is None:
            return httpx.Response(404, json={"error": f"no answer queued for {request.url.path}"})
        return answer()

    def last_json(self) -> dict[str, Any]:
        return self.requests[-1][1]


def make_client(fake: FakeOllama, host: str | None = None) -> Any:
    """The real ``ollama.Client`` / ``AsyncClient`` (as ``fake.is_async`` says) answered by ``fake``."""
    import ollama

    transport = httpx.MockTransport(fake)
    client_class = ollama.AsyncClient if fake.is_async else ollama.Client
    return client_class(host=host, transport=transport)


class Api(SyncOrAsync):
    """The same ollama calls on the sync or the async client: tests ``await`` either one."""

    def __init__(self, client: Any, fake: FakeOllama) -> None:
        self.client = client
        self.fake = fake

    @property
    def is_async(self) -> bool:
        return self.fake.is_async

    async def chat(self, content: str = "Why is the sky blue?", **kwargs: Any) -> Any:
        kwargs.setdefault("messages", [{"role": "user", "content": content}])
        return await self._await(self.client.chat(kwargs.pop("model", MODEL), **kwargs))

    async def generate(self, prompt: str = "Why is the sky blue?", **kwargs: Any) -> Any:
        return await self._await(self.client.generate(kwargs.pop("model", MODEL), prompt, **kwargs))

    async def embed(self, input: Any = "Hello", **kwargs: Any) -> Any:
        return await self._await(self.client.embed(kwargs.pop("model", "all-minilm"), input, **kwargs))

    async def embeddings(self, prompt: str = "Hello", **kwargs: Any) -> Any:
        return await self._await(self.client.embeddings(kwargs.pop("model", "all-minilm"), prompt, **kwargs))

    async def aclose(self, stream: Any) -> None:
        """End a stream before its end: ``close()`` / the async generator's ``aclose()``."""
        if self.is_async:
            await stream.aclose()
        else:
            stream.close()
