"""What PII redaction costs the application's own thread.

Run with ``.venv/bin/python benchmarks/redaction_overhead.py`` (about 3 minutes on the 2-core VM;
``--quick`` for a smoke test). Writes ``benchmarks/results/redaction_overhead.txt`` and ``.json``
(``--out-dir`` elsewhere, ``--no-save`` not at all). Not a test: nothing here asserts a timing.

Part A: ``on_end`` on the application thread (µs per span)
---------------------------------------------------------
``RedactingSpanProcessor.on_end`` is meant to be a deque append. Measured on realistic chat spans (the
``chat`` workload of ``redaction_throughput.py``: system prompt, history, answer, 1-10 KB of JSON), each
call timed on its own with ``perf_counter_ns``, in blocks of 50 (fewer than the 64 that wake the worker,
so the block measures the call, not a neighbour thread), the processor flushed between blocks outside
the timed region (a worker that keeps up), the configurations alternating block by block:

* ``on_end`` alone, called directly with pre-ended spans: a no-op ``SpanProcessor`` (what the timer and
  the call cost), ``BatchSpanProcessor`` and ``RedactingSpanProcessor`` (with a detector that finds
  nothing instantly: the engine is not on this path);
* a whole span: ``tracer.start_span(...)``, ``set_attributes`` (the chat span's 15 attributes, content
  included), ``end()``, on a TracerProvider with no processor, a BatchSpanProcessor, or a
  RedactingSpanProcessor.

Part B: a real instrumented ``openai`` call (µs per call)
--------------------------------------------------------
The real ``openai.OpenAI`` client on ``httpx2.MockTransport`` (as ``openai_overhead.py``), non-streaming
``chat.completions.create`` with a system prompt and a user message; every call sends a different user
message (80-400 chars, with names, e-mails, phones) and gets a different answer (200-800 chars), so the
redactor's cache cannot help. ``otel_genai.instrument(capture_content=True, tracer_provider=...)`` on:

* ``bare``: not instrumented;
* ``redaction off``: a TracerProvider with ``BatchSpanProcessor(InMemorySpanExporter())``;
* ``redaction on, worker idle``: ``RedactingSpanProcessor(InMemorySpanExporter(), RedactionPolicy())``
  (the real engine), its worker asleep during the block: only ``on_end`` and the queue are on the path;
* ``redaction on, worker busy``: the same processor while its worker redacts with the real engine for
  the whole block: just before the block (untimed) 64 fresh spans with distinct ~170-char texts are
  handed to ``on_end``, which wakes the worker (64 = its batch size); their NER lasts longer than the
  block (checked: none of them is exported before the block ends).
* the same three (bare / off / on, worker busy) with a simulated network: the mock transport sleeps
  2 ms per call. This is the honest case for contention. Without any wait, the client call is
  CPU-bound Python that releases the GIL only for instants, and CPython then starves the other thread
  (its forced switch needs 5 ms without any GIL hand-over): the busy worker gets ~0 % CPU during such
  a block ("other CPU" column), so "worker busy" without a network measures almost no contention.
  A real call waits on a socket: the worker runs during the wait, and the application thread must get
  the GIL back from it afterwards (up to one switch interval, 5 ms).
* ``isolation=process, worker busy, 2 ms network``: ``RedactionPolicy(isolation="process")``, the engine
  in a child process, primed the same way: what is left on the application's side is JSON, the pipe and
  the copies.

The RedactingSpanProcessor runs with ``schedule_delay_millis=60000`` so that its 5-second timer cannot
wake the worker inside an "idle" block; it is woken by the priming spans or by ``force_flush``. After
every block, untimed: ``force_flush`` (so no configuration inherits another's backlog), a span count
check and ``gc.collect()``. Configurations rotate from round to round. Reported per configuration: p50,
p90, p99, mean, and the CPU the other threads used during the block; against ``redaction off`` with the
same network: the difference of medians and of p99s, and the paired difference (per round, block median
minus the ``off`` block median of the same round; median over rounds and its interquartile range):
that range is the noise floor.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
from _report import RESULTS, apply_defaults, load_average, machine, run_header, save, versions
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redaction_throughput import (
    ASSISTANT_SENTENCES,
    INPUT_KEY,
    SYSTEM_PROMPT,
    USER_SENTENCES,
    Faker,
    chat_workload,
    make_span,
    sentences_up_to,
)

import otel_genai
from otel_genai.redaction import FAILED_MARKER, RedactingSpanProcessor, RedactionPolicy
from otel_genai.redaction.engine import shared_detector

WAKE_BATCH = 64  # the worker wakes when this many spans are queued
CLOCK = time.perf_counter_ns


class FastDetector:
    """A detector that finds nothing, instantly: keeps the engine off Part A's path."""

    description = "fast fake detector"

    def load(self) -> None:
        pass

    def analyze_iter(self, texts: Sequence[str], *, ner: bool = True) -> Iterator[tuple[int, tuple[()]]]:
        for index in range(len(texts)):
            yield index, ()


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _summary(ns: Sequence[int]) -> dict[str, Any]:
    us = sorted(x / 1000 for x in ns)
    return {
        "n": len(us),
        "p50_us": round(statistics.median(us), 3),
        "p90_us": round(_percentile(us, 0.90), 3),
        "p99_us": round(_percentile(us, 0.99), 3),
        "mean_us": round(statistics.fmean(us), 3),
    }


