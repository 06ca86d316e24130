"""A local AWS Bedrock: real boto3 clients answered in process, and the bodies they answer with.

``FakeBedrock().client("bedrock-runtime")`` is a real boto3 client (dummy credentials, ``us-east-1``) whose
HTTP is answered through botocore's own ``before-send`` event: request serialisation, signing, retries,
response parsing, the event-stream decoder and the error classes are all botocore's; only the socket is
replaced. Answers are queued (``reply_json``, ``reply_event_stream``, ``reply_error``) and served in order;
a request with nothing queued fails the test (nothing ever reaches AWS). ``requests`` keeps what the client
sent (operation path, headers, body).

Event streams (``converse_stream``, ``invoke_model_with_response_stream``) are encoded as AWS sends them
(``application/vnd.amazon.eventstream``) by ``helpers.aws_eventstream``; botocore ships only the decoder.
Bodies follow the Bedrock API reference (Converse, ConverseStream, InvokeModel*, Retrieve).

Stable API (the model-family tests import it): ``FakeBedrock``, ``encode_message``, ``event_message``,
``exception_message``, ``chunk_message``, ``no_retry_sleep`` and the body builders below.
"""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

# the encoder lives in ``aws_eventstream`` (shared with ``anthropic_fakes``); re-exported, as before
from helpers.aws_eventstream import chunk_message, encode_message, event_message, exception_message

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "dummy-secret"}
EVENT_STREAM = "application/vnd.amazon.eventstream"
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
CLAUDE_PROFILE = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
NOVA = "amazon.nova-lite-v1:0"


# --- answers ---------------------------------------------------------------------------------------


@dataclass
class SentRequest:
    """What the client sent: the URL path (``/model/{id}/converse``), headers and body."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.url.split("amazonaws.com", 1)[-1] if "amazonaws.com" in self.url else self.url

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    chunks: list[bytes]
    error: BaseException | None = None  # raised by the body after ``chunks`` (a broken connection)


class _RawBody(io.RawIOBase):
    """The HTTP body botocore reads (``raw.stream()`` for event streams and content, ``read`` for a
    ``StreamingBody``): the answer's chunks, one per ``stream()`` step, then its error if it has one."""

    def __init__(self, chunks: list[bytes], error: BaseException | None) -> None:
        super().__init__()
        self._chunks = deque(chunks)
        self._error = error
        self.close_count = 0

    def readable(self) -> bool:
        return True

    def stream(self, amt: int = 2**16, decode_content: bool | None = None) -> Iterator[bytes]:
        while self._chunks:
            yield self._chunks.popleft()
        if self._error is not None:
            raise self._error

    def read(self, amt: int | None = -1) -> bytes:  # type: ignore[override]
        data = b"".join(self._chunks)
        if amt is None or amt < 0 or amt >= len(data):
            self._chunks.clear()
            if self._error is not None and not data:
                raise self._error
            return data
        self._chunks = deque([data[amt:]])
        return data[:amt]

    def close(self) -> None:
        self.close_count += 1
        super().close()


