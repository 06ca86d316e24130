"""A loopback HTTP server for the providers LiteLLM calls over its own HTTP handler (Anthropic, Groq, and
OpenAI when ``Router`` builds the client from an ``api_base``): LiteLLM's real request building, HTTP client,
SSE decoding and response transformation run, and nothing leaves 127.0.0.1.

Answers are queued per path (``/v1/messages``, ``/v1/chat/completions``, ...) and served in order, the last
one staying; every request is kept (path, headers, JSON body).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    body: Any = None
    status: int = 200
    stream: bytes | None = None  # SSE bytes, sent as text/event-stream
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


class LoopbackServer:
    """``ThreadingHTTPServer`` on 127.0.0.1 (a free port) answering from queues; ``close()`` after use."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                server._received(Received(self.path, dict(self.headers), body))
                answer = server._answer(self.path)
                if answer is None:
                    self._send(404, b'{"error": {"message": "no canned answer"}}', "application/json", {})
                elif answer.stream is not None:
                    self._send(answer.status, answer.stream, "text/event-stream", answer.headers)
                else:
                    payload = json.dumps(answer.body).encode()
                    self._send(answer.status, payload, "application/json", answer.headers)

            def _send(self, status: int, payload: bytes, kind: str, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, path: str, body: Any = None, *, status: int = 200, stream: bytes | None = None,
              headers: dict[str, str] | None = None) -> None:  # fmt: skip
        with self._lock:
            self.answers.setdefault(path, []).append(Answer(body, status, stream, headers or {}))

    def _answer(self, path: str) -> Answer | None:
        path = path.split("?", 1)[0]
        with self._lock:
            queue = self.answers.get(path)
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _received(self, request: Received) -> None:
        with self._lock:
            self.requests.append(request)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