# --- Part A ------------------------------------------------------------------------------------------


def part_a(args: argparse.Namespace) -> dict[str, Any]:
    spans = chat_workload(10, 8, seed=args.seed).spans()
    attribute_sets = [dict(span.attributes or {}) for span in spans]
    block = 50

    exporters = {"bsp": InMemorySpanExporter(), "rsp": InMemorySpanExporter()}
    processors: dict[str, SpanProcessor] = {
        "SpanProcessor (no-op): timer + call": SpanProcessor(),
        "BatchSpanProcessor.on_end": BatchSpanProcessor(exporters["bsp"]),
        "RedactingSpanProcessor.on_end": RedactingSpanProcessor(
            exporters["rsp"], RedactionPolicy(), detector=FastDetector(), schedule_delay_millis=60_000
        ),
    }
    span_exporters = {"bsp": InMemorySpanExporter(), "rsp": InMemorySpanExporter()}
    providers: dict[str, TracerProvider] = {}
    providers["TracerProvider, no processor"] = TracerProvider()
    providers["+ BatchSpanProcessor"] = TracerProvider()
    providers["+ BatchSpanProcessor"].add_span_processor(BatchSpanProcessor(span_exporters["bsp"]))
    providers["+ RedactingSpanProcessor"] = TracerProvider()
    providers["+ RedactingSpanProcessor"].add_span_processor(
        RedactingSpanProcessor(
            span_exporters["rsp"], RedactionPolicy(), detector=FastDetector(), schedule_delay_millis=60_000
        )
    )
    tracers = {name: provider.get_tracer("otel_genai") for name, provider in providers.items()}

    def flush_all() -> None:
        for processor in processors.values():
            processor.force_flush(30_000)
        for provider in providers.values():
            provider.force_flush(30_000)
        for exporter in (*exporters.values(), *span_exporters.values()):
            exporter.clear()

    def on_end_block(processor: SpanProcessor, start: int) -> list[int]:
        on_end = processor.on_end
        times = []
        for i in range(start, start + block):
            span = spans[i % len(spans)]
            t0 = CLOCK()
            on_end(span)
            times.append(CLOCK() - t0)
        return times

    def span_block(tracer: Any, start: int) -> list[int]:
        times = []
        for i in range(start, start + block):
            attributes = attribute_sets[i % len(attribute_sets)]
            t0 = CLOCK()
            span = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT)
            span.set_attributes(attributes)
            span.end()
            times.append(CLOCK() - t0)
        return times

    # warm-up
    for _ in range(4):
        for processor in processors.values():
            on_end_block(processor, 0)
        for tracer in tracers.values():
            span_block(tracer, 0)
        flush_all()

    on_end_times: dict[str, list[int]] = {name: [] for name in processors}
    span_times: dict[str, list[int]] = {name: [] for name in tracers}
    blocks = max(1, args.calls_a // block)
    for block_no in range(blocks):
        start = block_no * block
        names = list(processors)
        shift = block_no % len(names)
        if block_no % 20 == 0:
            gc.collect()  # ~40 ms with the engine's modules loaded: not before every block
        for name in names[shift:] + names[:shift]:
            on_end_times[name] += on_end_block(processors[name], start)
        names = list(tracers)
        for name in names[shift:] + names[:shift]:
            span_times[name] += span_block(tracers[name], start)
        flush_all()
    for processor in processors.values():
        processor.shutdown()
    for provider in providers.values():
        provider.shutdown()

    def rows(times: dict[str, list[int]], base: str) -> dict[str, Any]:
        out = {name: _summary(values) for name, values in times.items()}
        for row in out.values():
            row["delta_p50_us"] = round(row["p50_us"] - out[base]["p50_us"], 3)
        return out

    return {
        "block": block,
        "spans": len(spans),
        "span_content_kb_mean": round(
            statistics.fmean(
                sum(len(v) for k, v in a.items() if k.startswith("gen_ai.") and isinstance(v, str))
                for a in attribute_sets
            )
            / 1000,
            2,
        ),
        "on_end": rows(on_end_times, "SpanProcessor (no-op): timer + call"),
        "whole_span": rows(span_times, "TracerProvider, no processor"),
    }


# --- Part B ------------------------------------------------------------------------------------------

NET = 0.002  # the simulated network wait of the "network" configurations (seconds)


@dataclass(frozen=True)
class Config:
    name: str
    pipeline: str  # "bare" | "off" | "on" | "process" (on, with the engine in a child process)
    busy: bool = False  # the redaction worker is primed to be busy for the whole block
    net: float = 0.0  # the mock transport sleeps this long (the GIL is free meanwhile), as a network would

    @property
    def base(self) -> str:
        """The configuration this one is compared with: redaction off, same network."""
        return "redaction off, 2 ms network" if self.net else "redaction off"


CONFIGS = (
    Config("bare", "bare"),
    Config("redaction off", "off"),
    Config("redaction on, worker idle", "on"),
    Config("redaction on, worker busy", "on", busy=True),
    Config("bare, 2 ms network", "bare", net=NET),
    Config("redaction off, 2 ms network", "off", net=NET),
    Config("redaction on, worker busy, 2 ms network", "on", busy=True, net=NET),
    Config("isolation=process, worker busy, 2 ms network", "process", busy=True, net=NET),
)


def _completion(answer: str, index: int) -> bytes:
    body = {
        "id": f"chatcmpl-bench{index:08d}",
        "object": "chat.completion",
        "created": 1764163200,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 180, "completion_tokens": 120, "total_tokens": 300},
        "service_tier": "default",
        "system_fingerprint": "fp_560af6e559",
    }
    return json.dumps(body).encode()


