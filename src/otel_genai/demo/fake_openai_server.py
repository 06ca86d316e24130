"""A small, deterministic, OpenAI-compatible HTTP server, so the demo and tests need no key and no network.

It speaks just enough of the API for the real ``openai`` client to work against it:

* ``POST /v1/chat/completions``: plain JSON, or server-sent events when ``stream`` is true (with a final
  usage chunk when ``stream_options.include_usage`` is set). When the request offers a tool that the
  fake model knows how to use (see ``TOOL_SKILLS``) and the user's question calls for it, the reply is a
  tool call; after a ``tool`` message, the reply is a text answer built from the tool's result.
* ``POST /v1/embeddings``: unit vectors derived from a hash of each input text (``dimensions`` and
  ``encoding_format`` honoured).
* ``POST /v1/responses``: the Responses API, plain JSON only.

Everything is derived from the request (ids, vectors, token counts): the same request always gets the same
answer. To teach the fake model a new tool, add a ``ToolSkill`` to ``TOOL_SKILLS``; to add an endpoint,
add a function to ``ROUTES``.

In code::

    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-local")

Standalone: ``python -m otel_genai.demo.fake_openai_server --port 8000`` (or
``python examples/fake_openai_server.py --port 8000`` in a checkout).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A fixed "now", so that bodies are byte-for-byte reproducible (2023-11-14T22:13:20Z).
CREATED = 1_700_000_000
SYSTEM_FINGERPRINT = "fp_fake0openai"
SERVICE_TIER = "default"
# Requested model -> the dated snapshot the API reports back; other models are echoed as given.
MODEL_SNAPSHOTS = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
}
EMBEDDING_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072}
DEFAULT_EMBEDDING_DIMENSIONS = 1536


class ApiError(Exception):
    """Turned into an OpenAI-style error body (``{"error": {...}}``) with the given HTTP status."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
        }


# --- the fake model's "brain" ---------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One conversation message, reduced to what the fake model reasons about."""

    role: str  # system, user, assistant or tool
    text: str
    tool_name: str | None = None  # for tool results: the tool that produced them, when known


@dataclass(frozen=True)
class ToolCall:
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the fake model says: text, or tool calls (then ``text`` is empty)."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"


@dataclass(frozen=True)
class ToolSkill:
    """A tool the fake model knows how to use.

    ``arguments_for`` reads the user's question and returns the call's arguments, or ``None`` when the
    tool does not help with that question; ``answer_from`` turns the tool's result into the reply.
    """

    name: str
    arguments_for: Callable[[str], dict[str, Any] | None]
    answer_from: Callable[[Any], str]


_ORDER_ID = re.compile(r"\border\b\D{0,12}?([A-Z]{0,3}-?\d{3,})", re.IGNORECASE)


def _order_status_arguments(question: str) -> dict[str, Any] | None:
    match = _ORDER_ID.search(question)
    return {"order_id": match.group(1).upper()} if match else None


def _order_status_answer(result: Any) -> str:
    if not isinstance(result, dict):
        return f"Here is what I found about your order: {result}"
    order = result.get("order_id", "your order")
    if result.get("found") is False or result.get("error"):
        return f"I could not find order {order}. Could you double-check the number?"
    details = ", ".join(
        f"{key.replace('_', ' ')}: {value}" for key, value in result.items() if key != "order_id"
    )
    note = ""
    if result.get("status") == "shipped":  # what the help article retrieved before says about it
        note = " You can change the delivery address only until the order has shipped, so it is fixed now."
    return f"Thanks for waiting! I checked order {order} for you: {details}.{note} Anything else I can do?"


TOOL_SKILLS: dict[str, ToolSkill] = {
    skill.name: skill
    for skill in (
        ToolSkill("get_order_status", _order_status_arguments, _order_status_answer),
    )
}  # fmt: skip


def think(conversation: list[Turn], offered_tools: Iterable[str], seed: str) -> Reply:
    """Decide the reply: a tool call for a question a tool can answer, an answer from a tool result, or
    a plain text reply. ``seed`` makes the tool-call ids unique per request yet deterministic."""
    if not conversation:
        return Reply(text="Hello! How can I help you today?")
    last = conversation[-1]
    if last.role == "tool":
        skill = TOOL_SKILLS.get(last.tool_name or "")
        result = _json_or_text(last.text)
        return Reply(text=skill.answer_from(result) if skill else f"The tool returned: {last.text}")
    if last.role == "user":
        for name in offered_tools:
            skill = TOOL_SKILLS.get(name)
            arguments = skill.arguments_for(last.text) if skill else None
            if arguments is not None:
                call_id = "call_" + _digest(seed, name)[:24]
                return Reply(tool_calls=(ToolCall(call_id, name, arguments),))
    question = last.text.strip() or "your message"
    return Reply(
        text=f'I am a local stand-in for the OpenAI API. You said: "{question}". How else can I help?'
    )


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


