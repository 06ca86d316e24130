"""Per-query overhead of otel_genai's Chroma and Qdrant instrumentation over the bare local clients.

Run with ``.venv/bin/python benchmarks/retrieval_overhead.py`` (about 2 minutes on the 2-core VM;
``--quick`` for a smoke test). Writes ``benchmarks/results/retrieval_overhead.txt`` (``--out-dir``
elsewhere, ``--no-save`` not at all; ``--json PATH`` also the raw numbers). Not a test: nothing here
asserts a timing, and pytest does not collect this folder.

What is measured
----------------
Two real vector stores, in process, no network, holding the same seeded corpus: 1000 documents
(150-400 characters of text each) with unit-length 384-dimensional random vectors.

* Chroma: ``chromadb.EphemeralClient`` (telemetry off), a collection with ``embedding_function=None``
  and the cosine space; ``collection.query(query_embeddings=[v], n_results=k,
  include=["documents", "distances"])``.
* Qdrant: ``QdrantClient(":memory:")`` (local mode), cosine distance, the text in the payload under
  ``text``; ``client.query_points(collection, query=v, limit=k, with_payload=True)``.

Each call sends one of 256 seeded query vectors (``--queries``; 16 with ``--quick``), the same sequence
for every configuration of a round, with ``k`` = 5 and 50. Three configurations:

* ``bare``         -- not instrumented (``otel_genai.uninstrument()``), same client objects;
* ``content off``  -- ``otel_genai.instrument(capture_content=False)``: a retrieval span per query with
  ids, scores and ``db.*`` attributes, and the duration metric;
* ``content on``   -- ``otel_genai.instrument(capture_content=True)``: the documents' text in
  ``gen_ai.retrieval.documents`` too, behind the real ``RedactingSpanProcessor`` (default policy, spaCy
  engine), whose worker redacts off the application thread.

Instrumented runs use ``instrument(tracer_provider=..., meter_provider=..., exporter="none",
instrumentors=("chromadb", "qdrant"))`` with SDK providers: for "content off" a ``TracerProvider`` +
``BatchSpanProcessor``, for "content on" a ``TracerProvider`` + ``RedactingSpanProcessor``, both
exporting to an exporter that counts the spans and discards them; a ``MeterProvider`` with an
``InMemoryMetricReader`` that is never collected. So the cost is what the application thread pays:
wrapper, record, span start/end, attributes (the documents JSON), metric recording and the hand-over to
the processor; export and redaction run on the processors' threads (see the CPU column).

Method
------
* ONE process, the same store objects for every configuration. The instrumentation patches the
  clients' classes, so the configuration is switched between blocks (outside the timed region), as in
  ``openai_overhead.py``: the previous handle's ``shutdown()`` plus ``otel_genai.uninstrument()``, then
  ``instrument()`` with that configuration's tracer provider.
* Warm-up per configuration and workload; for "content on" every query vector runs once at k=50 and
  is flushed, so the redactor's cache holds every document it will see (the corpus repeats): the CPU
  column shows a cache-warm redactor. NER throughput is ``redaction_throughput.py``'s subject.
* ``rounds`` rounds (default 30); each round runs every configuration once, in an order rotated from
  round to round, and inside a configuration one block of ``block`` calls (default 50) per workload
  (store x k), the workload order rotated too. Blocks stay under 64 spans, the batch size that wakes the
  redacting worker, so its work mostly falls outside the timed block (its 5 s timer can still fire
  during one: that is the deployed behaviour).
* Before each block: ``gc.collect()``; after it, untimed: ``force_flush`` of the tracer providers and
  a span count check (exactly one retrieval span per call when instrumented, none when
  bare; a missing or broken instrumentor therefore fails the run instead of showing a ratio of 1.0).
* Each call is timed on its own with ``perf_counter_ns``. Reported per (store, k, configuration): p50
  and p99 of all calls, the median of the round medians, Δ µs and the ratio against ``bare`` (median of
  round medians, same run), the paired Δ (per round, block median minus bare's block median of the same
  round; median over rounds and interquartile range: the noise floor), Δp99, and the process CPU per call
  over the block plus its flush (all threads, so export and redaction work count), minus bare's.
* A correctness check first, per configuration and workload: the client returns the same ids as bare,
  the span carries exactly those ids and scores in rank order, ``db.system.name`` is right, and the
  documents' text is on the span only with content on.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import chromadb
import numpy as np
from _report import RESULTS, apply_defaults, load_average, machine, run_header, save, versions, write_json
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from qdrant_client import QdrantClient, models

import otel_genai
from otel_genai import semconv as sc
from otel_genai.redaction import RedactingSpanProcessor, RedactionPolicy

COLLECTION = "bench-docs"
DOCUMENTS, DIMENSIONS = 1000, 384
KS = (5, 50)
CONFIGS = ("bare", "content off", "content on")
STORES = ("chroma", "qdrant")
DB_SYSTEMS = {"chroma": "chroma", "qdrant": "qdrant"}
INSTRUMENTOR_OF = {"chroma": "chromadb", "qdrant": "qdrant"}
WAKE_BATCH = 64  # the redacting worker wakes when this many spans are queued
CLOCK = time.perf_counter_ns
CPU_CLOCK = time.process_time_ns  # all threads of the process

# --- corpus ---------------------------------------------------------------------------------------

_VOCABULARY = (
    "the a of to and in for on with by from as at is are was be can will should may must this that "
    "service request latency span trace metric exporter collector pipeline sampling attribute resource "
    "vector index embedding query document chunk retrieval ranking score distance cosine similarity "
    "model prompt token context window answer citation source policy customer invoice refund order "
    "shipping warranty account password reset login billing plan upgrade support ticket escalation "
    "database replica cluster node shard backup restore snapshot migration schema table column row "
    "kubernetes container deployment rollout canary region zone availability incident postmortem "
    "timeout retry backoff quota limit throttling cache eviction memory disk network bandwidth"
)
_WORDS = _VOCABULARY.split()


class Corpus:
    """Seeded documents (ids, text, unit vectors) and a pool of query vectors."""

    def __init__(self, seed: int, query_pool: int) -> None:
        rng = np.random.default_rng(seed)
        self.ids = [f"doc-{i:04d}" for i in range(DOCUMENTS)]
        self.texts = []
        for i in range(DOCUMENTS):
            words: list[str] = []
            target = int(rng.integers(150, 400))
            while sum(len(w) + 1 for w in words) < target:
                words.append(_WORDS[int(rng.integers(len(_WORDS)))])
            self.texts.append(f"Article {i}. " + " ".join(words).capitalize() + ".")
        vectors = rng.standard_normal((DOCUMENTS, DIMENSIONS)).astype(np.float32)
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        queries = rng.standard_normal((query_pool, DIMENSIONS)).astype(np.float32)
        # plain lists, as an application holding an embedding API's answer would pass them
        self.queries = [q.tolist() for q in queries / np.linalg.norm(queries, axis=1, keepdims=True)]


class ChromaStore:
    name = "chroma"

    def __init__(self, corpus: Corpus) -> None:
        self.client = chromadb.EphemeralClient(settings=chromadb.config.Settings(anonymized_telemetry=False))
        self.collection = self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        for start in range(0, DOCUMENTS, 250):
            end = start + 250
            self.collection.add(
                ids=corpus.ids[start:end],
                embeddings=corpus.vectors[start:end],
                documents=corpus.texts[start:end],
            )

    def query(self, vector: list[float], k: int) -> Any:
        return self.collection.query(
            query_embeddings=[vector], n_results=k, include=["documents", "distances"]
        )

    @staticmethod
    def hits(result: Any) -> list[tuple[str, float]]:
        return [(str(i), float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]


class QdrantStore:
    name = "qdrant"

    def __init__(self, corpus: Corpus) -> None:
        self.client = QdrantClient(":memory:")
        self.client.create_collection(
            COLLECTION,
            vectors_config=models.VectorParams(size=DIMENSIONS, distance=models.Distance.COSINE),
        )
        points = [
            models.PointStruct(id=i, vector=corpus.vectors[i].tolist(), payload={"text": corpus.texts[i]})
            for i in range(DOCUMENTS)
        ]
        self.client.upsert(COLLECTION, points=points)

    def query(self, vector: list[float], k: int) -> Any:
        return self.client.query_points(COLLECTION, query=vector, limit=k, with_payload=True)

    @staticmethod
    def hits(result: Any) -> list[tuple[str, float]]:
        return [(str(p.id), float(p.score)) for p in result.points]


# --- configurations -------------------------------------------------------------------------------


class SinkExporter(SpanExporter):
    """Counts the spans and drops them (keeps them only while ``keep`` is set, for the checks)."""

    def __init__(self) -> None:
        self.count = 0
        self.keep = False
        self.kept: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        if self.keep:
            self.kept.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class Pipeline:
    """One tracer provider per instrumented configuration, a shared meter provider, and the switch."""

    def __init__(self, stores: Sequence[str]) -> None:
        self.instrumentors = tuple(INSTRUMENTOR_OF[name] for name in stores)
        self.sinks = {"content off": SinkExporter(), "content on": SinkExporter()}
        self.meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        self.policy = RedactionPolicy()
        self.providers = {config: TracerProvider() for config in self.sinks}
        self.providers["content off"].add_span_processor(BatchSpanProcessor(self.sinks["content off"]))
        self.providers["content on"].add_span_processor(
            RedactingSpanProcessor(self.sinks["content on"], self.policy, meter_provider=self.meter_provider)
        )
        self.handle: Any = None
        self.config = "bare"

    def activate(self, config: str) -> None:
        if self.handle is not None:
            self.handle.shutdown()  # uninstruments; stops nothing of ours (the providers are given)
            self.handle = None
        otel_genai.uninstrument()
        self.config = config
        if config != "bare":
            self.handle = otel_genai.instrument(
                tracer_provider=self.providers[config],
                meter_provider=self.meter_provider,
                capture_content=config == "content on",
                redaction=self.policy,
                exporter="none",
                instrumentors=self.instrumentors,
            )

    def flush(self) -> None:
        for provider in self.providers.values():
            provider.force_flush(60_000)

    def exported(self) -> int:
        """Spans exported so far by all configurations (flush first)."""
        return sum(sink.count for sink in self.sinks.values())

    def instrumented(self) -> tuple[str, ...]:
        return tuple(self.handle.instrumented) if self.handle is not None else ()


def check(pipeline: Pipeline, stores: dict[str, Any], corpus: Corpus) -> dict[str, str]:
    """Per configuration and store: same answers as bare, and the span we promise (one, right ids)."""
    vector = corpus.queries[0]
    pipeline.activate("bare")
    expected = {(name, k): store.hits(store.query(vector, k)) for name, store in stores.items() for k in KS}
    verdicts = {}
    for config in CONFIGS[1:]:
        pipeline.activate(config)
        sink = pipeline.sinks[config]
        for name, store in stores.items():
            problems = []
            if INSTRUMENTOR_OF[name] not in pipeline.instrumented():
                problems.append(f"{INSTRUMENTOR_OF[name]} not instrumented ({pipeline.instrumented()})")
            for k in KS:
                pipeline.flush()
                sink.kept.clear()
                sink.keep = True
                hits = store.hits(store.query(vector, k))
                pipeline.flush()
                sink.keep = False
                spans, sink.kept = sink.kept, []
                if hits != expected[name, k]:
                    problems.append(f"k={k}: answer altered")
                if len(spans) != 1:
                    problems.append(f"k={k}: {len(spans)} spans, expected 1")
                    continue
                problems += _span_problems(spans[0], name, k, hits, content=config == "content on")
            verdicts[f"{name} {config}"] = "; ".join(problems) or "ok"
    pipeline.activate("bare")
    return verdicts


def _span_problems(
    span: ReadableSpan, store: str, k: int, hits: list[tuple[str, float]], content: bool
) -> list[str]:
    attributes = dict(span.attributes or {})
    problems = []
    if attributes.get(sc.DB_SYSTEM_NAME) != DB_SYSTEMS[store]:
        problems.append(f"k={k}: db.system.name={attributes.get(sc.DB_SYSTEM_NAME)!r}")
    if attributes.get(sc.GEN_AI_OPERATION_NAME) != sc.OPERATION_RETRIEVAL:
        problems.append(f"k={k}: operation {attributes.get(sc.GEN_AI_OPERATION_NAME)!r}")
    try:
        documents = json.loads(str(attributes.get(sc.GEN_AI_RETRIEVAL_DOCUMENTS)))
        got = [(d["id"], d["score"]) for d in documents]
    except (ValueError, KeyError, TypeError):
        return [*problems, f"k={k}: no readable {sc.GEN_AI_RETRIEVAL_DOCUMENTS}"]
    if [i for i, _ in got] != [i for i, _ in hits] or not all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for (_, a), (_, b) in zip(got, hits, strict=True)
    ):
        problems.append(f"k={k}: span ids/scores differ from the client's answer")
    with_text = sum(1 for d in documents if "content" in d)
    if content and with_text != len(hits):
        problems.append(f"k={k}: text on {with_text}/{len(hits)} documents with content on")
    if not content and with_text:
        problems.append(f"k={k}: text on {with_text} documents with content off")
    return problems


# --- timing ---------------------------------------------------------------------------------------


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _quartiles(values: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return _percentile(ordered, 0.25), _percentile(ordered, 0.75)


@dataclass
class Timings:
    """Per (store, k, configuration): every call's ns, each block's median µs and CPU µs per call."""

    samples: dict[tuple[str, int, str], list[int]]
    block_medians: dict[tuple[str, int, str], list[float]]
    block_cpu: dict[tuple[str, int, str], list[float]]
    span_errors: list[str]
    miscounted: set[tuple[str, int, str]]
    elapsed: float


def timed_rounds(
    args: argparse.Namespace,
    configs: list[str],
    workloads: list[tuple[str, int]],
    queries: list[Any],
    stores: dict[str, Any],
    switch: Any,
    spans_per_query: Callable[[str, str], int],
) -> Timings:
    """Interleaved rounds of timed blocks; ``switch`` activates a configuration, flushes and counts spans.

    Configuration and workload order rotate every round; every configuration of a round sends the same
    query vectors; each block is checked (untimed) for exactly the spans it should have produced.
    """
    keys = [(name, k, config) for name, k in workloads for config in configs]
    timings = Timings(
        {key: [] for key in keys}, {key: [] for key in keys}, {key: [] for key in keys}, [], set(), 0.0
    )
    n = args.block
    started = time.perf_counter()
    for round_no in range(args.rounds):
        shift = round_no % len(configs)
        order = configs[shift:] + configs[:shift]
        wshift = round_no % len(workloads)
        round_workloads = workloads[wshift:] + workloads[:wshift]
        offset = (round_no * n) % len(queries)
        round_queries = [queries[(offset + i) % len(queries)] for i in range(n)]
        for config in order:
            switch.activate(config)
            for name, k in round_workloads:
                query = stores[name].query
                switch.flush()
                before = switch.exported()
                gc.collect()
                times: list[int] = []
                append = times.append
                cpu0 = CPU_CLOCK()
                for vector in round_queries:
                    t0 = CLOCK()
                    query(vector, k)
                    append(CLOCK() - t0)
                switch.flush()
                timings.block_cpu[name, k, config].append((CPU_CLOCK() - cpu0) / n / 1000)
                got = switch.exported() - before
                want = 0 if config == "bare" else n * spans_per_query(config, name)
                if got != want:
                    timings.miscounted.add((name, k, config))
                    timings.span_errors.append(
                        f"round {round_no} {name} k={k} {config}: {got} spans, expected {want}"
                    )
                timings.samples[name, k, config].extend(times)
                timings.block_medians[name, k, config].append(statistics.median(times) / 1000)
        if not args.quiet:
            print(f"  round {round_no + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    switch.activate("bare")
    timings.elapsed = time.perf_counter() - started
    return timings


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup_started = time.perf_counter()
    corpus = Corpus(args.seed, args.queries)
    stores = {name: {"chroma": ChromaStore, "qdrant": QdrantStore}[name](corpus) for name in args.stores}
    pipeline = Pipeline(list(stores))
    workloads = [(name, k) for name in stores for k in KS]
    queries = corpus.queries

    verdicts = check(pipeline, stores, corpus)
    for config in CONFIGS:
        pipeline.activate(config)
        for name, k in workloads:
            for i in range(args.warmup):
                stores[name].query(queries[i % len(queries)], k)
        if config == "content on":  # prime the redactor's cache with every document the queries reach
            for store in stores.values():
                for vector in queries:
                    store.query(vector, max(KS))
        pipeline.flush()
    pipeline.activate("bare")
    setup_seconds = time.perf_counter() - setup_started

    timed = timed_rounds(args, CONFIGS, workloads, queries, stores, pipeline, lambda config, name: 1)
    samples, block_medians, block_cpu = timed.samples, timed.block_medians, timed.block_cpu
    span_errors, miscounted, elapsed = timed.span_errors, timed.miscounted, timed.elapsed

    results: dict[str, Any] = {}
    for name, k in workloads:
        base_key = (name, k, "bare")
        base_us = sorted(x / 1000 for x in samples[base_key])
        base_blocks = block_medians[base_key]
        base_round_median = statistics.median(base_blocks)
        base_p99 = _percentile(base_us, 0.99)
        base_cpu = statistics.median(block_cpu[base_key])
        rows = {}
        for config in CONFIGS:
            us = sorted(x / 1000 for x in samples[name, k, config])
            blocks = block_medians[name, k, config]
            round_median = statistics.median(blocks)
            paired = [b - a for a, b in zip(base_blocks, blocks, strict=True)]
            q1, q3 = _quartiles(paired)
            cpu = statistics.median(block_cpu[name, k, config])
            rows[config] = {
                # the ratio means something only if the instrumented side emitted its spans, right ones
                "valid": (name, k, config) not in miscounted
                and verdicts.get(f"{name} {config}", "ok") == "ok",
                "n": len(us),
                "p50_us": round(statistics.median(us), 1),
                "p99_us": round(_percentile(us, 0.99), 1),
                "mean_us": round(statistics.fmean(us), 1),
                "round_median_us": round(round_median, 1),
                "delta_us": round(round_median - base_round_median, 1),
                "ratio": round(round_median / base_round_median, 3),
                "paired_delta_us": round(statistics.median(paired), 1),
                "paired_delta_q1_us": round(q1, 1),
                "paired_delta_q3_us": round(q3, 1),
                "delta_p99_us": round(_percentile(us, 0.99) - base_p99, 1),
                "cpu_per_call_us": round(cpu, 1),
                "cpu_delta_us": round(cpu - base_cpu, 1),
            }
        results[f"{name} k={k}"] = rows
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(args.loadavg_start),
        "versions": versions(
            ("chromadb", "qdrant-client", "numpy", "opentelemetry-sdk", "spacy", "wrapt", "otel-genai")
        ),
        "settings": {
            "rounds": args.rounds,
            "block": args.block,
            "warmup": args.warmup,
            "documents": DOCUMENTS,
            "dimensions": DIMENSIONS,
            "query_pool": args.queries,
            "ks": list(KS),
            "stores": list(stores),
            "seed": args.seed,
            "setup_seconds": round(setup_seconds, 1),
            "timed_seconds": round(elapsed, 1),
        },
        "checks": verdicts,
        "span_count_errors": span_errors,
        "results": results,
    }


def table(report: dict[str, Any]) -> str:
    settings = report["settings"]
    lines = [
        "otel_genai overhead on local vector-store queries: Chroma (EphemeralClient) and Qdrant (:memory:)",
        *run_header(report),
        f"{settings['documents']} documents x {settings['dimensions']} dims, cosine; "
        f"{settings['rounds']} rounds x blocks of {settings['block']} queries per (store, k, configuration), "
        "interleaved; "
        f"timed part {settings['timed_seconds']} s (set-up and warm-up {settings['setup_seconds']} s)",
        "",
        f"{'store':<7} {'k':>3} {'config':<12} {'calls':>6} {'p50 µs':>8} {'p99 µs':>8} {'rnd med':>8} "
        f"{'Δ µs':>6} {'x bare':>7} {'paired Δ (IQR)':>20} {'Δp99':>6} {'CPU Δ':>6}",
        "-" * 106,
    ]
    for workload, rows in report["results"].items():
        store, k = workload.split(" k=")
        for config, row in rows.items():
            delta = ratio = paired = dp99 = cpu = "—"
            if config != "bare":
                delta = f"{row['delta_us']:+.0f}"
                ratio = f"{row['ratio']:.3f}" if row["valid"] else "INVALID"
                paired = (
                    f"{row['paired_delta_us']:+.0f} ({row['paired_delta_q1_us']:+.0f}…"
                    f"{row['paired_delta_q3_us']:+.0f})"
                )
                dp99 = f"{row['delta_p99_us']:+.0f}"
                cpu = f"{row['cpu_delta_us']:+.0f}"
            first = config == "bare"
            lines.append(
                f"{store if first else '':<7} {k if first else '':>3} {config:<12} {row['n']:>6} "
                f"{row['p50_us']:>8.0f} {row['p99_us']:>8.0f} {row['round_median_us']:>8.0f} {delta:>6} "
                f"{ratio:>7} {paired:>20} {dp99:>6} {cpu:>6}"
            )
        lines.append("")
    lines += [
        "rnd med: median of the per-round block medians. Δ µs, x bare: rnd med minus/over bare's, same run.",
        "  paired Δ: per round, block median minus bare's block median; median over rounds (interquartile).",
        "  Δp99: p99 of all calls minus bare's. CPU Δ: process CPU (all threads) per call over the block and",
        "  its flush, minus bare's: includes the export and redaction threads' work (redactor cache warm).",
        "",
        "summary: instrumented / bare (rnd med); Δ µs per query (rnd med) and paired Δ µs",
    ]
    for workload, rows in report["results"].items():
        parts = []
        for config in CONFIGS[1:]:
            row = rows[config]
            ratio = f"{row['ratio']:.3f}x" if row["valid"] else "INVALID (no or wrong spans)"
            parts.append(f"{config} {ratio} ({row['delta_us']:+.0f}, paired {row['paired_delta_us']:+.0f})")
        lines.append(f"  {workload:<11} " + "; ".join(parts))
    lines += [
        "checks: " + "; ".join(f"{k}: {v}" for k, v in report["checks"].items()),
    ]
    if report["span_count_errors"]:
        lines.append(
            f"SPAN COUNT ERRORS ({len(report['span_count_errors'])}): "
            + "; ".join(report["span_count_errors"][:5])
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run (under 30 s), for a smoke test")
    parser.add_argument("--rounds", type=int, help="rounds (each runs every configuration once; default 30)")
    parser.add_argument("--block", type=int, help="queries per (store, k, configuration) per round (50)")
    parser.add_argument("--warmup", type=int, help="warm-up queries per (store, k, configuration) (100)")
    parser.add_argument(
        "--stores", default=",".join(STORES), help=f"comma-separated, from {', '.join(STORES)} (default all)"
    )
    parser.add_argument("--queries", type=int, help="distinct seeded query vectors, used in turn (256)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out-dir", default=str(RESULTS), help="where retrieval_overhead.txt goes")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    defaults = {"rounds": (5, 30), "block": (15, 50), "warmup": (10, 100), "queries": (16, 256)}
    apply_defaults(args, defaults)
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(args.stores) - set(STORES)
    if unknown or not args.stores:
        parser.error(f"--stores: unknown {sorted(unknown)}; choose from {', '.join(STORES)}")
    if args.block >= WAKE_BATCH:
        print(
            f"note: blocks of {args.block} >= {WAKE_BATCH} wake the redacting worker inside the timed block",
            file=sys.stderr,
        )
    args.loadavg_start = load_average()

    report = run(args)
    text = table(report)
    print(text)
    if not args.no_save:
        save(args.out_dir, "retrieval_overhead", text)
    if args.json:
        write_json(args.json, report)
    broken = any(verdict != "ok" for verdict in report["checks"].values())
    return 1 if broken or report["span_count_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