class Api:
    """A real client answered locally; call ``i`` sends user message ``i`` and gets answer ``i``."""

    def __init__(self, total: int, seed: int) -> None:
        rng = random.Random(seed)
        fake = Faker(rng)
        self.users: list[str] = []
        self.bodies: list[bytes] = []
        for index in range(total):
            name = fake.name()
            self.users.append(sentences_up_to(rng, fake, USER_SENTENCES, name, 80, 400))
            self.bodies.append(
                _completion(sentences_up_to(rng, fake, ASSISTANT_SENTENCES, name, 200, 800), index)
            )
        self.next = 0
        self.net = 0.0
        headers = {"content-type": "application/json", "x-request-id": "req_bench"}

        def handler(request: httpx2.Request) -> httpx2.Response:
            index = int(request.headers["x-bench-call"])
            if self.net:
                time.sleep(self.net)  # waiting for the server: the GIL is released, as on a socket
            return httpx2.Response(200, headers=headers, content=self.bodies[index])

        self.client = openai.OpenAI(
            api_key="sk-bench",
            base_url="https://api.openai.com/v1",
            max_retries=0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        )

    def call(self) -> Any:
        index = self.next
        self.next += 1
        return self.client.chat.completions.create(
            model="gpt-4o-mini",
            temperature=0.3,
            max_tokens=400,
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": self.users[index]},
            ],
            extra_headers={"x-bench-call": str(index)},
        )