class FakeBedrock:
    """Queued answers for real boto3 Bedrock clients; ``requests`` records what they sent."""

    def __init__(self) -> None:
        self.answers: deque[_Answer] = deque()
        self.requests: list[SentRequest] = []
        self.bodies: list[_RawBody] = []  # the HTTP bodies served, in order (``close_count``)
        self._request_ids = 0

    # --- queueing answers ------------------------------------------------------------------------

    def reply_json(
        self,
        body: Any,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        times: int = 1,
        broken: bool = False,
    ) -> None:
        """A JSON answer (``converse``, ``retrieve``; ``invoke_model``'s model body). ``broken``: the
        connection resets while the body is read (headers arrived; urllib3's ``ProtocolError``)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        for _ in range(times):
            headers_sent = {"Content-Type": "application/json", **(headers or {})}
            if broken:
                self._queue(status, headers_sent, [], _connection_reset())
            else:
                self._queue(status, headers_sent, [raw])

    def reply_event_stream(
        self,
        messages: Iterable[bytes],
        headers: Mapping[str, str] | None = None,
        *,
        broken_after: int | None = None,
    ) -> None:
        """An event-stream answer, one encoded message per network read. ``broken_after=n``: the
        connection resets after ``n`` messages (urllib3's ``ProtocolError`` reaches the application)."""
        chunks = list(messages)
        error = None
        if broken_after is not None:
            chunks = chunks[:broken_after]
            error = _connection_reset()
        # InvokeModelWithResponseStream names the model's content type in its own header
        defaults = {"Content-Type": EVENT_STREAM, "X-Amzn-Bedrock-Content-Type": "application/json"}
        self._queue(200, {**defaults, **(headers or {})}, chunks, error)

    def reply_error(
        self, code: str, message: str = "The request failed.", status: int = 400, *, times: int = 1
    ) -> None:
        """An AWS JSON error: ``{"message"}`` with the code in ``x-amzn-ErrorType`` (as Bedrock sends it)."""
        headers = {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        }
        for _ in range(times):
            self._queue(status, headers, [json.dumps({"message": message}).encode()])

    def _queue(
        self, status: int, headers: dict[str, str], chunks: list[bytes], error: BaseException | None = None
    ) -> None:
        self.answers.append(_Answer(status, headers, chunks, error))

    # --- clients ---------------------------------------------------------------------------------

    def client(
        self,
        service: str = "bedrock-runtime",
        *,
        retries: int = 0,
        endpoint_url: str | None = None,
        **config: Any,
    ) -> Any:
        """A real boto3 client for ``service`` answered by this fake: ``retries`` retries (see
        ``no_retry_sleep``), ``endpoint_url`` as given to boto3, ``config`` for botocore's ``Config``."""
        client = _session().client(
            service,
            endpoint_url=endpoint_url,
            config=Config(retries={"total_max_attempts": retries + 1, "mode": "standard"}, **config),
        )
        return self.install(client)

    def install(self, client: Any) -> Any:
        """Answer an existing botocore client's requests from this fake."""
        client.meta.events.register("before-send", self._answer)
        return client

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):  # query-protocol services (STS) send form text
            body = body.encode()
        self.requests.append(
            SentRequest(request.method, request.url, dict(request.headers.items()), bytes(body or b""))
        )
        assert self.answers, f"no answer queued for {request.method} {request.url}"
        answer = self.answers.popleft()
        self._request_ids += 1
        headers = {"x-amzn-RequestId": f"req-{self._request_ids:04d}", **answer.headers}
        raw = _RawBody(answer.chunks, answer.error)
        self.bodies.append(raw)
        return AWSResponse(request.url, answer.status, headers, raw)


def _connection_reset() -> BaseException:
    import urllib3.exceptions

    return urllib3.exceptions.ProtocolError(
        "Connection broken: ConnectionResetError(104, 'Connection reset by peer')"
    )


_SESSIONS: list[boto3.session.Session] = []


def _session() -> boto3.session.Session:
    """One boto3 session per process (loading service models is what makes clients slow to create)."""
    if not _SESSIONS:
        _SESSIONS.append(boto3.session.Session(region_name=REGION, **CREDENTIALS))
    return _SESSIONS[0]