# --- helpers shared by the endpoints -------------------------------------------------------------


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def count_tokens(text: str) -> int:
    """A rough, deterministic token count (words and punctuation); real tokenizers are not needed here."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def _response_model(model: str) -> str:
    return MODEL_SNAPSHOTS.get(model, model)


def _text_of(content: Any) -> str:
    """A message ``content``: a string, or a list of typed parts (only text parts count)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _require(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"Missing or invalid required parameter: '{name}'.", param=name
        )
    return value


def _words(text: str) -> list[str]:
    """Stream pieces: each word with the whitespace after it, so that they join back to ``text``."""
    return re.findall(r"\S+\s*", text) or [text]


# --- POST /v1/chat/completions ------------------------------------------------------------------


def _chat_conversation(messages: list[Any]) -> list[Turn]:
    tool_names: dict[str, str] = {}  # tool_call_id -> tool name, from earlier assistant messages
    turns = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role", "user"))
        for call in message.get("tool_calls") or ():
            tool_names[call.get("id", "")] = (call.get("function") or {}).get("name", "")
        tool_name = tool_names.get(message.get("tool_call_id", "")) if role == "tool" else None
        turns.append(Turn(role, _text_of(message.get("content")), tool_name))
    return turns


def _offered_chat_tools(body: dict[str, Any]) -> list[str]:
    if body.get("tool_choice") == "none":
        return []
    return [(tool.get("function") or {}).get("name", "") for tool in body.get("tools") or ()]


def _chat_usage(conversation: list[Turn], reply: Reply) -> dict[str, Any]:
    prompt = sum(count_tokens(turn.text) + 4 for turn in conversation)
    completion = count_tokens(reply.text) + sum(
        count_tokens(call.name + json.dumps(call.arguments)) for call in reply.tool_calls
    )
    return chat_usage(prompt, completion)


def chat_usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """A ``chat.completion``'s ``usage`` object, with the details the real API reports as zeros."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


def chat_completions(body: dict[str, Any]) -> dict[str, Any] | Iterator[dict[str, Any]]:
    model = _require(body, "model", str)
    conversation = _chat_conversation(_require(body, "messages", list))
    seed = _digest("chat", body)
    reply = think(conversation, _offered_chat_tools(body), seed)
    common = {
        "id": "chatcmpl-" + seed[:29],
        "created": CREATED,
        "model": _response_model(model),
        "service_tier": SERVICE_TIER,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    usage = _chat_usage(conversation, reply)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return _chat_chunks(common, reply, usage if include_usage else None)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text or None,
        "refusal": None,
        "annotations": [],
    }
    if reply.tool_calls:
        message["tool_calls"] = [_tool_call_json(call) for call in reply.tool_calls]
    return {
        **common,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}],
        "usage": usage,
    }


def _chat_chunks(
    common: dict[str, Any], reply: Reply, usage: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` events of a streamed reply, as the API sends them."""
    # With include_usage, every chunk carries "usage": null and one last chunk carries the usage.
    extra = {"usage": None} if usage is not None else {}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**common, "object": "chat.completion.chunk", "choices": [choice], **extra}

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in _words(reply.text) if reply.text else ():
        yield chunk({"content": piece})
    for index, call in enumerate(reply.tool_calls):
        opening = {"index": index, "id": call.call_id, "type": "function"}
        yield chunk({"tool_calls": [{**opening, "function": {"name": call.name, "arguments": ""}}]})
        for piece in _words(json.dumps(call.arguments)):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, reply.finish_reason)
    if usage is not None:
        yield {**common, "object": "chat.completion.chunk", "choices": [], "usage": usage}