class Pipelines:
    def __init__(self) -> None:
        self.off_exporter = InMemorySpanExporter()
        self.off_processor = BatchSpanProcessor(self.off_exporter)
        self.off = TracerProvider()
        self.off.add_span_processor(self.off_processor)
        self.on_exporter = InMemorySpanExporter()
        self.on_processor = RedactingSpanProcessor(
            self.on_exporter, RedactionPolicy(), schedule_delay_millis=60_000
        )
        self.on = TracerProvider()
        self.on.add_span_processor(self.on_processor)
        self.process_exporter = InMemorySpanExporter()
        self.process_processor = RedactingSpanProcessor(
            self.process_exporter, RedactionPolicy(isolation="process"), schedule_delay_millis=60_000
        )
        self.process = TracerProvider()
        self.process.add_span_processor(self.process_processor)
        self.meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        self.handle: Any = None
        self.prime_rng = random.Random(4242)
        self.prime_fake = Faker(self.prime_rng)
        self.primed = 0

    def activate(self, config: Config | None) -> None:
        if self.handle is not None:
            self.handle.shutdown()
            self.handle = None
        otel_genai.uninstrument()
        if config is not None and config.pipeline != "bare":
            self.handle = otel_genai.instrument(
                tracer_provider={"off": self.off, "on": self.on, "process": self.process}[config.pipeline],
                meter_provider=self.meter_provider,
                capture_content=True,
                exporter="none",
            )

    def exporter(self, config: Config) -> InMemorySpanExporter | None:
        if config.pipeline == "bare":
            return None
        return {"off": self.off_exporter, "on": self.on_exporter, "process": self.process_exporter}[
            config.pipeline
        ]

    def prime(self, config: Config) -> int:
        """Wakes the worker with 64 spans of distinct text (untimed): real NER for longer than a block."""
        spans = []
        for _ in range(WAKE_BATCH):
            self.primed += 1
            text = sentences_up_to(
                self.prime_rng, self.prime_fake, USER_SENTENCES, self.prime_fake.name(), 140, 200
            )
            attributes = {
                "gen_ai.operation.name": "chat",
                INPUT_KEY: json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": f"{text} (ref {self.primed})"}]}]
                ),
            }
            spans.append(make_span(self.primed, attributes))
        processor = self.process_processor if config.pipeline == "process" else self.on_processor
        for span in spans:
            processor.on_end(span)
        return len(spans)

    def flush(self) -> None:
        self.off_processor.force_flush(60_000)
        for processor in (self.on_processor, self.process_processor):
            if not processor.force_flush(120_000):
                raise RuntimeError("the redacting processor did not flush in 120 s")

    def shutdown(self) -> None:
        self.activate(None)
        self.off.shutdown()
        self.on.shutdown()
        self.process.shutdown()