def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps between retries (``botocore.endpoint`` calls ``time.sleep``): not in tests."""

    class _Time:
        @staticmethod
        def sleep(seconds: float) -> None:
            pass

    monkeypatch.setattr(botocore.endpoint, "time", _Time)


# --- Converse bodies (API reference: Converse, ConverseStream) ---------------------------------------


def converse_response(
    content: list[dict[str, Any]] | None = None,
    *,
    stop_reason: str = "end_turn",
    usage: dict[str, Any] | None = None,
    latency_ms: int = 412,
    **extra: Any,
) -> dict[str, Any]:
    """A ``Converse`` answer: one assistant message, stop reason, usage and metrics."""
    body: dict[str, Any] = {
        "output": {
            "message": {"role": "assistant", "content": content or [{"text": "Hello! How can I help?"}]}
        },
        "stopReason": stop_reason,
        "usage": usage or {"inputTokens": 21, "outputTokens": 9, "totalTokens": 30},
        "metrics": {"latencyMs": latency_ms},
    }
    body.update(extra)
    return body


def converse_stream_messages(
    blocks: list[dict[str, Any]] | None = None,
    *,
    stop_reason: str = "end_turn",
    usage: dict[str, Any] | None = None,
    latency_ms: int = 380,
) -> list[bytes]:
    """``ConverseStream`` events: messageStart, per block (start for tool use, deltas, stop), messageStop,
    metadata. A block is ``{"text": [pieces]}``, ``{"reasoning": [pieces], "signature": ...}`` or
    ``{"toolUse": {"toolUseId", "name"}, "input": [json pieces]}``."""
    if blocks is None:
        blocks = [{"text": ["Hello", "! How", " can I help?"]}]
    messages = [event_message("messageStart", {"role": "assistant"})]
    for index, block in enumerate(blocks):
        if "toolUse" in block:
            start = {"contentBlockIndex": index, "start": {"toolUse": block["toolUse"]}}
            messages.append(event_message("contentBlockStart", start))
            for piece in block.get("input", []):
                delta = {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}
                messages.append(event_message("contentBlockDelta", delta))
        elif "reasoning" in block:
            for piece in block["reasoning"]:
                delta = {"contentBlockIndex": index, "delta": {"reasoningContent": {"text": piece}}}
                messages.append(event_message("contentBlockDelta", delta))
            if block.get("signature"):
                signature = {"reasoningContent": {"signature": block["signature"]}}
                messages.append(
                    event_message("contentBlockDelta", {"contentBlockIndex": index, "delta": signature})
                )
        else:
            for piece in block["text"]:
                delta = {"contentBlockIndex": index, "delta": {"text": piece}}
                messages.append(event_message("contentBlockDelta", delta))
        messages.append(event_message("contentBlockStop", {"contentBlockIndex": index}))
    messages.append(event_message("messageStop", {"stopReason": stop_reason}))
    metadata = {
        "usage": usage or {"inputTokens": 21, "outputTokens": 9, "totalTokens": 30},
        "metrics": {"latencyMs": latency_ms},
    }
    messages.append(event_message("metadata", metadata))
    return messages


# --- Knowledge Bases (bedrock-agent-runtime Retrieve) ------------------------------------------------


def retrieval_result(
    text: str, score: float, uri: str, chunk_id: str | None = None, data_source: str = "DS1234"
) -> dict[str, Any]:
    """One ``retrievalResults`` item of an S3 data source."""
    metadata: dict[str, Any] = {
        "x-amz-bedrock-kb-source-uri": uri,
        "x-amz-bedrock-kb-data-source-id": data_source,
    }
    if chunk_id is not None:
        metadata["x-amz-bedrock-kb-chunk-id"] = chunk_id
    return {
        "content": {"text": text, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": uri}},
        "score": score,
        "metadata": metadata,
    }


def retrieve_response(results: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "retrievalResults": results
        if results is not None
        else [
            retrieval_result("Refunds take 5 days.", 0.82, "s3://kb-docs/refunds.md", "chunk-1"),
            retrieval_result("Returns need a receipt.", 0.61, "s3://kb-docs/returns.md", "chunk-2"),
        ]
    }
    body.update(extra)
    return body


__all__ = [
    "CLAUDE",
    "CLAUDE_PROFILE",
    "EVENT_STREAM",
    "NOVA",
    "REGION",
    "FakeBedrock",
    "SentRequest",
    "chunk_message",
    "converse_response",
    "converse_stream_messages",
    "encode_message",
    "event_message",
    "exception_message",
    "has_member",
    "has_operation",
    "needs_member",
    "needs_operation",
    "no_retry_sleep",
    "retrieval_result",
    "retrieve_response",
]


# --- what the installed botocore's service models know (older releases lack newer API members) ---------


def has_member(service: str, shape: str, member: str) -> bool:
    """Whether the installed botocore's model of ``service`` has ``shape.member`` (skip markers)."""
    model = _session()._session.get_service_model(service)
    try:
        return member in model.shape_for(shape).members
    except Exception:
        return False


def has_operation(service: str, operation: str) -> bool:
    return operation in _session()._session.get_service_model(service).operation_names


def needs_member(service: str, shape: str, member: str) -> pytest.MarkDecorator:
    """Skip where the installed botocore predates ``shape.member`` of the API."""
    return pytest.mark.skipif(
        not has_member(service, shape, member),
        reason=f"this botocore's {service} model has no {shape}.{member} (a newer API feature)",
    )


def needs_operation(service: str, operation: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not has_operation(service, operation),
        reason=f"this botocore's {service} model has no {operation} (a newer API)",
    )
