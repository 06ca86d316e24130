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

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx2
import openai
from _report import apply_defaults, load_average, machine, run_header, versions, write_json
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai
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
REQUEST = {
    "model": MODEL,
    "temperature": 0.2,
    "max_tokens": 256,
    "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_PROMPT}],
}


def _split(text: str, n: int) -> list[str]:
    """``text`` in ``n`` pieces that join back to it (word boundaries, leading spaces kept)."""
    words = text.split(" ")
    size, extra = divmod(len(words), n)
    pieces, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        pieces.append(" ".join(words[start:end]))
        start = end
    return [p if i == 0 else " " + p for i, p in enumerate(pieces)]


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
    events += [chunk({"content": piece}) for piece in _split(ANSWER, STREAM_CHUNKS - 3)]
    events.append(chunk({}, "stop"))
    events.append({**common, "choices": [], "usage": chat_usage(PROMPT_TOKENS, COMPLETION_TOKENS)})
    assert len(events) == STREAM_CHUNKS
    sse = [b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events]
    sse.append(b"data: [DONE]\n\n")
    return json.dumps(body).encode(), sse


class Workload:
    """Two real clients (JSON and SSE answers) on mock transports, and the two calls."""

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


# --- configurations -------------------------------------------------------------------------------


class Pipeline:
    """The in-memory OpenTelemetry pipeline every instrumented configuration exports to."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])

        self.handle: Any = None

    def activate(self, config: str) -> None:
        if self.handle is not None:
            self.handle.shutdown()  # uninstruments, and stops what this handle started
            self.handle = None
        otel_genai.uninstrument()
        if config != "bare":
            self.handle = otel_genai.instrument(
                tracer_provider=self.tracer_provider,
                meter_provider=self.meter_provider,
                capture_content=config == "content on",
                exporter="none",
            )

    def spans(self) -> list[Any]:
        return list(self.span_exporter.get_finished_spans())

    def clear(self) -> None:
        self.span_exporter.clear()


CONFIGS = ("bare", "content off", "content on")
MODES = ("non-stream", "stream")


def check_spans(pipeline: Pipeline, workload: Workload) -> dict[str, str]:
    """Per configuration: are the answers intact and the spans what we expect?"""
    verdicts = {}
    for config in CONFIGS:
        pipeline.activate(config)
        pipeline.clear()
        problem = workload.check()
        spans = pipeline.spans()
        want = 0 if config == "bare" else 2
        if problem is None and len(spans) != want:
            problem = f"{len(spans)} spans, expected {want}"
        if problem is None and want:
            for span in spans:
                attributes = span.attributes or {}
                has_content = "gen_ai.output.messages" in attributes
                if has_content != (config == "content on"):
                    problem = f"span {span.name!r}: output messages present={has_content}"
                elif "gen_ai.usage.output_tokens" not in attributes:
                    problem = f"span {span.name!r}: no usage"
                elif "gen_ai.response.finish_reasons" not in attributes:
                    problem = f"span {span.name!r}: no finish reasons"
        verdicts[config] = problem or f"ok ({len(spans)} spans for 1 call + 1 stream)"
        pipeline.clear()
    return verdicts


# --- timing ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    workload = Workload()
    pipeline = Pipeline()
    calls = {"non-stream": workload.call, "stream": workload.call_stream}
    block_size = {"non-stream": args.block, "stream": args.stream_block}
    warmup = {"non-stream": args.warmup, "stream": max(1, args.warmup // 4)}

    verdicts = check_spans(pipeline, workload)
    for config in CONFIGS:
        pipeline.activate(config)
        for mode in MODES:
            for _ in range(warmup[mode]):
                calls[mode]()
        pipeline.clear()

    samples: dict[tuple[str, str], list[int]] = {(c, m): [] for c in CONFIGS for m in MODES}
    block_medians: dict[tuple[str, str], list[float]] = {(c, m): [] for c in CONFIGS for m in MODES}
    block_cpu: dict[tuple[str, str], list[float]] = {(c, m): [] for c in CONFIGS for m in MODES}
    block_wall: dict[tuple[str, str], list[float]] = {(c, m): [] for c in CONFIGS for m in MODES}
    span_errors: list[str] = []
    clock = time.perf_counter_ns
    cpu_clock = time.process_time_ns  # all threads of the process
    started = time.perf_counter()
    for round_no in range(args.rounds):
        shift = round_no % len(CONFIGS)
        order = CONFIGS[shift:] + CONFIGS[:shift]
        modes = MODES if round_no % 2 == 0 else MODES[::-1]
        for config in order:
            pipeline.activate(config)
            for mode in modes:
                fn, n = calls[mode], block_size[mode]
                pipeline.clear()
                gc.collect()
                times = []
                append = times.append
                cpu0, wall0 = cpu_clock(), clock()
                for _ in range(n):
                    t0 = clock()
                    fn()
                    append(clock() - t0)
                block_cpu[config, mode].append((cpu_clock() - cpu0) / n / 1000)
                block_wall[config, mode].append((clock() - wall0) / n / 1000)
                expected = 0 if config == "bare" else n
                got = len(pipeline.spans())
                if got != expected:
                    span_errors.append(f"round {round_no} {config} {mode}: {got} spans, expected {expected}")
                pipeline.clear()
                samples[config, mode].extend(times)
                block_medians[config, mode].append(statistics.median(times) / 1000)
        if not args.quiet:
            print(f"  round {round_no + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    pipeline.activate("bare")
    elapsed = time.perf_counter() - started

    results: dict[str, Any] = {}
    for mode in MODES:
        base = statistics.median(samples["bare", mode]) / 1000
        base_mean = statistics.fmean(samples["bare", mode]) / 1000
        base_blocks = block_medians["bare", mode]
        base_cpu = statistics.median(block_cpu["bare", mode])
        base_wall = statistics.median(block_wall["bare", mode])
        rows = {}
        for config in CONFIGS:
            us = sorted(x / 1000 for x in samples[config, mode])
            median = statistics.median(us)
            paired = [b - a for a, b in zip(base_blocks, block_medians[config, mode], strict=True)]
            rows[config] = {
                "n": len(us),
                "median_us": round(median, 1),
                "p10_us": round(us[len(us) // 10], 1),
                "p90_us": round(us[len(us) * 9 // 10], 1),
                "mean_us": round(statistics.fmean(us), 1),
                "delta_us": round(median - base, 1),
                "mean_delta_us": round(statistics.fmean(us) - base_mean, 1),
                "ratio": round(median / base, 3),
                "paired_delta_us": round(statistics.median(paired), 1),
                "paired_delta_min_us": round(min(paired), 1),
                "paired_delta_max_us": round(max(paired), 1),
                "block_median_min_us": round(min(block_medians[config, mode]), 1),
                "block_median_max_us": round(max(block_medians[config, mode]), 1),
                # whole blocks: median over blocks
                "cpu_per_call_us": round(statistics.median(block_cpu[config, mode]), 1),
                "cpu_delta_us": round(statistics.median(block_cpu[config, mode]) - base_cpu, 1),
                "block_wall_per_call_us": round(statistics.median(block_wall[config, mode]), 1),
                "block_wall_delta_us": round(statistics.median(block_wall[config, mode]) - base_wall, 1),
            }
            if mode == "stream":
                rows[config]["delta_per_chunk_us"] = round((median - base) / STREAM_CHUNKS, 2)
        results[mode] = rows
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(args.loadavg_start),
        "versions": versions(
            ("openai", "httpx2", "opentelemetry-api", "opentelemetry-sdk", "wrapt", "otel-genai")
        ),
        "settings": {
            "rounds": args.rounds,
            "block_non_stream": args.block,
            "block_stream": args.stream_block,
            "warmup_non_stream": args.warmup,
            "warmup_stream": max(1, args.warmup // 4),
            "stream_chunks": STREAM_CHUNKS,
            "timed_seconds": round(elapsed, 1),
        },
        "checks": verdicts,
        "span_count_errors": span_errors,
        "results": results,
    }


def table(report: dict[str, Any]) -> str:
    settings = report["settings"]
    lines = [
        "otel_genai overhead on openai.OpenAI chat.completions.create"
        " (MockTransport, in-memory OTel pipeline)",
        *run_header(report),
        f"{settings['rounds']} rounds x blocks of {settings['block_non_stream']} non-stream / "
        f"{settings['block_stream']} stream calls per configuration "
        f"(stream = {settings['stream_chunks']} chunks, include_usage, consumed fully); "
        f"timed part {settings['timed_seconds']} s",
        "",
        f"{'mode':<11} {'config':<12} {'calls':>6} {'median µs':>10} {'p10-p90 µs':>12} "
        f"{'Δ µs':>7} {'x bare':>7} {'Δ/chunk':>8} {'mean Δ':>7} {'CPU Δ':>7}   paired Δ µs (min…max)",
        "-" * 110,
    ]
    for mode, rows in report["results"].items():
        for config, row in rows.items():
            spread = f"{row['p10_us']:.0f}-{row['p90_us']:.0f}"
            delta = ratio = per_chunk = mean = cpu = paired = "—"
            if config != "bare":
                delta = f"{row['delta_us']:+.0f}"
                ratio = f"{row['ratio']:.3f}"
                cpu = f"{row['cpu_delta_us']:+.0f}"
                mean = f"{row['mean_delta_us']:+.0f}"
                paired = (
                    f"{row['paired_delta_us']:+.0f} ({row['paired_delta_min_us']:+.0f}…"
                    f"{row['paired_delta_max_us']:+.0f})"
                )
                if mode == "stream":
                    per_chunk = f"{row['delta_per_chunk_us']:+.1f}"
            label = mode if config == "bare" else ""
            lines.append(
                f"{label:<11} {config:<12} {row['n']:>6} {row['median_us']:>10.1f} {spread:>12} "
                f"{delta:>7} {ratio:>7} {per_chunk:>8} {mean:>7} {cpu:>7}   {paired:<22}".rstrip()
            )
        lines.append("")
    lines += [
        "Δ, x bare: per-call median vs bare's (µs). mean Δ: per-call mean vs bare's (sees outliers).",
        "  CPU Δ: process CPU time (all threads) per call over whole blocks, minus bare's.",
        "  paired Δ: per round, block median minus bare's; median over rounds (min…max): the noise check.",
    ]
    lines.append("checks: " + "; ".join(f"{k}: {v}" for k, v in report["checks"].items()))
    if report["span_count_errors"]:
        lines.append("SPAN COUNT ERRORS: " + "; ".join(report["span_count_errors"][:5]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds), for a smoke test")
    parser.add_argument("--rounds", type=int, help="rounds (each runs every configuration once)")
    parser.add_argument("--block", type=int, help="non-streaming calls per block")
    parser.add_argument("--stream-block", type=int, help="streaming calls per block")
    parser.add_argument("--warmup", type=int, help="non-stream warm-up calls per configuration (stream: /4)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    apply_defaults(args, {"rounds": (8, 60), "block": (25, 50), "stream_block": (6, 12), "warmup": (40, 200)})
    args.loadavg_start = load_average()

    report = run(args)
    print(table(report))
    if args.json:
        write_json(args.json, report)
    broken = any(not verdict.startswith("ok") for verdict in report["checks"].values())
    return 1 if broken or report["span_count_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