def part_b(args: argparse.Namespace) -> dict[str, Any]:
    shared_detector(RedactionPolicy()).load()  # the engine, built and warmed (~1.5 s), before anything
    shared_detector(RedactionPolicy(isolation="process")).load()  # and its child-process twin
    block = args.block
    total_calls = args.warmup * len(CONFIGS) + args.rounds * len(CONFIGS) * block + 10
    api = Api(total_calls, seed=args.seed + 1)
    pipes = Pipelines()

    # correctness + warm-up
    problems: list[str] = []
    for config in CONFIGS:
        pipes.activate(config)
        api.net = config.net
        for _ in range(args.warmup):
            response = api.call()
        if not response.choices[0].message.content:
            problems.append(f"{config.name}: empty answer")
        if config.busy:
            pipes.prime(config)
        pipes.flush()
        exporter = pipes.exporter(config)
        if exporter is not None:
            spans = exporter.get_finished_spans()
            problems += check_spans(config.name, spans, redacted=config.pipeline in ("on", "process"))
            exporter.clear()

    names = [c.name for c in CONFIGS]
    samples: dict[str, list[int]] = {c: [] for c in names}
    block_medians: dict[str, list[float]] = {c: [] for c in names}
    block_p99: dict[str, list[float]] = {c: [] for c in names}
    busy_throughout: dict[str, list[bool]] = {c.name: [] for c in CONFIGS if c.busy}
    cpu_per_wall: dict[str, list[float]] = {c: [] for c in names}  # process CPU (all threads) / wall
    other_cpu: dict[str, list[float]] = {c: [] for c in names}  # CPU of threads other than the app's / wall
    span_errors: list[str] = []
    started = time.perf_counter()
    for round_no in range(args.rounds):
        shift = round_no % len(CONFIGS)
        for config in CONFIGS[shift:] + CONFIGS[:shift]:
            pipes.activate(config)
            api.net = config.net
            exporter = pipes.exporter(config)
            gc.collect()
            primed = pipes.prime(config) if config.busy else 0
            times = []
            append = times.append
            call = api.call
            cpu0, own0, wall0 = time.process_time_ns(), time.thread_time_ns(), CLOCK()
            for _ in range(block):
                t0 = CLOCK()
                call()
                append(CLOCK() - t0)
            cpu, own, wall = time.process_time_ns() - cpu0, time.thread_time_ns() - own0, CLOCK() - wall0
            cpu_per_wall[config.name].append(cpu / wall)
            other_cpu[config.name].append((cpu - own) / wall)
            if primed:
                # the priming batch is exported in one piece when its redaction ends: none yet = busy
                done = len(exporter.get_finished_spans())  # type: ignore[union-attr]
                busy_throughout[config.name].append(done == 0)
            pipes.flush()
            if exporter is not None:
                spans = exporter.get_finished_spans()
                if len(spans) != block + primed:
                    span_errors.append(
                        f"round {round_no} {config.name}: {len(spans)} spans, want {block + primed}"
                    )
                span_errors += check_spans(config.name, spans, redacted=config.pipeline in ("on", "process"))[
                    :1
                ]
                exporter.clear()
            samples[config.name] += times
            us = sorted(t / 1000 for t in times)
            block_medians[config.name].append(statistics.median(us))
            block_p99[config.name].append(_percentile(us, 0.99))
        if not args.quiet:
            print(f"  part B round {round_no + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    pipes.shutdown()

    results: dict[str, Any] = {}
    for config in CONFIGS:
        base = config.base
        base_summary = _summary(samples[base])
        row = _summary(samples[config.name])
        row["compared_with"] = base
        paired = [b - a for a, b in zip(block_medians[base], block_medians[config.name], strict=True)]
        quartiles = statistics.quantiles(paired, n=4) if len(paired) > 1 else [paired[0]] * 3
        row.update(
            delta_p50_vs_off_us=round(row["p50_us"] - base_summary["p50_us"], 1),
            delta_p99_vs_off_us=round(row["p99_us"] - base_summary["p99_us"], 1),
            delta_mean_vs_off_us=round(row["mean_us"] - base_summary["mean_us"], 1),
            ratio_p50_vs_off=round(row["p50_us"] / base_summary["p50_us"], 3),
            paired_delta_p50_us=round(statistics.median(paired), 1),
            paired_delta_p50_iqr_us=[round(quartiles[0], 1), round(quartiles[2], 1)],
            block_p99_median_us=round(statistics.median(block_p99[config.name]), 1),
            cpu_per_wall=round(statistics.median(cpu_per_wall[config.name]), 2),
            other_threads_cpu_per_wall=round(statistics.median(other_cpu[config.name]), 2),
        )
        results[config.name] = row
    return {
        "block": block,
        "rounds": args.rounds,
        "warmup_per_config": args.warmup,
        "timed_seconds": round(elapsed, 1),
        "checks": problems or ["ok"],
        "span_errors": span_errors,
        "simulated_network_seconds": NET,
        "busy_blocks_busy_throughout": {k: f"{sum(v)}/{len(v)}" for k, v in busy_throughout.items()},
        "results": results,
    }


def check_spans(config: str, spans: Sequence[ReadableSpan], *, redacted: bool) -> list[str]:
    problems = []
    for span in spans:
        attributes = span.attributes or {}
        if span.name.startswith("chat") and "gen_ai.input.messages" not in attributes:
            problems.append(f"{config}: span {span.name!r} without content")
        if redacted:
            if "redaction.engine" not in attributes and "redaction.content.stripped" not in attributes:
                problems.append(f"{config}: span {span.name!r} not redacted")
            if "redaction.content.stripped" in attributes:
                problems.append(f"{config}: span stripped ({attributes['redaction.content.stripped']})")
            if any(FAILED_MARKER in str(v) for v in attributes.values()):
                problems.append(f"{config}: span with {FAILED_MARKER}")
        elif "redaction.engine" in attributes:
            problems.append(f"{config}: span redacted")
    return problems[:3]


# --- report ------------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    a, b = report["part_a"], report["part_b"]
    lines = [
        "otel_genai PII redaction: cost on the application thread",
        *run_header(report),
        "",
        f"A. per span, µs: {a['on_end']['BatchSpanProcessor.on_end']['n']} calls each, blocks of "
        f"{a['block']}, {a['spans']} distinct chat spans (mean {a['span_content_kb_mean']} KB of content)",
        f"{'':<40} {'p50':>8} {'p90':>8} {'p99':>8} {'mean':>8} {'Δp50':>8}",
        "-" * 84,
    ]
    for section, label in (
        ("on_end", "on_end(span), called directly"),
        ("whole_span", "start_span + set_attributes + end"),
    ):
        lines.append(label)
        for name, row in a[section].items():
            lines.append(
                f"  {name:<38} {row['p50_us']:>8.2f} {row['p90_us']:>8.2f} {row['p99_us']:>8.2f} "
                f"{row['mean_us']:>8.2f} {row['delta_p50_us']:>+8.2f}"
            )
    lines += [
        "  Δp50: against the first row of the section (on_end: the timer and an empty call).",
        "",
        f"B. openai chat.completions.create (MockTransport), capture_content=True, µs per call: "
        f"{b['rounds']} rounds x {b['block']} calls per configuration, interleaved; "
        f"timed part {b['timed_seconds']} s",
        f"{'config':<41} {'calls':>5} {'p50':>6} {'p90':>6} {'p99':>6} {'mean':>6} {'Δp50':>6} {'Δp99':>6} "
        f"{'x off':>6} {'other CPU':>9}  paired Δp50 (IQR)",
        "-" * 126,
    ]
    for config, row in b["results"].items():
        deltas = "—", "—", "—", "—"
        if config != row["compared_with"]:
            low, high = row["paired_delta_p50_iqr_us"]
            deltas = (
                f"{row['delta_p50_vs_off_us']:+.0f}",
                f"{row['delta_p99_vs_off_us']:+.0f}",
                f"{row['ratio_p50_vs_off']:.3f}",
                f"{row['paired_delta_p50_us']:+.0f} ({low:+.0f}…{high:+.0f})",
            )
        if config.startswith("bare, "):
            lines.append("")
        lines.append(
            f"{config:<41} {row['n']:>5} {row['p50_us']:>6.0f} {row['p90_us']:>6.0f} {row['p99_us']:>6.0f} "
            f"{row['mean_us']:>6.0f} {deltas[0]:>6} {deltas[1]:>6} {deltas[2]:>6} "
            f"{row['other_threads_cpu_per_wall']:>9.2f}  {deltas[3]}"
        )
    lines += [
        "  Δ, x off: against 'redaction off' (BatchSpanProcessor) with the same network, same run.",
        "  paired Δp50: per round, block median minus that round's 'off' block median; median over rounds",
        "  (IQR = the noise). other CPU: CPU time of every thread but the application's during the block /",
        "  wall time (median over blocks): how much the redaction worker ran beside the calls (1 = a core).",
        "  blocks during which the primed NER lasted the whole block: "
        + "; ".join(
            f"{v} ('{k.removeprefix('redaction on, ')}')" for k, v in b["busy_blocks_busy_throughout"].items()
        ),
        f"  network: the mock transport sleeps {1000 * b['simulated_network_seconds']:.0f} ms per call "
        "(the GIL is released, as while waiting on a socket).",
        f"  checks: {'; '.join(b['checks'])}"
        + (f"; SPAN ERRORS: {b['span_errors'][:3]}" if b["span_errors"] else ""),
        "",
        "summary",
        f"  on_end: RedactingSpanProcessor {a['on_end']['RedactingSpanProcessor.on_end']['p50_us']:.2f} µs "
        f"vs BatchSpanProcessor {a['on_end']['BatchSpanProcessor.on_end']['p50_us']:.2f} µs "
        "(p50, timer included)",
        "  openai call, redaction on vs off (paired Δp50; Δp99):",
    ]
    for config, row in b["results"].items():
        if config.startswith(("redaction on", "isolation=process")):
            lines.append(
                f"    {config:<41} {row['paired_delta_p50_us']:+6.0f} µs ({row['ratio_p50_vs_off']:.3f}x); "
                f"p99 {row['delta_p99_vs_off_us']:+.0f} µs"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run, for a smoke test")
    parser.add_argument("--calls-a", type=int, help="part A: calls per configuration (default 20000)")
    parser.add_argument("--rounds", type=int, help="part B: rounds (default 20)")
    parser.add_argument("--block", type=int, help="part B: calls per configuration per round (default 50)")
    parser.add_argument("--warmup", type=int, help="part B: warm-up calls per configuration (default 100)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out-dir", default=str(RESULTS), help="where the .txt and .json go")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    defaults = {"calls_a": (2000, 20_000), "rounds": (4, 20), "block": (50, 50), "warmup": (30, 100)}
    apply_defaults(args, defaults)
    loadavg_start = load_average()

    started = time.perf_counter()
    a = part_a(args)
    if not args.quiet:
        print(f"  part A done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    b = part_b(args)
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(loadavg_start),
        "versions": versions(
            ("openai", "httpx2", "opentelemetry-sdk", "presidio-analyzer", "spacy", "otel-genai")
        ),
        "total_seconds": round(time.perf_counter() - started, 1),
        "part_a": a,
        "part_b": b,
    }
    text = table(report)
    print(text)
    if not args.no_save:
        save(args.out_dir, "redaction_overhead", text, report)
    return 1 if b["span_errors"] or b["checks"] != ["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
