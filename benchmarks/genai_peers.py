"""otel_genai beside the other instrumentations of ``google-genai``, in one run, on the same canned answers.

Not part of ``make bench`` (it needs a venv per peer) and not a test: nothing here asserts a timing.

    python3 benchmarks/genai_peers.py --bootstrap     # once: the venvs under /tmp/genai-peers (pip, PyPI)
    python3 benchmarks/genai_peers.py --rounds 2      # writes benchmarks/results/genai_peers.md and .json

What is compared
----------------
Each instrumentation in its own venv (``--venv-root``, default /tmp/genai-peers), with the google-genai,
httpx2 and OpenTelemetry API/SDK releases of the project venv (``--bootstrap`` pins them): ``ours`` (this
checkout, editable), ``traceloop`` (opentelemetry-instrumentation-google-generativeai, which wraps
google-genai's ``Models``), ``openinference`` (openinference-instrumentation-google-genai) and ``official``
(opentelemetry-instrumentation-google-genai with opentelemetry-util-genai). The official one declares
``google-genai<3`` and instruments nothing on 3.x, so it is measured twice: forced onto the same 3.x
(``skip_dep_check=True``: ``official-forced``), and in venv ``genai2`` on the newest 2.x it supports,
where ours runs too (``...@genai2``) for a comparison on the same SDK release. Each is run with content
capture off and on, the way its documentation says, and each venv has its own bare baseline (no
OpenTelemetry SDK at all). The workload is ``provider_overhead.py``'s Gemini one: the real
``google.genai.Client`` whose httpx2 client has an ``httpx2.MockTransport``; ``models.generate_content`` and
a 50-chunk ``generate_content_stream`` consumed fully. The pipeline is the same for all: TracerProvider +
SimpleSpanProcessor(InMemorySpanExporter), MeterProvider(InMemoryMetricReader), LoggerProvider +
SimpleLogRecordProcessor(InMemoryLogRecordExporter), registered globally and passed where taken.

Method
------
The instrumentations patch the same SDK methods, so each configuration is a long-lived worker process
(``--worker NAME`` under its venv's Python), started once per round: setup, warm-up, a check (the answers
unchanged, the spans it emits, their attributes), then "ready". The driver then runs ``--blocks`` passes and
only one worker runs at a time. A block is 2 untimed calls, exporters cleared and ``gc.collect()``, then
``--k`` non-stream calls or ``--k-stream`` streams timed together (wall and process CPU time per call).
In a pass every venv, in shuffled order, runs per mode (shuffled) one bracket: a bare block, a block of
each of its instrumented configurations (shuffled), a bare block. Δ of a configuration = its block minus
the mean of the two bare blocks around it (a few hundred ms apart, so a slow spell of the shared machine
falls on both); the table gives the median Δ over passes, the interquartile range of those Δs (round 1)
and, for a bare row, the spread of (closing - opening bracket): what a zero-overhead configuration would
show. ``--rounds`` repeats all of it with fresh processes: median over rounds, min-max of the round medians.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
DEFAULT_ROOT = Path("/tmp/genai-peers")
MODES = ("non-stream", "stream")
# pinned to the project venv's releases by --bootstrap, so that only the instrumentation differs
PINNED = ("google-genai", "httpx2", "opentelemetry-api", "opentelemetry-sdk")
# per venv what pip installs besides the pins; "genai2" brings its own google-genai (the official
# instrumentation declares google-genai<3 and instruments nothing on 3.x), with ours beside it
VENV_PACKAGES = {
    "ours": ["-e", str(PROJECT)],
    "official": ["opentelemetry-instrumentation-google-genai"],
    "genai2": ["google-genai<3", "opentelemetry-instrumentation-google-genai", "-e", str(PROJECT)],
    "traceloop": ["opentelemetry-instrumentation-google-generativeai"],
    "openinference": ["openinference-instrumentation-google-genai"],
}
# what the report records per venv (the instrumentations' own distributions)
PEER_DISTRIBUTIONS = {
    "ours": ("otel-genai",),
    "official": ("opentelemetry-instrumentation-google-genai", "opentelemetry-util-genai"),
    "genai2": ("opentelemetry-instrumentation-google-genai", "opentelemetry-util-genai", "otel-genai"),
    "traceloop": ("opentelemetry-instrumentation-google-generativeai",),
    "openinference": ("openinference-instrumentation-google-genai", "openinference-instrumentation"),
}
# environment variables that could change a worker's behaviour, dropped before its own are set
SCRUBBED_PREFIXES = ("OTEL_", "TRACELOOP_", "OPENINFERENCE_", "GOOGLE_", "GEMINI_")


@dataclass
class Config:
    name: str
    venv: str
    kind: str | None = None  # the instrumentation (a key of SETUPS); None: bare, no OpenTelemetry SDK at all
    capture: bool = False
    env: dict[str, str] = field(default_factory=dict)
    forced: bool = False  # instrument() with skip_dep_check, past the instrumentation's declared range

    @property
    def baseline(self) -> str:
        return f"bare@{self.venv}"


def _configs() -> list[Config]:
    official = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
    official_off = {**official, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "NO_CONTENT"}
    official_on = {**official, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}
    hide = {"OPENINFERENCE_HIDE_INPUTS": "true", "OPENINFERENCE_HIDE_OUTPUTS": "true"}
    show = {"OPENINFERENCE_HIDE_INPUTS": "false", "OPENINFERENCE_HIDE_OUTPUTS": "false"}
    configs = [Config(f"bare@{venv}", venv) for venv in VENV_PACKAGES]
    configs += [
        Config("ours:nocontent", "ours", "ours", False),
        Config("ours:content", "ours", "ours", True),
        # without gen_ai.client.operation.time_per_output_chunk (one histogram record per chunk), which only
        # ours and the official one record
        Config("ours:nocontent:nochunk", "ours", "ours", False, {"OTEL_GENAI_CHUNK_TIMING_METRIC": "false"}),
        Config("ours:content:nochunk", "ours", "ours", True, {"OTEL_GENAI_CHUNK_TIMING_METRIC": "false"}),
        Config("official-forced:nocontent", "official", "official", False, official_off, forced=True),
        Config("official-forced:content", "official", "official", True, official_on, forced=True),
        Config("ours:nocontent@genai2", "genai2", "ours", False),
        Config("ours:content@genai2", "genai2", "ours", True),
        Config("official:nocontent@genai2", "genai2", "official", False, official_off),
        Config("official:content@genai2", "genai2", "official", True, official_on),
        Config("traceloop:nocontent", "traceloop", "traceloop", False, {"TRACELOOP_TRACE_CONTENT": "false"}),
        Config("traceloop:content", "traceloop", "traceloop", True, {"TRACELOOP_TRACE_CONTENT": "true"}),
        Config("openinference:nocontent", "openinference", "openinference", False, hide),
        Config("openinference:content", "openinference", "openinference", True, show),
    ]
    return configs


CONFIGS = {c.name: c for c in _configs()}


# --- worker (runs under a peer venv's Python) -----------------------------------------------------


class Worker:
    """One configuration in this process: providers, the instrumentation, the Gemini workload."""

    def __init__(self, config: Config) -> None:
        from opentelemetry import _logs, metrics, trace
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs import export as log_export
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.config = config
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        # the class was renamed in SDK 1.40; either name, whichever this SDK has
        log_exporter_class = getattr(log_export, "InMemoryLogRecordExporter", None)
        if log_exporter_class is None:
            log_exporter_class = log_export.InMemoryLogExporter
        self.log_exporter = log_exporter_class()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(log_export.SimpleLogRecordProcessor(self.log_exporter))
        if config.kind is not None:
            trace.set_tracer_provider(self.tracer_provider)
            metrics.set_meter_provider(self.meter_provider)
            _logs.set_logger_provider(self.logger_provider)
            SETUPS[config.kind](self, config)
        from provider_overhead import GeminiWorkload

        self.workload = GeminiWorkload()
        self.calls: dict[str, Callable[[], Any]] = {
            "non-stream": self.workload.call,
            "stream": self.workload.call_stream,
        }

    def clear(self) -> None:
        self.span_exporter.clear()
        self.log_exporter.clear()

    def check(self) -> dict[str, Any]:
        """The answers the application gets, and what one call and one stream emit."""
        self.clear()
        problem = self.workload.check()
        out: dict[str, Any] = {"answers": problem or "ok"}
        for mode, fn in self.calls.items():
            self.clear()
            fn()
            spans = list(self.span_exporter.get_finished_spans())
            logs = self.log_exporter.get_finished_logs()
            out[mode] = {
                "spans": len(spans),
                "span_names": [s.name for s in spans],
                "attributes": sorted((spans[-1].attributes or {}).keys()) if spans else [],
                "attribute_count": len(spans[-1].attributes or {}) if spans else 0,
                "log_records": len(logs),
            }
        data = self.metric_reader.get_metrics_data()
        names: set[str] = set()
        for resource_metrics in getattr(data, "resource_metrics", None) or []:
            for scope_metrics in resource_metrics.scope_metrics:
                names.update(m.name for m in scope_metrics.metrics)
        out["metrics"] = sorted(names)
        self.clear()
        return out

    def block(self, mode: str, k: int) -> dict[str, float]:
        fn = self.calls[mode]
        for _ in range(2):
            self.calls["non-stream"]()
        self.clear()
        gc.collect()
        clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
        cpu0, wall0 = cpu_clock(), clock()
        for _ in range(k):
            fn()
        wall, cpu = clock() - wall0, cpu_clock() - cpu0
        spans = len(self.span_exporter.get_finished_spans())
        self.clear()
        return {"us": wall / k / 1000, "cpu_us": cpu / k / 1000, "spans": spans}


def _providers(worker: Worker, config: Config) -> dict[str, Any]:
    """The keyword arguments every OpenTelemetry ``BaseInstrumentor.instrument()`` takes."""
    kwargs: dict[str, Any] = {
        "tracer_provider": worker.tracer_provider,
        "meter_provider": worker.meter_provider,
        "logger_provider": worker.logger_provider,
    }
    if config.forced:
        kwargs["skip_dep_check"] = True
    return kwargs


def _setup_ours(worker: Worker, config: Config) -> None:
    import otel_genai

    otel_genai.instrument(
        tracer_provider=worker.tracer_provider,
        meter_provider=worker.meter_provider,
        logger_provider=worker.logger_provider,
        capture_content=config.capture,
        exporter="none",
    )


def _setup_official(worker: Worker, config: Config) -> None:
    from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor

    GoogleGenAiSdkInstrumentor().instrument(**_providers(worker, config))


def _setup_traceloop(worker: Worker, config: Config) -> None:
    from opentelemetry.instrumentation.google_generativeai import GoogleGenerativeAiInstrumentor

    GoogleGenerativeAiInstrumentor().instrument(**_providers(worker, config))


def _setup_openinference(worker: Worker, config: Config) -> None:
    from openinference.instrumentation.google_genai import GoogleGenAIInstrumentor

    GoogleGenAIInstrumentor().instrument(**_providers(worker, config))


SETUPS: dict[str, Callable[[Worker, Config], None]] = {
    "ours": _setup_ours,
    "official": _setup_official,
    "traceloop": _setup_traceloop,
    "openinference": _setup_openinference,
}


def serve(name: str, warmup: int) -> int:
    """Worker loop: "ready" with the check, then one JSON answer per JSON request line."""
    from importlib import metadata

    config = CONFIGS[name]
    started = time.perf_counter()
    worker = Worker(config)
    for _ in range(warmup):
        worker.calls["non-stream"]()
    for _ in range(max(1, warmup // 8)):
        worker.calls["stream"]()
    versions = {}
    for dist in (*PINNED, *PEER_DISTRIBUTIONS[config.venv]):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    ready = {
        "ready": True,
        "setup_s": round(time.perf_counter() - started, 2),
        "check": worker.check(),
        "versions": versions,
    }
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        print(json.dumps(worker.block(request["mode"], int(request["k"]))), flush=True)
    return 0


# --- driver ---------------------------------------------------------------------------------------


def _python(root: Path, venv: str) -> Path:
    return root / venv / "bin" / "python"


def _child_env(config: Config) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env.update(config.env)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class Process:
    """A running worker, driven over its stdin/stdout."""

    def __init__(self, root: Path, config: Config, warmup: int, timeout: float) -> None:
        command = [str(_python(root, config.venv)), str(Path(__file__).resolve()), "--worker", config.name]
        command += ["--warmup", str(warmup)]
        self.config, self.timeout = config, timeout
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(config),
            cwd=str(HERE),
        )
        self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            assert self.proc.stderr is not None
            raise RuntimeError(f"worker {self.config.name} died: {self.proc.stderr.read()[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 4:
        return min(values), max(values)
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def run_round(args: argparse.Namespace, names: list[str], round_no: int) -> dict[str, Any]:
    """Fresh workers, ``--blocks`` shuffled passes; per configuration and mode the paired deltas."""
    root = Path(args.venv_root)
    processes: dict[str, Process] = {}
    try:
        for name in names:
            processes[name] = Process(root, CONFIGS[name], args.warmup, args.timeout)
            if not args.quiet:
                ready = processes[name].ready
                print(
                    f"  round {round_no} {name:<24} ready ({ready['setup_s']} s)", file=sys.stderr, flush=True
                )
        rng = random.Random(args.seed + round_no)
        k = {"non-stream": args.k, "stream": args.k_stream}
        # per configuration and mode, one entry per bracket: (µs, CPU µs) of its block and of the bare
        # blocks of its venv just before and after the group it ran in
        paired: dict[str, dict[str, list[tuple[float, float, float, float]]]] = {
            n: {m: [] for m in MODES} for n in names
        }
        own: dict[str, dict[str, list[float]]] = {n: {m: [] for m in MODES} for n in names}
        span_errors: list[str] = []
        venvs = sorted({CONFIGS[n].venv for n in names})

        def block(name: str, mode: str, pass_no: int) -> tuple[float, float]:
            answer = processes[name].ask({"op": "block", "mode": mode, "k": k[mode]})
            expected = 0 if CONFIGS[name].kind is None else k[mode]
            if answer["spans"] < expected:
                span_errors.append(f"{name} {mode} pass {pass_no}: {answer['spans']} spans")
            own[name][mode].append(answer["us"])
            return answer["us"], answer["cpu_us"]

        for pass_no in range(args.blocks):
            rng.shuffle(venvs)
            for venv in venvs:
                bare = f"bare@{venv}"
                members = [n for n in names if CONFIGS[n].venv == venv and CONFIGS[n].kind is not None]
                for mode in rng.sample(MODES, len(MODES)):
                    rng.shuffle(members)
                    before = block(bare, mode, pass_no)
                    timed = [(name, block(name, mode, pass_no)) for name in members]
                    after = block(bare, mode, pass_no)
                    base_us, base_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
                    # the bare row's own spread: how far apart the two brackets are
                    paired[bare][mode].append((after[0], after[1], before[0], before[1]))
                    for name, (us, cpu) in timed:
                        paired[name][mode].append((us, cpu, base_us, base_cpu))
            if not args.quiet and (pass_no + 1) % 10 == 0:
                print(f"  round {round_no} pass {pass_no + 1}/{args.blocks}", file=sys.stderr, flush=True)
        ready = {name: processes[name].ready for name in names}
    finally:
        for process in processes.values():
            process.close()

    results: dict[str, Any] = {}
    for name in names:
        results[name] = {}
        for mode in MODES:
            deltas = [us - base for us, _, base, _ in paired[name][mode]]
            cpu_deltas = [cpu - base for _, cpu, _, base in paired[name][mode]]
            q1, q3 = _quartiles(deltas)
            results[name][mode] = {
                "median_us": statistics.median(own[name][mode]),
                "delta_us": statistics.median(deltas),
                "delta_iqr_us": [q1, q3],
                "cpu_delta_us": statistics.median(cpu_deltas),
            }
    return {"results": results, "ready": ready, "span_errors": span_errors}


def summarise(rounds: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name in names:
        summary[name] = {}
        for mode in MODES:
            rows = [r["results"][name][mode] for r in rounds]
            entry: dict[str, Any] = {"median_us": round(statistics.median(r["median_us"] for r in rows), 1)}
            deltas = [r["delta_us"] for r in rows]
            cpu = [r["cpu_delta_us"] for r in rows]
            entry |= {
                "delta_us": round(statistics.median(deltas), 1),
                "delta_round_min_us": round(min(deltas), 1),
                "delta_round_max_us": round(max(deltas), 1),
                "delta_iqr_round1_us": [round(x, 1) for x in rows[0]["delta_iqr_us"]],
                "cpu_delta_us": round(statistics.median(cpu), 1),
            }
            summary[name][mode] = entry
    return summary


def markdown(report: dict[str, Any]) -> str:
    settings, summary, first = report["settings"], report["summary"], report["rounds"][0]["ready"]
    versions: dict[str, set[str]] = {}
    for name in summary:
        for dist, version in first[name]["versions"].items():
            versions.setdefault(dist, set()).add(version)
    host = report["machine"]
    lines = [
        "# otel_genai beside the google-genai instrumentations (`benchmarks/genai_peers.py`)",
        "",
        f"Measured {report['when']} on the shared {host['cpus']}-CPU machine (Python {host['python']}), "
        f"load average {host['loadavg_start'][0]:.2f} at start / {host['loadavg_end'][0]:.2f} at end. "
        "Method: one long-lived process per configuration "
        f"in its own venv, {settings['rounds']} round(s) of fresh processes x {settings['blocks']} shuffled "
        f"passes; a block is {settings['k']} non-stream calls or {settings['k_stream']} streams (50 chunks, "
        "consumed fully) of the real `google.genai.Client` on `httpx2.MockTransport`; Δ = median over passes "
        "of (block - mean of its venv's bare blocks just before and after its group), µs per call; the table "
        "gives the median over rounds (min-max of the round medians) and, in brackets, the interquartile "
        "range of the paired differences of round 1 (a bare row: closing minus opening bare block, the "
        "noise). In-memory pipeline (SimpleSpanProcessor, InMemoryMetricReader, in-memory logs).",
        "",
        "Versions: " + ", ".join(f"{k} {' / '.join(sorted(v))}" for k, v in sorted(versions.items())) + ".",
        "",
        "| config | non-stream µs | Δ µs (rounds min-max) [IQR] | CPU Δ | stream µs "
        "| Δ µs (rounds min-max) [IQR] | CPU Δ | attributes ns/s | spans ns/s | log records ns/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by_mode in summary.items():
        cells = [name]
        for mode in MODES:
            row = by_mode[mode]
            cells.append(f"{row['median_us']:.0f}")
            q1, q3 = row["delta_iqr_round1_us"]
            if CONFIGS[name].kind is not None:
                low, high = row["delta_round_min_us"], row["delta_round_max_us"]
                cells.append(f"{row['delta_us']:+.0f} ({low:+.0f}…{high:+.0f}) [{q1:+.0f}…{q3:+.0f}]")
                cells.append(f"{row['cpu_delta_us']:+.0f}")
            else:  # a bare row: its closing bracket minus its opening one, i.e. the noise of a pairing
                cells += [f"noise [{q1:+.0f}…{q3:+.0f}]", "—"]
        check = first[name]["check"]
        cells.append(f"{check['non-stream']['attribute_count']}/{check['stream']['attribute_count']}")
        cells.append(f"{check['non-stream']['spans']}/{check['stream']['spans']}")
        cells.append(f"{check['non-stream']['log_records']}/{check['stream']['log_records']}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## What each span carries (non-stream call; round 1)", ""]
    for name in summary:
        check = first[name]["check"]
        if CONFIGS[name].kind is None:
            continue
        lines.append(
            f"- **{name}** ({check['non-stream']['attribute_count']}; answers {check['answers']}; "
            f"span names {sorted(set(check['non-stream']['span_names']))}; "
            f"metrics {', '.join(check['metrics']) or 'none'}): "
            + ", ".join(check["non-stream"]["attributes"])
        )
    if any(r["span_errors"] for r in report["rounds"]):
        lines += [
            "",
            "SPAN COUNT ERRORS: " + "; ".join(e for r in report["rounds"] for e in r["span_errors"][:5]),
        ]
    return "\n".join(lines)


def bootstrap(root: Path) -> int:
    """Creates the missing venvs, with google-genai / httpx2 / OTel pinned to this interpreter's."""
    from importlib import metadata

    pins = []
    for dist in PINNED:
        try:
            pins.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pins.append(dist)
    for venv, packages in VENV_PACKAGES.items():
        python = _python(root, venv)
        if python.exists():
            continue
        subprocess.run([sys.executable, "-m", "venv", str(root / venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        own = [p.split("<")[0].split("=")[0] for p in packages if not p.startswith("-")]
        venv_pins = [pin for pin in pins if pin.split("==")[0] not in own]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *venv_pins, *packages], check=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument(
        "--bootstrap",
        action="store_true",
        help="create the missing venvs (run it with the "
        "project venv's Python, whose google-genai / OTel releases the venvs pin)",
    )
    parser.add_argument("--venv-root", default=str(DEFAULT_ROOT), help="where the venvs are")
    parser.add_argument(
        "--only", help="comma-separated fnmatch patterns of configurations (bare ones are added)"
    )
    parser.add_argument("--list", action="store_true", help="list the configurations")
    parser.add_argument("--rounds", type=int, default=2, help="fresh sets of worker processes")
    parser.add_argument("--blocks", type=int, default=40, help="shuffled passes per round")
    parser.add_argument("--k", type=int, default=20, help="non-stream calls per block")
    parser.add_argument("--k-stream", type=int, default=3, help="streams per block")
    parser.add_argument(
        "--warmup", type=int, default=200, help="untimed non-stream calls per worker (streams: /8)"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--out", default=str(HERE / "results" / "genai_peers.md"), help="the table (markdown)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    if args.worker:
        return serve(args.worker, args.warmup)
    if args.list:
        for config in CONFIGS.values():
            print(f"{config.name:<26} venv {config.venv:<14} env {config.env}")
        return 0
    root = Path(args.venv_root)
    if args.bootstrap:
        return bootstrap(root)

    from _report import load_average, machine, write_text

    names = list(CONFIGS)
    if args.only:
        patterns = args.only.split(",")
        chosen = {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}
        chosen |= {CONFIGS[n].baseline for n in chosen}
        names = [n for n in names if n in chosen]
    missing = sorted({CONFIGS[n].venv for n in names if not _python(root, CONFIGS[n].venv).exists()})
    if missing:
        print(f"missing venvs under {root}: {missing}; run with --bootstrap first", file=sys.stderr)
        return 2
    loadavg_start = load_average()
    started = time.perf_counter()
    rounds = [run_round(args, names, r + 1) for r in range(args.rounds)]
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(loadavg_start),
        "settings": {
            "rounds": args.rounds,
            "blocks": args.blocks,
            "k": args.k,
            "k_stream": args.k_stream,
            "warmup": args.warmup,
            "seed": args.seed,
            "seconds": round(time.perf_counter() - started, 1),
        },
        "summary": summarise(rounds, names),
        "rounds": rounds,
    }
    text = markdown(report)
    print(text)
    if not args.no_save:
        write_text(args.out, text)
        write_text(Path(args.out).with_suffix(".json"), json.dumps(report, indent=1, default=str))
    return 1 if any(r["span_errors"] for r in rounds) else 0


if __name__ == "__main__":
    sys.exit(main())