# --- POST /v1/embeddings --------------------------------------------------------------------------


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector derived from a hash of ``text``: equal texts get equal vectors."""
    values: list[float] = []
    block = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{block}:{text}".encode()).digest()
        values.extend(byte / 127.5 - 1.0 for byte in digest)
        block += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def embeddings(body: dict[str, Any]) -> dict[str, Any]:
    model = _require(body, "model", str)
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "'input' must be a string or a list of strings.", param="input"
        )
    dimensions = body.get("dimensions") or EMBEDDING_DIMENSIONS.get(model, DEFAULT_EMBEDDING_DIMENSIONS)
    if not isinstance(dimensions, int) or dimensions < 1:
        raise ApiError(HTTPStatus.BAD_REQUEST, "'dimensions' must be a positive integer.", param="dimensions")
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(text, dimensions)
        encoded: Any = (
            base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(count_tokens(text) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


# --- POST /v1/responses ---------------------------------------------------------------------------


def _responses_conversation(body: dict[str, Any]) -> list[Turn]:
    turns = []
    if isinstance(body.get("instructions"), str):
        turns.append(Turn("system", body["instructions"]))
    items = body.get("input")
    if isinstance(items, str):
        return [*turns, Turn("user", items)]
    tool_names: dict[str, str] = {}  # call_id -> tool name
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "function_call":
            tool_names[item.get("call_id", "")] = item.get("name", "")
            turns.append(Turn("assistant", ""))
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            turns.append(Turn("tool", text, tool_names.get(item.get("call_id", ""))))
        elif "role" in item:
            turns.append(Turn(str(item["role"]), _text_of(item.get("content"))))
    return turns


def responses(body: dict[str, Any]) -> dict[str, Any]:
    model = _require(body, "model", str)
    if body.get("stream"):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "This fake server does not stream the Responses API yet.", "stream"
        )
    conversation = _responses_conversation(body)
    offered = [tool.get("name", "") for tool in body.get("tools") or () if tool.get("type") == "function"]
    seed = _digest("responses", body)
    reply = think(conversation, offered, seed)
    output: list[dict[str, Any]]
    if reply.tool_calls:
        output = [
            {
                "type": "function_call",
                "id": "fc_" + _digest(seed, call.call_id)[:24],
                "call_id": call.call_id,
                "name": call.name,
                "arguments": json.dumps(call.arguments),
                "status": "completed",
            }
            for call in reply.tool_calls
        ]
    else:
        text_part = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
        output = [
            {
                "type": "message",
                "id": "msg_" + seed[:24],
                "status": "completed",
                "role": "assistant",
                "content": [text_part],
            }
        ]
    input_tokens = sum(count_tokens(turn.text) + 4 for turn in conversation)
    output_tokens = count_tokens(reply.text) + sum(
        count_tokens(json.dumps(c.arguments)) for c in reply.tool_calls
    )
    return {
        "id": "resp_" + seed[:32],
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "model": _response_model(model),
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "service_tier": SERVICE_TIER,
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


# --- HTTP -----------------------------------------------------------------------------------------

# path -> endpoint. An endpoint returns a JSON body, or an iterator of events to send as SSE.
Endpoint = Callable[[dict[str, Any]], dict[str, Any] | Iterator[dict[str, Any]]]
ROUTES: dict[str, Endpoint] = {
    "/v1/chat/completions": chat_completions,
    "/v1/embeddings": embeddings,
    "/v1/responses": responses,
}


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: Any


class _Handler(BaseHTTPRequestHandler):
    """Routes POSTs to ``ROUTES``. HTTP/1.1 with keep-alive, as the client pools its connections."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small writes go out at once (no 40 ms delayed-ACK stalls)
    server: _Server

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self.server.record(RecordedRequest(path, body))
        endpoint = ROUTES.get(path)
        try:
            if endpoint is None:
                raise ApiError(HTTPStatus.NOT_FOUND, f"Invalid URL (POST {path})", code="unknown_url")
            if not isinstance(body, dict):
                raise ApiError(HTTPStatus.BAD_REQUEST, "The request body is not a JSON object.")
            result = endpoint(body)
        except ApiError as error:
            self._send_json(error.status, error.body)
            return
        if isinstance(result, dict):
            self._send_json(HTTPStatus.OK, result)
        else:
            self._send_events(result)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            models = [
                {"id": m, "object": "model", "created": CREATED, "owned_by": "system"}
                for m in MODEL_SNAPSHOTS
            ]
            self._send_json(HTTPStatus.OK, {"object": "list", "data": models})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, ApiError(404, f"Invalid URL (GET {self.path})").body)

    def _headers(self, status: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("x-request-id", "req_" + _digest(self.path, self.server.request_count)[:32])
        self.send_header("openai-processing-ms", "1")

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self._headers(status, "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_events(self, events: Iterator[dict[str, Any]]) -> None:
        """Server-sent events in chunked transfer encoding, ending with ``data: [DONE]``."""
        self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.verbose = verbose
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


@dataclass
class FakeOpenAIServer:
    """The server, run in a background thread: ``start()`` returns the base URL, ``stop()`` ends it.

    ``port=0`` (the default) picks a free port. ``requests`` lists what was received, for tests.
    """

    host: str = "127.0.0.1"
    port: int = 0
    verbose: bool = False
    _server: _Server | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running; call start() first")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self._server.requests) if self._server else []

    def start(self) -> str:
        if self._server is None:
            self._server = _Server((self.host, self.port), self.verbose)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="fake-openai-server", daemon=True
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = _Server((args.host, args.port), verbose=True)
    host, port = server.socket.getsockname()[:2]
    print(f"Fake OpenAI API on http://{host}:{port}/v1 (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
