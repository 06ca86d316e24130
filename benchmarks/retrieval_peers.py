"""Per-query overhead of otel_genai's Chroma and Qdrant instrumentation beside the peers' vector-store ones.

Not part of ``make test`` and not run from the project venv: the peers' packages live in a side venv
outside the repository (``$RETRIEVAL_PEERS_ROOT``, default ``/tmp/retrieval-peers``), so the project venv
never sees them.

Bootstrap and run
-----------------
::

    python3 benchmarks/retrieval_peers.py --bootstrap     # once: creates $ROOT/venv and pip-installs
    python3 benchmarks/retrieval_peers.py                 # re-runs itself under $ROOT/venv/bin/python
    python3 benchmarks/retrieval_peers.py --quick         # smoke test (under a minute)

``--bootstrap`` creates ``$ROOT/venv`` (``python3 -m venv``) and installs chromadb 1.5.9, qdrant-client
1.20.0, opentelemetry-sdk, Traceloop/OpenLLMetry's ``opentelemetry-instrumentation-chromadb`` and
``opentelemetry-instrumentation-qdrant`` (latest), and this checkout editable (``pip install -e``, with its
dependencies), and ``openlit`` (pinned to 1.45.0, the release measured; ``--no-openlit`` leaves it out), all
in ONE pip resolution: openlit pins the OpenTelemetry API/SDK (1.45.1 with openlit 1.45.0), and every
configuration then runs on that SDK. If that resolution fails, the rest is installed without openlit,
which is then reported as skipped (as it is whenever ``openlit.instrumentation.chroma`` does not import).
The run prints its table (``--out PATH`` also writes it, ``--json PATH`` the raw numbers);
``benchmarks/results/retrieval_peers.md`` is the hand-written reading of such a run.

What is measured
----------------
The workload of ``retrieval_overhead.py``, imported from it (same corpus, same seeds, same calls):
1000 documents with text and unit 384-dim vectors, cosine; Chroma ``EphemeralClient`` (telemetry off,
``embedding_function=None``) ``collection.query(query_embeddings=[v], n_results=k,
include=["documents", "distances"])``; Qdrant ``QdrantClient(":memory:")`` ``query_points(collection,
query=v, limit=k, with_payload=True)`` with the text in the payload; k = 5 and 50.

Configurations, all in ONE process, on the same client objects, content capture OFF for all:

* ``bare``        -- nothing instrumented;
* ``otel_genai``  -- ``otel_genai.instrument(tracer_provider=..., meter_provider=..., exporter="none",
  capture_content=False, instrumentors=("chromadb", "qdrant"))``;
* ``traceloop``   -- ``ChromaInstrumentor().instrument(tracer_provider=...)`` and
  ``QdrantInstrumentor().instrument(tracer_provider=...)`` with ``TRACELOOP_TRACE_CONTENT=false`` in the
  environment (these two packages do not read it: see the emitted-attributes dump);
* ``openlit``     -- only when ``openlit`` imports: its Chroma and Qdrant instrumentors directly (not
  ``openlit.init()``, which fetches a pricing file over the network and instruments everything),
  ``capture_message_content=False``, ``disable_metrics=True`` (its metrics need ``init()``'s global meter
  set-up). Its instrumentors use the GLOBAL tracer provider, so that one is set to openlit's provider;
  its ``_uninstrument`` is a no-op, so switching it off removes its wrappers by hand (wrapt's
  ``__wrapped__``).

Every instrumented configuration gets its own SDK ``TracerProvider`` + ``BatchSpanProcessor`` into an
exporter that counts and discards the spans, and its own ``MeterProvider`` with an ``InMemoryMetricReader``
(collected only in the check phase). The configuration is switched between blocks, outside the timed
region (``uninstrument()`` of the previous one, ``instrument()`` of the next); after a switch to bare the
client methods are checked to carry no wrapper.

Method (as ``retrieval_overhead.py``): warm-up per configuration and workload; ``rounds`` rounds, each
running every configuration once in a rotated order, one block of ``block`` calls per (store, k), the
workload order rotated too; ``gc.collect()`` before each block; after it, untimed, ``force_flush`` and a
span count check against the spans per query the check phase saw (at least one; a configuration that
emits nothing is reported INVALID, never as a ratio). Each call is timed with ``perf_counter_ns``; reported:
median of the per-round block medians, Δ µs and ratio against bare, the paired Δ (per round, block median
minus bare's of the same round) with its interquartile range, p99, and process CPU per call over block
plus flush (all threads, so the export thread counts) minus bare's.

The check phase (``--semconv`` prints it in full) runs one k=5 query per store and configuration with the
spans kept, and records what each emits: span names, kinds and count per query, events per hit, whether
the returned ids, scores, document text or the query vector appear anywhere on the span (attributes or
event attributes), and the GenAI / database semconv attributes present.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _report import apply_defaults, load_average, machine, run_header, versions, write_json, write_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ROOT = Path(os.environ.get("RETRIEVAL_PEERS_ROOT", "/tmp/retrieval-peers"))
VENV = ROOT / "venv"
REQUIREMENTS = [
    "chromadb==1.5.9",
    "qdrant-client==1.20.0",
    "opentelemetry-sdk",
    "opentelemetry-instrumentation-chromadb",
    "opentelemetry-instrumentation-qdrant",
]
# the release measured; left free, pip may settle on an old openlit (1.34) to keep the newest SDK
OPENLIT = "openlit==1.45.0"
KS = (5, 50)
STORES = ("chroma", "qdrant")
CONFIGS = ("bare", "otel_genai", "traceloop", "openlit")
SEMCONV_KEYS = (
    "gen_ai.operation.name",
    "gen_ai.data_source.id",
    "gen_ai.retrieval.top_k",
    "gen_ai.request.top_k",
    "gen_ai.retrieval.documents",
    "db.system.name",
    "db.system",
    "db.collection.name",
    "db.operation.name",
    "db.response.returned_rows",
    "server.address",
)


def bootstrap(with_openlit: bool) -> int:
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # one resolver run, so that openlit's OpenTelemetry pins and the others' meet (or fail together)
    extra = [OPENLIT] if with_openlit else []
    if subprocess.run([*pip, *REQUIREMENTS, *extra, "-e", str(REPO)]).returncode != 0 and extra:
        print("openlit does not install beside the others: installing without it", file=sys.stderr)
        subprocess.run([*pip, *REQUIREMENTS, "-e", str(REPO)], check=True)
    return 0


def _in_side_venv() -> bool:
    try:
        import opentelemetry.instrumentation.chromadb
        import opentelemetry.instrumentation.qdrant  # noqa: F401
    except ImportError:
        return False
    return True


# --- configurations -------------------------------------------------------------------------------


class Switch:
    """One tracer provider, sink and meter provider per instrumented configuration; the on/off switch."""

    def __init__(self, configs: list[str]) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from retrieval_overhead import SinkExporter

        self.configs = configs
        self.sinks = {c: SinkExporter() for c in configs if c != "bare"}
        self.providers = {c: TracerProvider() for c in self.sinks}
        self.readers = {c: InMemoryMetricReader() for c in self.sinks}
        self.meters = {c: MeterProvider(metric_readers=[self.readers[c]]) for c in self.sinks}
        for config, provider in self.providers.items():
            provider.add_span_processor(BatchSpanProcessor(self.sinks[config]))
        self.active = "bare"
        self.undo: Any = None
        if "openlit" in self.providers:
            from opentelemetry import trace

            trace.set_tracer_provider(self.providers["openlit"])

    def activate(self, config: str) -> None:
        if self.undo is not None:
            self.undo()
            self.undo = None
        self.active = config
        if config == "bare":
            _assert_unwrapped()
            return
        self.undo = getattr(self, "_" + config)(self.providers[config], self.meters[config])

    @staticmethod
    def _otel_genai(tracer_provider: Any, meter_provider: Any) -> Any:
        import otel_genai

        handle = otel_genai.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            exporter="none",
            capture_content=False,
            instrumentors=("chromadb", "qdrant"),
        )
        if set(handle.instrumented) != {"chromadb", "qdrant"}:
            raise RuntimeError(f"otel_genai instrumented {handle.instrumented}")

        def undo() -> None:
            handle.shutdown()
            otel_genai.uninstrument()

        return undo

    @staticmethod
    def _traceloop(tracer_provider: Any, meter_provider: Any) -> Any:
        from opentelemetry.instrumentation.chromadb import ChromaInstrumentor
        from opentelemetry.instrumentation.qdrant import QdrantInstrumentor

        instrumentors = [ChromaInstrumentor(), QdrantInstrumentor()]
        for instrumentor in instrumentors:
            instrumentor.instrument(tracer_provider=tracer_provider)

        def undo() -> None:
            for instrumentor in instrumentors:
                instrumentor.uninstrument()

        return undo

    @staticmethod
    def _openlit(tracer_provider: Any, meter_provider: Any) -> Any:
        # OpenLIT's instrumentors take their tracer from the GLOBAL provider (trace.get_tracer(__name__),
        # whatever is passed), which __init__ set to this configuration's provider; its metrics need
        # openlit.init()'s global meter set-up, so they are off. Its _uninstrument() is a no-op: undo()
        # removes its wrappers itself.
        from openlit._config import OpenlitConfig
        from openlit.instrumentation.chroma import ChromaInstrumentor
        from openlit.instrumentation.qdrant import QdrantInstrumentor

        OpenlitConfig()  # what openlit.init() would set up first: the defaults (metrics_dict={}, ...)
        OpenlitConfig.capture_message_content = False
        OpenlitConfig.disable_metrics = True
        instrumentors = [ChromaInstrumentor(), QdrantInstrumentor()]
        for instrumentor in instrumentors:
            instrumentor.instrument(
                environment="bench",
                application_name="bench",
                pricing_info={},
                capture_message_content=False,
                disable_metrics=True,
            )

        def undo() -> None:
            for instrumentor in instrumentors:
                instrumentor.uninstrument()
            _strip_wrappers()

        return undo

    def flush(self) -> None:
        for provider in self.providers.values():
            provider.force_flush(60_000)

    def exported(self) -> int:
        return sum(sink.count for sink in self.sinks.values())


def _wrapped_classes() -> list[Any]:
    import chromadb
    import chromadb.db
    import qdrant_client

    return [chromadb.Collection, chromadb.db.DB, qdrant_client.QdrantClient, qdrant_client.AsyncQdrantClient]


def _strip_wrappers() -> None:
    """Put back every wrapt-wrapped method of the client classes (for OpenLIT, which cannot)."""
    for owner in _wrapped_classes():
        for name, attribute in list(vars(owner).items()):
            if hasattr(attribute, "__wrapped__"):
                setattr(owner, name, attribute.__wrapped__)


def _assert_unwrapped() -> None:
    for owner in _wrapped_classes():
        left = [name for name, attribute in vars(owner).items() if hasattr(attribute, "__wrapped__")]
        if left:
            raise RuntimeError(f"{owner.__name__}: {left} still wrapped after uninstrument")


# --- what each configuration emits ------------------------------------------------------------------


def _values(span: Any) -> list[Any]:
    values = list((span.attributes or {}).values())
    for event in span.events:
        values.extend((event.attributes or {}).values())
    return values


def _contains(values: list[Any], needle: str) -> bool:
    return any(needle in v if isinstance(v, str) else False for v in values)


def _has_id(values: list[Any], hit_id: str) -> bool:
    """The id as a whole value, or JSON-quoted inside one (not a substring of some number)."""
    for v in values:
        if v == hit_id or (hit_id.isdigit() and v == int(hit_id)):
            return True
        if isinstance(v, str) and f'"{hit_id}"' in v:
            return True
    return False


def _has_score(values: list[Any], score: float) -> bool:
    for v in values:
        if isinstance(v, float) and math.isclose(v, score, rel_tol=1e-6, abs_tol=1e-9):
            return True
        if isinstance(v, str) and repr(score)[:10] in v:
            return True
    return False


def emitted(switch: Switch, stores: dict[str, Any], corpus: Any, k: int = 5) -> dict[str, Any]:
    """Per (config, store): the spans of one k=5 query and what they carry (ids, scores, text, vector)."""
    vector = corpus.queries[0]
    texts = dict(zip(corpus.ids, corpus.texts, strict=True))
    vector_probe = json.dumps(vector[0])[:10]
    out: dict[str, Any] = {}
    for config in switch.configs:
        if config == "bare":
            continue
        switch.activate(config)
        sink = switch.sinks[config]
        for name, store in stores.items():
            switch.flush()
            sink.kept.clear()
            sink.keep = True
            result = store.query(vector, k)
            switch.flush()
            sink.keep = False
            spans, sink.kept = list(sink.kept), []
            hits = store.hits(result)
            values = [v for span in spans for v in _values(span)]
            doc_texts = [texts[i] if name == "chroma" else texts[corpus.ids[int(i)]] for i, _ in hits]
            ids = [i for i, _ in hits]
            all_attrs: dict[str, Any] = {}
            for span in spans:
                all_attrs.update(span.attributes or {})
            events = [e.name for span in spans for e in span.events]
            out[f"{config} {name}"] = {
                "spans_per_query": len(spans),
                "names": [s.name for s in spans],
                "kinds": [s.kind.name for s in spans],
                "events": len(events),
                "event_names": sorted(set(events)),
                "ids": all(_has_id(values, i) for i in ids),
                "scores": all(_has_score(values, s) for _, s in hits),
                "text": sum(_contains(values, t) for t in doc_texts),
                "vector": _contains(values, vector_probe),
                "semconv": {key: all_attrs.get(key) for key in SEMCONV_KEYS if key in all_attrs},
                "attributes": {key: _short(v) for key, v in all_attrs.items()},
            }
        metrics = switch.readers[config].get_metrics_data()
        names = sorted(
            {
                m.name
                for rm in (metrics.resource_metrics if metrics else [])
                for sm in rm.scope_metrics
                for m in sm.metrics
            }
        )
        for name in stores:
            out[f"{config} {name}"]["metrics"] = names
    switch.activate("bare")
    return out


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- timing ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from retrieval_overhead import ChromaStore, Corpus, QdrantStore, _percentile, _quartiles, timed_rounds

    os.environ["TRACELOOP_TRACE_CONTENT"] = "false"
    configs = ["bare", "otel_genai", "traceloop"]
    skipped = {}
    try:
        import openlit.instrumentation.chroma
        import openlit.instrumentation.qdrant  # noqa: F401

        configs.append("openlit")
    except Exception as exc:  # any import failure means: not measured
        skipped["openlit"] = f"{type(exc).__name__}: {exc}"
    if args.only:
        configs = [c for c in configs if c == "bare" or c in args.only]

    setup_started = time.perf_counter()
    corpus = Corpus(args.seed, args.queries)
    stores = {"chroma": ChromaStore(corpus), "qdrant": QdrantStore(corpus)}
    switch = Switch(configs)
    workloads = [(name, k) for name in stores for k in KS]
    queries = corpus.queries

    switch.activate("bare")
    expected = {(n, k): stores[n].hits(stores[n].query(queries[0], k)) for n, k in workloads}
    seen = emitted(switch, stores, corpus)
    for key, e in emitted(switch, stores, corpus, k=max(KS)).items():
        seen[key]["events_k50"] = e["events"]
    per_query = {c: {n: seen[f"{c} {n}"]["spans_per_query"] for n in stores} for c in configs if c != "bare"}
    verdicts = {}
    for config in configs[1:]:
        switch.activate(config)
        problems = [
            f"{n} k={k}: answer altered"
            for n, k in workloads
            if stores[n].hits(stores[n].query(queries[0], k)) != expected[n, k]
        ]
        problems += [f"{n}: no span" for n in stores if per_query[config][n] < 1]
        verdicts[config] = "; ".join(problems) or "ok"
    for config in configs:
        switch.activate(config)
        for name, k in workloads:
            for i in range(args.warmup):
                stores[name].query(queries[i % len(queries)], k)
        switch.flush()
    switch.activate("bare")
    setup_seconds = time.perf_counter() - setup_started

    timed = timed_rounds(
        args, configs, workloads, queries, stores, switch, lambda config, name: per_query[config][name]
    )
    samples, block_medians, block_cpu = timed.samples, timed.block_medians, timed.block_cpu
    span_errors, elapsed = timed.span_errors, timed.elapsed

    bad = {c for c in configs if any(f" {c}:" in e for e in span_errors) or verdicts.get(c, "ok") != "ok"}
    results: dict[str, Any] = {}
    for name, k in workloads:
        base = block_medians[name, k, "bare"]
        base_med = statistics.median(base)
        base_p99 = _percentile(sorted(samples[name, k, "bare"]), 0.99) / 1000
        base_cpu = statistics.median(block_cpu[name, k, "bare"])
        rows = {}
        for config in configs:
            blocks = block_medians[name, k, config]
            med = statistics.median(blocks)
            paired = [b - a for a, b in zip(base, blocks, strict=True)]
            q1, q3 = _quartiles(paired)
            p99 = _percentile(sorted(samples[name, k, config]), 0.99) / 1000
            cpu = statistics.median(block_cpu[name, k, config])
            rows[config] = {
                "valid": config not in bad,
                "round_median_us": round(med, 1),
                "delta_us": round(med - base_med, 1),
                "ratio": round(med / base_med, 3),
                "paired_delta_us": round(statistics.median(paired), 1),
                "paired_q1_us": round(q1, 1),
                "paired_q3_us": round(q3, 1),
                "p99_us": round(p99, 1),
                "delta_p99_us": round(p99 - base_p99, 1),
                "cpu_delta_us": round(cpu - base_cpu, 1),
            }
        results[f"{name} k={k}"] = rows
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(args.loadavg_start),
        "versions": versions(
            (
                "chromadb",
                "qdrant-client",
                "opentelemetry-sdk",
                "opentelemetry-instrumentation-chromadb",
                "opentelemetry-instrumentation-qdrant",
                "opentelemetry-semantic-conventions-ai",
                "openlit",
                "wrapt",
                "otel-genai",
            )
        ),
        "settings": {
            "rounds": args.rounds,
            "block": args.block,
            "warmup": args.warmup,
            "query_pool": args.queries,
            "seed": args.seed,
            "setup_seconds": round(setup_seconds, 1),
            "timed_seconds": round(elapsed, 1),
        },
        "configs": configs,
        "skipped": skipped,
        "checks": verdicts,
        "span_count_errors": span_errors,
        "emitted": seen,
        "results": results,
    }


def table(report: dict[str, Any]) -> str:
    s = report["settings"]
    lines = [
        "vector-store instrumentation overhead: otel_genai beside the peers (content capture off)",
        *run_header(report),
        f"{s['rounds']} rounds x blocks of {s['block']} queries per (store, k, config), interleaved, one "
        f"process; timed {s['timed_seconds']} s (set-up {s['setup_seconds']} s)",
        "",
        f"{'store':<7} {'k':>3} {'config':<11} {'rnd med':>8} {'Δ µs':>6} {'x bare':>7} "
        f"{'paired Δ (IQR)':>20} {'p99':>7} {'Δp99':>6} {'CPU Δ':>6}",
        "-" * 90,
    ]
    for workload, rows in report["results"].items():
        store, k = workload.split(" k=")
        for config, row in rows.items():
            first = config == "bare"
            delta = ratio = paired = dp99 = cpu = "—"
            if not first:
                delta = f"{row['delta_us']:+.0f}"
                ratio = f"{row['ratio']:.3f}" if row["valid"] else "INVALID"
                paired = (
                    f"{row['paired_delta_us']:+.0f} ({row['paired_q1_us']:+.0f}…{row['paired_q3_us']:+.0f})"
                )
                dp99 = f"{row['delta_p99_us']:+.0f}"
                cpu = f"{row['cpu_delta_us']:+.0f}"
            lines.append(
                f"{store if first else '':<7} {k if first else '':>3} {config:<11} "
                f"{row['round_median_us']:>8.0f} {delta:>6} {ratio:>7} {paired:>20} "
                f"{row['p99_us']:>7.0f} {dp99:>6} {cpu:>6}"
            )
        lines.append("")
    lines.append("emitted per k=5 query (content capture off):")
    for key, e in report["emitted"].items():
        lines.append(
            f"  {key:<18} spans {e['spans_per_query']} {e['names']} {e['kinds']}; events {e['events']} "
            f"(k=50: {e['events_k50']}) "
            f"{e['event_names']}; ids {'y' if e['ids'] else '.'} scores {'y' if e['scores'] else '.'} "
            f"text {e['text']}/5 vector {'y' if e['vector'] else '.'}; semconv {sorted(e['semconv'])}; "
            f"metrics {e['metrics']}"
        )
    lines.append("skipped: " + (", ".join(f"{k} ({v})" for k, v in report["skipped"].items()) or "none"))
    lines.append("checks: " + "; ".join(f"{k}: {v}" for k, v in report["checks"].items()))
    if report["span_count_errors"]:
        errors = report["span_count_errors"]
        lines.append(f"SPAN COUNT ERRORS ({len(errors)}): " + "; ".join(errors[:5]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", action="store_true", help=f"create and fill {VENV}, then exit")
    parser.add_argument("--no-openlit", action="store_true", help="with --bootstrap: leave openlit out")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--rounds", type=int, help="rounds (default 30)")
    parser.add_argument("--block", type=int, help="queries per (store, k, config) per round (default 50)")
    parser.add_argument("--warmup", type=int, help="warm-up queries per (store, k, config) (default 100)")
    parser.add_argument("--queries", type=int, help="distinct seeded query vectors (default 256)")
    parser.add_argument("--only", help="comma-separated configs besides bare (default: all importable)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--semconv", action="store_true", help="print every attribute each config set")
    parser.add_argument("--out", metavar="PATH", help="also write the table there")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.bootstrap:
        return bootstrap(not args.no_openlit)
    if not _in_side_venv():
        python = VENV / "bin" / "python"
        if not python.exists():
            parser.error(f"no side venv at {VENV}: run with --bootstrap first")
        forwarded = argv if argv is not None else sys.argv[1:]
        return subprocess.run([str(python), __file__, *forwarded]).returncode
    defaults = {"rounds": (4, 30), "block": (15, 50), "warmup": (10, 100), "queries": (16, 256)}
    apply_defaults(args, defaults)
    args.only = [c.strip() for c in args.only.split(",")] if args.only else None
    args.loadavg_start = load_average()

    report = run(args)
    text = table(report)
    print(text)
    if args.semconv:
        for key, e in report["emitted"].items():
            print(f"\n{key}: {json.dumps(e['attributes'], indent=1, default=str)}")
    if args.out:
        write_text(args.out, text)
    if args.json:
        write_json(args.json, report)
    broken = any(v != "ok" for v in report["checks"].values())
    return 1 if broken or report["span_count_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
