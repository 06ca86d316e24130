"""A local Gemini API for the real ``google-genai`` client: a loopback HTTP server and the REST shapes.

The client is the real ``genai.Client`` pointed at ``http://127.0.0.1:<port>/`` through
``http_options={"base_url": ...}``: every request goes through the SDK's own request building, retries,
SSE decoding and response parsing, whatever HTTP library the installed release uses (``requests`` in 1.0,
``httpx`` / ``httpx2`` later, ``aiohttp`` for async when installed). Nothing leaves the machine.

Response bodies follow the REST reference (``GenerateContentResponse``, camelCase): ``candidates[]`` with
``content.parts``, ``finishReason`` and ``index``; ``usageMetadata`` with ``promptTokenCount``,
``candidatesTokenCount``, ``thoughtsTokenCount``, ``cachedContentTokenCount``, ``toolUsePromptTokenCount``,
``totalTokenCount``; ``modelVersion``; ``responseId``; ``promptFeedback.blockReason``. Streams are
``alt=sse``: ``data: {json}`` events, each a whole ``GenerateContentResponse``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from helpers.api import SyncOrAsync


def sdk_version() -> tuple[int, ...]:
    from google.genai import version

    return tuple(int(part) for part in version.__version__.split(".")[:3] if part.isdigit())


# The Gemini Developer API's ``responseId`` reaches ``response.response_id`` from google-genai 1.29 (before,
# the SDK dropped it; Vertex AI's was always kept): older releases give no gen_ai.response.id there.
GEMINI_RESPONSE_ID = sdk_version() >= (1, 29)

MODEL = "gemini-2.5-flash"
MODEL_VERSION = "gemini-2.5-flash"
EMBEDDING_MODEL = "text-embedding-004"


@dataclass
class Reply:
    """One scripted answer: a JSON body, or SSE ``chunks`` (``break_after``: drop the connection after that
    many, without ending the body)."""

    body: Any = None
    status: int = 200
    chunks: list[dict[str, Any]] | None = None
    break_after: int | None = None


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeGemini:
    """A loopback server answering the Gemini and Vertex AI REST APIs from a queue of ``Reply``s (or, when
    the queue is empty, a default answer for the endpoint asked)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with fake._lock:
                    fake.requests.append(Recorded("POST", self.path, body, dict(self.headers)))
                    reply = fake.replies.popleft() if fake.replies else default_reply(self.path, body)
                if reply.chunks is not None and reply.status == 200:
                    self._stream(reply)
                else:
                    self._json(reply.status, reply.body)

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for count, chunk in enumerate(reply.chunks or (), start=1):
                    event = f"data: {json.dumps(chunk)}\r\n\r\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    self.wfile.flush()
                    if reply.break_after is not None and count >= reply.break_after:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                self.wfile.write(b"0\r\n\r\n")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # a short poll interval: shutdown() waits for the loop to look (the default 0.5 s per test adds up)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()


# --- clients --------------------------------------------------------------------------------------


def gemini_client(fake: FakeGemini, **http_options: Any) -> Any:
    """A real Gemini Developer API client (dummy key) answered by ``fake``."""
    from google import genai

    return genai.Client(api_key="test-key", http_options={"base_url": fake.url, **http_options})


def vertex_client(fake: FakeGemini, **http_options: Any) -> Any:
    """A real Vertex AI client with offline credentials (a dummy token: nothing is refreshed)."""
    from google import genai
    from google.oauth2.credentials import Credentials

    return genai.Client(
        vertexai=True,
        project="test-project",
        location="us-central1",
        credentials=Credentials(token="dummy-token"),
        http_options={"base_url": fake.url, **http_options},
    )


# --- bodies ---------------------------------------------------------------------------------------


