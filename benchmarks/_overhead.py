"""The timing machinery shared by ``openai_overhead.py`` and ``provider_overhead.py``.

A workload is one provider's real client answered by a mock transport, with a non-streaming call and a
fully consumed stream. This module switches otel_genai between bare / content off / content on, times the
workload in short interleaved blocks and builds the report and its table. The method is described in
``openai_overhead.py``'s docstring; every provider is measured exactly the same way.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

from _report import apply_defaults, load_average, machine, run_header, versions, write_json
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

CONFIGS = ("bare", "content off", "content on")
MODES = ("non-stream", "stream")
# the pipeline's own distributions, recorded after each workload's client distributions
PIPELINE_DISTRIBUTIONS = ("opentelemetry-api", "opentelemetry-sdk", "wrapt", "otel-genai")


class Workload(Protocol):
    """One provider's client on a mock transport: what is timed and how its answers are checked."""

    title: str  # the table's first line
    provider: str  # the gen_ai.provider.name its spans must carry
    distributions: tuple[str, ...]  # the client's distributions whose versions the report records
    stream_chunks: int  # chunks (events) the application iterates per stream
    stream_note: str  # how the stream is described in the settings line

    def call(self) -> Any: ...

    def call_stream(self) -> None: ...

    def check(self) -> str | None:
        """What is wrong with the answers the application gets (None when nothing is)."""
        ...


def split_text(text: str, n: int) -> list[str]:
    """``text`` in ``n`` pieces that join back to it (word boundaries, leading spaces kept)."""
    words = text.split(" ")
    size, extra = divmod(len(words), n)
    pieces, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        pieces.append(" ".join(words[start:end]))
        start = end
    return [p if i == 0 else " " + p for i, p in enumerate(pieces)]


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
        # imported here: the workloads (and so this module) also run in peer venvs without otel_genai
        import otel_genai

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
                elif attributes.get("gen_ai.provider.name") != workload.provider:
                    problem = f"span {span.name!r}: provider {attributes.get('gen_ai.provider.name')!r}"
                elif "gen_ai.usage.output_tokens" not in attributes:
                    problem = f"span {span.name!r}: no usage"
                elif "gen_ai.response.finish_reasons" not in attributes:
                    problem = f"span {span.name!r}: no finish reasons"
        verdicts[config] = problem or f"ok ({len(spans)} spans for 1 call + 1 stream)"
        pipeline.clear()
    return verdicts


def span_attribute_counts(pipeline: Pipeline, workload: Workload) -> dict[str, dict[str, int]]:
    """How many attributes one span carries, per instrumented configuration and mode."""
    counts: dict[str, dict[str, int]] = {}
    for config in CONFIGS[1:]:
        pipeline.activate(config)
        counts[config] = {}
        for mode, fn in (("non-stream", workload.call), ("stream", workload.call_stream)):
            pipeline.clear()
            fn()
            spans = pipeline.spans()
            counts[config][mode] = len(spans[-1].attributes or {}) if spans else 0
        pipeline.clear()
    pipeline.activate("bare")
    return counts


# --- timing ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, workload: Workload) -> dict[str, Any]:
    pipeline = Pipeline()
    calls = {"non-stream": workload.call, "stream": workload.call_stream}
    block_size = {"non-stream": args.block, "stream": args.stream_block}
    warmup = {"non-stream": args.warmup, "stream": max(1, args.warmup // 4)}

    verdicts = check_spans(pipeline, workload)
    attribute_counts = span_attribute_counts(pipeline, workload)
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
                times: list[int] = []
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
                rows[config]["delta_per_chunk_us"] = round((median - base) / workload.stream_chunks, 2)
        results[mode] = rows
    return {
        "title": workload.title,
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(args.loadavg_start),
        "versions": versions((*workload.distributions, *PIPELINE_DISTRIBUTIONS)),
        "settings": {
            "rounds": args.rounds,
            "block_non_stream": args.block,
            "block_stream": args.stream_block,
            "warmup_non_stream": args.warmup,
            "warmup_stream": max(1, args.warmup // 4),
            "stream_chunks": workload.stream_chunks,
            "stream_note": workload.stream_note,
            "timed_seconds": round(elapsed, 1),
        },
        "checks": verdicts,
        "span_attributes": attribute_counts,
        "span_count_errors": span_errors,
        "results": results,
    }


def table(report: dict[str, Any]) -> str:
    settings = report["settings"]
    lines = [
        report["title"],
        *run_header(report),
        f"{settings['rounds']} rounds x blocks of {settings['block_non_stream']} non-stream / "
        f"{settings['block_stream']} stream calls per configuration "
        f"(stream = {settings['stream_chunks']} chunks, {settings['stream_note']}); "
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
    counts = report.get("span_attributes") or {}
    if counts:
        lines.append(
            "attributes per span: "
            + "; ".join(
                f"{config}: {by_mode['non-stream']} (non-stream), {by_mode['stream']} (stream)"
                for config, by_mode in counts.items()
            )
        )
    lines.append("checks: " + "; ".join(f"{k}: {v}" for k, v in report["checks"].items()))
    if report["span_count_errors"]:
        lines.append("SPAN COUNT ERRORS: " + "; ".join(report["span_count_errors"][:5]))
    return "\n".join(lines)


def parse_args(
    argv: list[str] | None,
    description: str | None,
    defaults: dict[str, tuple[Any, Any]],
    extend: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """The options every overhead benchmark takes; ``defaults`` gives each its (quick, full) value."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds), for a smoke test")
    parser.add_argument("--rounds", type=int, help="rounds (each runs every configuration once)")
    parser.add_argument("--block", type=int, help="non-streaming calls per block")
    parser.add_argument("--stream-block", type=int, help="streaming calls per block")
    parser.add_argument("--warmup", type=int, help="non-stream warm-up calls per configuration (stream: /4)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    if extend is not None:
        extend(parser)
    args = parser.parse_args(argv)
    apply_defaults(args, defaults)
    args.loadavg_start = load_average()
    return args


def measure(args: argparse.Namespace, workload: Workload) -> tuple[dict[str, Any], str, int]:
    """Runs the benchmark: the report, its table (printed) and the exit status (1 if a check failed)."""
    report = run(args, workload)
    text = table(report)
    print(text)
    if args.json:
        write_json(args.json, report)
    broken = any(not verdict.startswith("ok") for verdict in report["checks"].values())
    return report, text, 1 if broken or report["span_count_errors"] else 0
