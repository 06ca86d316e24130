"""Per-call overhead of otel_genai's Anthropic and Google GenAI instrumentation over the bare clients.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/provider_overhead.py [--provider NAME] [--quick]``).
Writes ``benchmarks/results/<provider>_overhead.txt`` and ``.json`` (``--out-dir`` elsewhere, ``--no-save``
not at all; a ``--quick`` run saves nothing). Not a test: nothing here asserts a timing, and pytest does not
collect this folder.

What is measured
----------------
The method, configurations and pipeline are those of ``openai_overhead.py`` (read its docstring): one
process per provider, the same client objects for bare / content off / content on, switched between short
interleaved blocks, per-call medians, paired block estimates and CPU time. Each provider runs in its own
child process (``--provider`` picks one), so neither SDK is imported, nor instrumented, while the other is
timed. No network: the real client's HTTP is answered in process with canned, realistic bodies.

* ``anthropic`` -- the real ``anthropic.Anthropic`` client on ``httpx2.MockTransport``, with
  ``ANTHROPIC_OPEN_TELEMETRY=false`` (the SDK's own spans off, so bare is bare and instrumented means one
  span, ours). ``messages.create``: a ``message`` (text block, ``end_turn``, usage with the cache counts,
  request-id headers); ``messages.create(stream=True)``: message_start, content_block_start, ping,
  45 content_block_delta, content_block_stop, message_delta (stop reason, usage), message_stop, i.e. 50
  events the application iterates (the SDK drops ``ping``), consumed fully.
* ``gemini`` -- the real ``google.genai.Client`` (Gemini Developer API backend) whose own httpx2 client gets
  an ``httpx2.MockTransport`` through ``HttpOptions(client_args={"transport": ...})``.
  ``models.generate_content`` with a system instruction and config: a ``GenerateContentResponse`` (one
  candidate, ``STOP``, usage with thoughts tokens, modelVersion, responseId);
  ``models.generate_content_stream``: 50 SSE chunks of ``streamGenerateContent?alt=sse`` (49 with text and
  partial usage, the last with the finish reason and the full usage), consumed fully.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
from _overhead import measure, parse_args, split_text
from _report import RESULTS, save

SYSTEM_PROMPT = "You are a concise assistant that explains observability concepts."
USER_PROMPT = "In two sentences, what does OpenTelemetry's GenAI semantic convention standardise?"
ANSWER = (
    "OpenTelemetry's GenAI semantic conventions standardise the names and meanings of span, "
    "metric and event attributes for generative AI operations, such as the model requested, "
    "the provider, token usage and finish reasons. This lets any backend understand LLM "
    "telemetry the same way regardless of which SDK or instrumentation produced it."
)
INPUT_TOKENS, OUTPUT_TOKENS = 31, 58
STREAM_CHUNKS = 50  # what the application iterates per stream, for both providers

Handler = Callable[[httpx2.Request], httpx2.Response]


def _sse(events: list[tuple[str | None, dict[str, Any]]], separator: bytes = b"\n\n") -> list[bytes]:
    """Server-sent events, one bytes chunk each (``event:`` line when named, then ``data:``)."""
    chunks = []
    for name, data in events:
        line = b"data: " + json.dumps(data, separators=(",", ":")).encode()
        chunks.append((b"event: " + name.encode() + b"\n" if name else b"") + line + separator)
    return chunks


# --- Anthropic ------------------------------------------------------------------------------------

ANTHROPIC_MODEL, ANTHROPIC_RESPONSE_MODEL = "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"
ANTHROPIC_HEADERS = {
    "request-id": "req_011CVbench7QkzJ4n9X2mPq3",
    "anthropic-organization-id": "5f3c9a0e-0000-4000-8000-00000000bench",
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
    "anthropic-ratelimit-input-tokens-limit": "2000000",
    "anthropic-ratelimit-input-tokens-remaining": "1999969",
    "anthropic-ratelimit-output-tokens-limit": "400000",
    "anthropic-ratelimit-output-tokens-remaining": "399744",
}


def anthropic_payloads() -> tuple[bytes, list[bytes]]:
    """The ``message`` body and the SSE stream of the same answer (50 events besides ``ping``)."""
    message_id = "msg_01HCDu5LRGeP2o7s2xGmxyx8"
    usage = {
        "input_tokens": INPUT_TOKENS,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": OUTPUT_TOKENS,
        "service_tier": "standard",
    }
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_RESPONSE_MODEL,
        "content": [{"type": "text", "text": ANSWER}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    deltas = split_text(ANSWER, STREAM_CHUNKS - 5)
    events: list[tuple[str | None, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        ("ping", {"type": "ping"}),
    ]
    events += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
        )
        for piece in deltas
    ]
    final_usage = {
        "input_tokens": INPUT_TOKENS,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": OUTPUT_TOKENS,
    }
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": final_usage,
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    assert sum(1 for name, _ in events if name != "ping") == STREAM_CHUNKS
    return json.dumps(message).encode(), _sse(events)


class AnthropicWorkload:
    """``anthropic.Anthropic`` (JSON and SSE answers) on mock transports, native tracing off."""

    title = (
        "otel_genai overhead on anthropic.Anthropic messages.create (MockTransport, in-memory OTel pipeline)"
    )
    provider = "anthropic"
    distributions: tuple[str, ...] = ("anthropic", "httpx2")
    stream_chunks = STREAM_CHUNKS
    stream_note = "stream=True, consumed fully"
    request: dict[str, Any] = {
        "model": ANTHROPIC_MODEL,
        "max_tokens": 256,
        "system": SYSTEM_PROMPT,
        "messages": [{"role": "user", "content": USER_PROMPT}],
    }

    def __init__(self) -> None:
        # read when a client is built: the SDK's own spans stay off, for bare and instrumented alike
        os.environ["ANTHROPIC_OPEN_TELEMETRY"] = "false"
        import anthropic

        body, sse = anthropic_payloads()
        json_headers = {**ANTHROPIC_HEADERS, "content-type": "application/json"}
        sse_headers = {**ANTHROPIC_HEADERS, "content-type": "text/event-stream; charset=utf-8"}

        def json_handler(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(200, headers=json_headers, content=body)

        def sse_handler(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(200, headers=sse_headers, content=iter(sse))

        def client(handler: Handler) -> anthropic.Anthropic:
            return anthropic.Anthropic(
                api_key="sk-ant-bench",
                base_url="https://api.anthropic.com",
                max_retries=0,
                http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
            )

        self.client, self.stream_client = client(json_handler), client(sse_handler)

    def call(self) -> Any:
        return self.client.messages.create(**self.request)

    def call_stream(self) -> None:
        for _ in self.stream_client.messages.create(stream=True, **self.request):
            pass

    def check(self) -> str | None:
        message = self.call()
        if message.content[0].text != ANSWER or message.stop_reason != "end_turn":
            return "non-stream answer altered"
        events = list(self.stream_client.messages.create(stream=True, **self.request))
        text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
        last = events[-2] if len(events) > 1 else None
        usage_ok = (
            last is not None and last.type == "message_delta" and last.usage.output_tokens == OUTPUT_TOKENS
        )
        if len(events) != STREAM_CHUNKS or text != ANSWER or not usage_ok:
            return f"stream altered: {len(events)} events, text ok={text == ANSWER}, usage ok={usage_ok}"
        return None


# --- Google GenAI (Gemini) ------------------------------------------------------------------------

GEMINI_MODEL = "gemini-2.5-flash"
THOUGHTS_TOKENS = 24
GEMINI_HEADERS = {
    "vary": "Origin, X-Origin, Referer",
    "server": "scaffolding on HTTPServer2",
    "server-timing": "gfet4t7; dur=412",
    "x-xss-protection": "0",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
}


def gemini_payloads() -> tuple[bytes, list[bytes]]:
    """The ``generateContent`` body and the ``streamGenerateContent?alt=sse`` chunks of the same answer."""
    response_id = "mZg0afXhKqLQz7IPkvbQ6Ak"
    prompt_details = [{"modality": "TEXT", "tokenCount": INPUT_TOKENS}]
    usage = {
        "promptTokenCount": INPUT_TOKENS,
        "candidatesTokenCount": OUTPUT_TOKENS,
        "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS + THOUGHTS_TOKENS,
        "promptTokensDetails": prompt_details,
        "thoughtsTokenCount": THOUGHTS_TOKENS,
    }

    def response(text: str, finish: bool, usage: dict[str, Any]) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if finish:
            candidate["finishReason"] = "STOP"
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": GEMINI_MODEL,
            "responseId": response_id,
        }

    partial_usage = {
        "promptTokenCount": INPUT_TOKENS,
        "totalTokenCount": INPUT_TOKENS + THOUGHTS_TOKENS,
        "promptTokensDetails": prompt_details,
        "thoughtsTokenCount": THOUGHTS_TOKENS,
    }
    # the text in 49 chunks; the last carries an empty text part, the finish reason and the full usage
    chunks = [response(piece, False, partial_usage) for piece in split_text(ANSWER, STREAM_CHUNKS - 1)]
    chunks.append(response("", True, usage))
    return json.dumps(response(ANSWER, True, usage)).encode(), _sse([(None, c) for c in chunks], b"\r\n\r\n")


class GeminiWorkload:
    """``google.genai.Client`` (Gemini Developer API) whose own httpx2 client has a mock transport."""

    title = (
        "otel_genai overhead on google.genai.Client models.generate_content"
        " (MockTransport, in-memory OTel pipeline)"
    )
    provider = "gcp.gemini"
    distributions: tuple[str, ...] = ("google-genai", "httpx2")
    stream_chunks = STREAM_CHUNKS
    stream_note = "generate_content_stream, consumed fully"

    def __init__(self) -> None:
        # the SDK's httpx2 backend, whose client gets the transport below (3.x would also infer it from
        # the transport's type; 2.x, which genai_peers.py runs too, defaults to httpx)
        os.environ["GOOGLE_GENAI_HTTP_CLIENT"] = "httpx2"
        from google import genai
        from google.genai import types

        body, sse = gemini_payloads()
        json_headers = {**GEMINI_HEADERS, "content-type": "application/json; charset=UTF-8"}
        sse_headers = {**GEMINI_HEADERS, "content-type": "text/event-stream"}

        def handler(request: httpx2.Request) -> httpx2.Response:
            if request.url.path.endswith(":streamGenerateContent"):
                return httpx2.Response(200, headers=sse_headers, content=iter(sse))
            return httpx2.Response(200, headers=json_headers, content=body)

        self.client = genai.Client(
            api_key="AIza-bench-key",
            http_options=types.HttpOptions(client_args={"transport": httpx2.MockTransport(handler)}),
        )
        self.config = types.GenerateContentConfig(
            system_instruction=SYSTEM_PROMPT, temperature=0.2, max_output_tokens=256
        )
        self.stop = types.FinishReason.STOP

    def call(self) -> Any:
        return self.client.models.generate_content(
            model=GEMINI_MODEL, contents=USER_PROMPT, config=self.config
        )

    def call_stream(self) -> None:
        for _ in self.client.models.generate_content_stream(
            model=GEMINI_MODEL, contents=USER_PROMPT, config=self.config
        ):
            pass

    def check(self) -> str | None:
        response = self.call()
        total = INPUT_TOKENS + OUTPUT_TOKENS + THOUGHTS_TOKENS
        usage = response.usage_metadata
        if response.text != ANSWER or usage is None or usage.total_token_count != total:
            return "non-stream answer altered"
        chunks = list(
            self.client.models.generate_content_stream(
                model=GEMINI_MODEL, contents=USER_PROMPT, config=self.config
            )
        )
        text = "".join(c.text or "" for c in chunks)
        end_ok = False
        if chunks and chunks[-1].candidates and chunks[-1].usage_metadata:
            end_ok = (
                chunks[-1].candidates[0].finish_reason == self.stop
                and chunks[-1].usage_metadata.total_token_count == total
            )
        if len(chunks) != STREAM_CHUNKS or text != ANSWER or not end_ok:
            return f"stream altered: {len(chunks)} chunks, text ok={text == ANSWER}, end ok={end_ok}"
        return None


# --- running --------------------------------------------------------------------------------------

WORKLOADS: dict[str, Callable[[], Any]] = {"anthropic": AnthropicWorkload, "gemini": GeminiWorkload}
# (quick, full) per option. Bare, Anthropic answers in ~0.4 ms (stream ~1.2 ms) and Gemini in ~0.8 ms (stream
# ~8 ms) on the shared 2-core machine; these full runs take ~30 s each, so `make bench` stays near 2 minutes.
DEFAULTS: dict[str, dict[str, tuple[Any, Any]]] = {
    "anthropic": {"rounds": (8, 40), "block": (25, 50), "stream_block": (6, 20), "warmup": (40, 200)},
    "gemini": {"rounds": (6, 40), "block": (15, 40), "stream_block": (3, 10), "warmup": (20, 200)},
}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        action="append",
        choices=sorted(WORKLOADS),
        help="the provider to measure (repeatable; default: all, each in its own child process)",
    )
    parser.add_argument("--out-dir", default=str(RESULTS), help="where <provider>_overhead.txt/.json go")
    parser.add_argument("--no-save", action="store_true", help="print only")


def _children(argv: list[str], providers: list[str]) -> int:
    """Runs each provider in a fresh process of this script; the worst exit status."""
    status = 0
    for provider in providers:
        command = [sys.executable, str(Path(__file__).resolve()), "--provider", provider, *argv]
        status = max(status, subprocess.run(command, check=False).returncode)
    return status


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # every option's default is per provider, so parse once for --provider alone, then per provider
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--provider", action="append", choices=sorted(WORKLOADS))
    chosen, rest = probe.parse_known_args(argv)
    providers = chosen.provider or sorted(WORKLOADS)
    if len(providers) > 1:
        if "-h" in rest or "--help" in rest:
            parse_args(rest, __doc__, {}, _options)
        return _children(rest, providers)
    provider = providers[0]
    args = parse_args(argv, __doc__, DEFAULTS[provider], _options)
    report, text, status = measure(args, WORKLOADS[provider]())
    if not args.no_save and not args.quick:
        save(args.out_dir, f"{provider}_overhead", text, report)
    return status


if __name__ == "__main__":
    sys.exit(main())