def usage(
    prompt: int = 8,
    candidates: int | None = 12,
    *,
    thoughts: int | None = None,
    cached: int | None = None,
    tool_use: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"promptTokenCount": prompt}
    total = prompt
    for key, value in (
        ("candidatesTokenCount", candidates),
        ("thoughtsTokenCount", thoughts),
        ("toolUsePromptTokenCount", tool_use),
    ):
        if value is not None:
            body[key] = value
            total += value
    if cached is not None:
        body["cachedContentTokenCount"] = cached
    body["totalTokenCount"] = total
    body["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    return body


def text(value: str, *, thought: bool = False) -> dict[str, Any]:
    part: dict[str, Any] = {"text": value}
    if thought:
        part["thought"] = True
    return part


def function_call(name: str, args: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"name": name, "args": args}
    if call_id is not None:
        call["id"] = call_id
    return {"functionCall": call}


def candidate(parts: list[dict[str, Any]], finish: str | None = "STOP", index: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": index}
    if finish is not None:
        body["finishReason"] = finish
    return body


def response(
    candidates: list[dict[str, Any]] | None = None,
    *,
    usage_metadata: dict[str, Any] | None = None,
    model_version: str = MODEL_VERSION,
    response_id: str = "resp-1",
    prompt_feedback: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if candidates is not None:
        body["candidates"] = candidates
    if prompt_feedback is not None:
        body["promptFeedback"] = prompt_feedback
    body["usageMetadata"] = usage_metadata if usage_metadata is not None else usage()
    body["modelVersion"] = model_version
    body["responseId"] = response_id
    return body


def text_response(value: str = "Paris.", finish: str = "STOP", **kwargs: Any) -> dict[str, Any]:
    return response([candidate([text(value)], finish)], **kwargs)


def stream(
    *texts: str, response_id: str = "resp-s", finish: str = "STOP", final_usage: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """SSE chunks of one text answer: usage on every chunk (the prompt count first, the totals on the last,
    as Gemini sends it), the finish reason on the last."""
    chunks = []
    for position, piece in enumerate(texts, start=1):
        last = position == len(texts)
        chunks.append(
            response(
                [candidate([text(piece)], finish if last else None)],
                usage_metadata=(final_usage or usage())
                if last
                else {"promptTokenCount": 8, "totalTokenCount": 8},
                response_id=response_id,
            )
        )
    return chunks


def error(code: int, status: str, message: str = "The request failed.") -> Reply:
    return Reply({"error": {"code": code, "message": message, "status": status}}, status=code)


def embeddings(count: int = 1, dimensions: int = 4) -> dict[str, Any]:
    """``batchEmbedContents`` (Gemini API): one vector per input, no token counts."""
    return {"embeddings": [{"values": [0.1 * (i + 1)] * dimensions} for i in range(count)]}


def vertex_predictions(count: int = 1, dimensions: int = 4, tokens: int = 5) -> dict[str, Any]:
    """Vertex AI ``:predict`` for text-embedding models: per-input statistics carry the token count."""
    return {
        "predictions": [
            {
                "embeddings": {
                    "values": [0.1] * dimensions,
                    "statistics": {"token_count": tokens, "truncated": False},
                }
            }
            for _ in range(count)
        ],
        "metadata": {"billableCharacterCount": 42},
    }


def default_reply(path: str, body: Any = None) -> Reply:
    """The answer to a request nobody scripted: one vector per input for embeddings."""
    inputs = len((body or {}).get("requests") or (body or {}).get("instances") or [None])
    if ":streamGenerateContent" in path:
        return Reply(chunks=stream("The capital ", "is Paris."))
    if ":generateContent" in path:
        return Reply(text_response())
    if ":batchEmbedContents" in path:
        return Reply(embeddings(inputs))
    if ":predict" in path:
        return Reply(vertex_predictions(inputs))
    if ":embedContent" in path:
        return Reply({"embedding": {"values": [0.1, 0.2, 0.3, 0.4]}})
    return Reply({"error": {"code": 404, "message": f"no fake for {path}", "status": "NOT_FOUND"}}, 404)


# --- the same calls on the sync and the async client ------------------------------------------------


class Api(SyncOrAsync):
    """``client.models`` or ``client.aio.models`` (and chats); tests ``await`` either one."""

    def __init__(self, client: Any, is_async: bool) -> None:
        self.client = client
        self._is_async = is_async

    @property
    def is_async(self) -> bool:
        return self._is_async

    @property
    def models(self) -> Any:
        return self.client.aio.models if self.is_async else self.client.models

    async def generate(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("contents", "What is the capital of France?")
        return await self._call(self.models.generate_content, kwargs)

    async def stream(self, **kwargs: Any) -> Any:
        """The object ``generate_content_stream`` returns (a generator / an async generator), not iterated."""
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("contents", "What is the capital of France?")
        return await self._call(self.models.generate_content_stream, kwargs)

    async def embed(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", EMBEDDING_MODEL)
        kwargs.setdefault("contents", ["What is the capital of France?"])
        return await self._call(self.models.embed_content, kwargs)

    def chat(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        chats = self.client.aio.chats if self.is_async else self.client.chats
        return chats.create(**kwargs)

    async def send(self, chat: Any, message: Any, **kwargs: Any) -> Any:
        return await self._call(chat.send_message, {"message": message, **kwargs})

    async def send_stream(self, chat: Any, message: Any) -> Any:
        return await self._call(chat.send_message_stream, {"message": message})

    async def close(self, stream: Any) -> None:
        """The SDK's streams are generators: an async one closes with ``aclose()``."""
        if self.is_async:
            await stream.aclose()
        else:
            stream.close()

    async def _call(self, method: Any, kwargs: dict[str, Any]) -> Any:
        return await self._await(method(**kwargs))
