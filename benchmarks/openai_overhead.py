"""Per-call overhead of otel_genai's OpenAI instrumentation over the bare ``openai.OpenAI`` client.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/openai_overhead.py [--quick] [--json PATH]``).
Not a test: nothing here asserts a timing, and pytest does not collect this folder.

What is measured
----------------
The real ``openai.OpenAI`` client (request building, retries machinery, SSE decoding, pydantic parsing)
whose HTTP layer is an ``httpx2.MockTransport`` returning canned, realistic bodies: a ``chat.completion``
with id, model, finish_reason, usage and rate-limit headers; and a streamed answer of 50 chunks (a role
chunk, 47 content chunks, a finish chunk and a usage chunk, as ``stream_options.include_usage`` gives)
followed by ``[DONE]``, delivered chunk by chunk and consumed fully. No network. Three configurations:

* ``bare``         -- not instrumented (``otel_genai.uninstrument()``), same client objects;
* ``content off``  -- ``otel_genai.instrument(capture_content=False)``;
* ``content on``   -- ``otel_genai.instrument(capture_content=True)`` (content as span attributes).

Instrumented runs use a synchronous in-memory pipeline, the same as the shared peer harness:
``TracerProvider`` + ``SimpleSpanProcessor(InMemorySpanExporter)``, ``MeterProvider(InMemoryMetricReader)``
passed to ``instrument(tracer_provider=..., meter_provider=..., exporter="none")``. So the cost includes
span creation and export to memory, attribute building, metric recording and, for "on", content JSON.

Method
------
* ONE process and the same two client objects for every configuration. The instrumentation patches
  the SDK's resource classes, so "bare" vs "instrumented" cannot be two clients side by side; instead
  the configuration is switched between blocks (outside the timed region) with the previous handle's
  ``shutdown()`` plus ``otel_genai.uninstrument()``, then ``instrument()``. Re-instrumenting reuses the
  same providers; the metric instruments are deduplicated by the SDK, so every block of a configuration
  records into the same histograms.
* Warm-up per configuration, then ``rounds`` rounds (default 60 rounds of 50 non-stream + 12 stream
  calls per configuration: short blocks keep the paired blocks close in time). Each round runs every
  configuration once, in an order rotated from round to round (so no configuration always follows the
  same one), and inside a configuration a block of non-streaming calls and a block of streaming calls
  (their order alternates per round). Machine noise (this is a shared 2-core box) therefore falls on all
  configurations alike.
* Before each block: exporters cleared and ``gc.collect()``, outside the timed region. After each block
  the number of finished spans is checked (one per call when instrumented, none when bare).
* Each call is timed on its own with ``perf_counter_ns``. Reported: the median of all calls of a
  configuration (and p10-p90), Δ µs and the ratio against ``bare`` measured in the same run, and a paired
  estimate: the median over rounds of (block median - bare block median of the same round), with its
  min-max range, which shows how much of a difference is noise.
* The median is the latency a caller typically sees. Each block also measures the process CPU time (all
  threads) per call ("CPU Δ") and the mean per call ("mean Δ"): work moved to another thread or hidden in
  a few slow calls would show there, not in the median.
* A correctness check first: the instrumented streams still yield all 50 chunks and the full text, the
  span carries usage and finish reasons, and content attributes appear only with content on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import httpx2
import openai
from _overhead import measure, parse_args, split_text

from otel_genai.demo.fake_openai_server import chat_usage

# --- canned API -----------------------------------------------------------------------------------

MODEL, RESPONSE_MODEL = "gpt-4o-mini", "gpt-4o-mini-2024-07-18"
SYSTEM_PROMPT = "You are a concise assistant that explains observability concepts."
USER_PROMPT = "In two sentences, what does OpenTelemetry's GenAI semantic convention standardise?"
ANSWER = (
    "OpenTelemetry's GenAI semantic conventions standardise the names and meanings of span, "
    "metric and event attributes for generative AI operations, such as the model requested, "
    "the provider, token usage and finish reasons. This lets any backend understand LLM "
    "telemetry the same way regardless of which SDK or instrumentation produced it."
)
PROMPT_TOKENS, COMPLETION_TOKENS = 31, 58
STREAM_CHUNKS = 50  # role chunk + content chunks + finish chunk + usage chunk
RESPONSE_ID = "chatcmpl-CcW3kQ8b1nD2pXwq7Yt5LZr9aHfE0"
HEADERS = {
    "x-request-id": "req_7f3c2a9b1e",
    "openai-organization": "org-bench",
    "openai-processing-ms": "412",
    "openai-version": "2020-10-01",
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-tokens": "199950",
}
REQUEST: dict[str, Any] = {
    "model": MODEL,
    "temperature": 0.2,
    "max_tokens": 256,
    "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_PROMPT}],
}


def payloads() -> tuple[bytes, list[bytes]]:
    """The ``chat.completion`` body and the SSE events (``data: ...`` lines, then ``[DONE]``)."""
    created = 1764163200
    body = {
        "id": RESPONSE_ID,
        "object": "chat.completion",
        "created": created,
        "model": RESPONSE_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": chat_usage(PROMPT_TOKENS, COMPLETION_TOKENS),
        "service_tier": "default",
        "system_fingerprint": "fp_560af6e559",
    }
    common = {
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "created": created,
        "model": RESPONSE_MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_560af6e559",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**common, "choices": [choice], "usage": None}

    events = [chunk({"role": "assistant", "content": "", "refusal": None})]
    events += [chunk({"content": piece}) for piece in split_text(ANSWER, STREAM_CHUNKS - 3)]
    events.append(chunk({}, "stop"))
    events.append({**common, "choices": [], "usage": chat_usage(PROMPT_TOKENS, COMPLETION_TOKENS)})
    assert len(events) == STREAM_CHUNKS
    sse = [b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events]
    sse.append(b"data: [DONE]\n\n")
    return json.dumps(body).encode(), sse


class Workload:
    """Two real clients (JSON and SSE answers) on mock transports, and the two calls."""

    title = (
        "otel_genai overhead on openai.OpenAI chat.completions.create"
        " (MockTransport, in-memory OTel pipeline)"
    )
    provider = "openai"
    distributions: tuple[str, ...] = ("openai", "httpx2")
    stream_chunks = STREAM_CHUNKS
    stream_note = "include_usage, consumed fully"

    def __init__(self) -> None:
        body, sse = payloads()
        json_headers = {**HEADERS, "content-type": "application/json"}
        sse_headers = {**HEADERS, "content-type": "text/event-stream; charset=utf-8"}

        def json_handler(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(200, headers=json_headers, content=body)

        def sse_handler(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(200, headers=sse_headers, content=iter(sse))

        def client(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
            return openai.OpenAI(
                api_key="sk-bench",
                base_url="https://api.openai.com/v1",
                max_retries=0,
                http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
            )

        self.client, self.stream_client = client(json_handler), client(sse_handler)

    def call(self) -> Any:
        return self.client.chat.completions.create(**REQUEST)

    def call_stream(self) -> None:
        stream = self.stream_client.chat.completions.create(
            stream=True, stream_options={"include_usage": True}, **REQUEST
        )
        for _ in stream:
            pass

    def check(self) -> str | None:
        """What is wrong with the answers the application gets (None when nothing is)."""
        response = self.call()
        if response.choices[0].message.content != ANSWER or response.usage.total_tokens != 89:
            return "non-stream answer altered"
        stream = self.stream_client.chat.completions.create(
            stream=True, stream_options={"include_usage": True}, **REQUEST
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        if len(chunks) != STREAM_CHUNKS or text != ANSWER or chunks[-1].usage.total_tokens != 89:
            return f"stream altered: {len(chunks)} chunks, text ok={text == ANSWER}"
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(
        argv, __doc__, {"rounds": (8, 60), "block": (25, 50), "stream_block": (6, 12), "warmup": (40, 200)}
    )
    return measure(args, Workload())[2]


if __name__ == "__main__":
    sys.exit(main())
