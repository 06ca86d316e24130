"""The shared peer harness with three more kinds of configuration: the SDK floor, a before/after, Anthropic
without the chunk metric (issue 18).

Run with the harness's own venv (its ``main`` venv has otel-genai installed editable, see the harness's
docstring), e.g.::

    PEERBENCH_BEFORE_SRC=/tmp/base/src /tmp/peerbench/venv/bin/python benchmarks/peer_floor.py --all \\
        --rounds 2 --blocks 120 --only 'none,none@otelv2,otel-v2:*content,otel_genai:*,before:*,floor:*'

Not a test: nothing here asserts a timing. Every option is the harness's
(``../shared/bench/peer_overhead.py``, or ``PEERBENCH_HARNESS``); this file only adds configurations and runs
the harness's ``main``.

``floor:span`` / ``floor:span+metrics`` / ``floor:span+recorder`` (content off and on)
    What the OpenTelemetry SDK costs for exactly the telemetry otel-genai emits, with none of our code: the
    client's ``Completions.create`` wrapped by a few lines that start a CLIENT span with our start attributes,
    make it current around the call, set our end attributes in one ``set_attributes`` and end it (a stream:
    a proxy that ends it after the last chunk); ``+metrics`` adds our four histogram records (five for a
    stream) through the public ``Histogram.record``, ``+recorder`` the same records through our
    ``_sdk_internals.HistogramRecorder``. The attributes and their values are the ones otel-genai sets on
    ``benchmarks/openai_overhead.py``'s calls, taken from a run of it when the driver starts, so the floor
    follows whatever the package emits. Everything is precomputed: reading the request and the response,
    cost, fingerprints and the context handling are not in the floor.
``before:*`` (only with ``PEERBENCH_BEFORE_SRC``)
    otel-genai imported from another source tree (a clean checkout of an earlier commit), beside this one's
    ``otel_genai:*`` in the same run: a before/after that the harness's speed correction makes comparable.
``anthropic/otel_genai:*:nochunk``
    Anthropic without ``time_per_output_chunk``, the telemetry its peers emit on streams.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.environ.get(
    "PEERBENCH_HARNESS", os.path.join(HERE, "..", "..", "shared", "bench", "peer_overhead.py")
)

_spec = importlib.util.spec_from_file_location("peer_overhead", HARNESS)
if _spec is None or _spec.loader is None:
    sys.exit(f"the shared peer harness is not at {HARNESS} (set PEERBENCH_HARNESS)")
harness: Any = importlib.util.module_from_spec(_spec)
sys.modules["peer_overhead"] = harness
_spec.loader.exec_module(harness)
harness.__file__ = os.path.abspath(__file__)  # its workers run this file, so they know these configurations

FLOOR_SPANS = (
    "PEERBENCH_FLOOR_SPANS"  # the JSON file of our spans and metric attribute sets (made by the driver)
)
BEFORE_SRC = "PEERBENCH_BEFORE_SRC"


def setup_floor(ctx: Any) -> None:
    """Wrap ``Completions.create`` with the SDK work our telemetry asks for (see the module docstring)."""
    import time

    import wrapt
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    mode = os.environ.get("PEERBENCH_FLOOR", "span")
    with open(os.environ[FLOOR_SPANS], encoding="utf-8") as file:
        dump = json.load(file)
    spans = dump["content on" if ctx.capture else "content off"]

    def plan(span: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in span["attributes"].items()}
        start = {k: values[k] for k in span["start"]}
        return span["name"], start, {k: v for k, v in values.items() if k not in start}

    plans = {False: plan(spans["nonstream"]), True: plan(spans["stream"])}
    tracer = ctx.tp.get_tracer("floor")
    meter = ctx.mp.get_meter("floor")
    sets = dump["metrics"]
    histograms: dict[str, Any] = {name: meter.create_histogram(name) for name in sets}
    if mode == "span+recorder":
        from otel_genai._sdk_internals import HistogramRecorder

        histograms = {name: HistogramRecorder(histogram) for name, histogram in histograms.items()}
    input_tokens, output_tokens = sorted(
        sets["gen_ai.client.token.usage"], key=lambda a: a["gen_ai.token.type"]
    )
    with_metrics = mode != "span"

    def finish(span: Any, started: float, first_chunk: float | None = None) -> None:
        span.set_attributes(plans[first_chunk is not None][2])
        span.end()
        if with_metrics:
            context = trace.set_span_in_context(span)
            records = [
                (
                    "gen_ai.client.operation.duration",
                    time.perf_counter() - started,
                    sets["gen_ai.client.operation.duration"][0],
                ),
                ("gen_ai.client.token.usage", 31, input_tokens),
                ("gen_ai.client.operation.cost", 0.0001, sets["gen_ai.client.operation.cost"][0]),
                ("gen_ai.client.token.usage", 58, output_tokens),
            ]
            if first_chunk is not None:
                name = "gen_ai.client.operation.time_to_first_chunk"
                records.append((name, first_chunk, sets[name][0]))
            for name, value, attributes in records:
                histograms[name].record(value, attributes, context)

    class FloorStream(wrapt.ObjectProxy):  # type: ignore[misc]
        def __init__(self, stream: Any, span: Any, started: float) -> None:
            super().__init__(stream)
            self._self_span, self._self_started = span, started

        def __iter__(self) -> Any:
            first = None
            for chunk in self.__wrapped__:
                if first is None:
                    first = time.perf_counter() - self._self_started
                yield chunk
            finish(self._self_span, self._self_started, first or 0.0)

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        stream = bool(kwargs.get("stream"))
        name, start, _ = plans[stream]
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=start)
        token = otel_context.attach(trace.set_span_in_context(span))
        started = time.perf_counter()
        try:
            result = wrapped(*args, **kwargs)
        finally:
            otel_context.detach(token)
        if stream:
            return FloorStream(result, span, started)
        finish(span, started)
        return result

    wrapt.wrap_function_wrapper("openai.resources.chat.completions", "Completions.create", wrapper)


def setup_before(ctx: Any) -> None:
    """otel-genai from ``PEERBENCH_BEFORE_SRC`` instead of the installed tree."""
    sys.path.insert(0, os.environ[BEFORE_SRC])
    harness.setup_otel_genai(ctx)


def _configurations() -> list[dict[str, Any]]:
    spans_only, no_content = "SPAN_ONLY", "NO_CONTENT"
    capture = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
    added: list[dict[str, Any]] = []
    for mode in ("span", "span+metrics", "span+recorder"):
        for content in (False, True):
            added.append(
                dict(
                    name=f"floor:{mode}:{'content' if content else 'nocontent'}",
                    setup=setup_floor,
                    capture=content,
                    env={"PEERBENCH_FLOOR": mode},
                )
            )
    if os.environ.get(BEFORE_SRC):
        for content in (False, True):
            for chunks in (True, False):
                env = {capture: spans_only if content else no_content}
                if not chunks:
                    env["OTEL_GENAI_CHUNK_TIMING_METRIC"] = "false"
                name = f"before:{'content' if content else 'nocontent'}{'' if chunks else ':nochunk'}"
                added.append(dict(name=name, setup=setup_before, capture=content, env=env))
    for content in (False, True):
        added.append(
            dict(
                name=f"anthropic/otel_genai:{'content' if content else 'nocontent'}:nochunk",
                client="anthropic",
                setup=harness.setup_otel_genai,
                capture=content,
                optional=True,
                requires="otel_genai",
                dist="otel_genai",
                env={
                    "ANTHROPIC_OPEN_TELEMETRY": "false",
                    capture: spans_only if content else no_content,
                    "OTEL_GENAI_CHUNK_TIMING_METRIC": "false",
                },
            )
        )
    defaults = dict(
        venv="main", client="openai", otel=True, env={}, setup=None, capture=None, optional=False, probe=False
    )
    for config in added:
        for key, value in defaults.items():
            config.setdefault(key, value)
        config.setdefault("baseline", "none" if config["client"] == "openai" else "anthropic/none")
    return added


def _our_spans(path: str) -> None:
    """Our spans (names, attributes, which were set at start) and metric attribute sets on
    ``openai_overhead.py``'s calls, content off and on, into ``path``."""
    sys.path.insert(0, HERE)
    import openai_overhead
    from _overhead import Pipeline

    workload, pipeline = openai_overhead.Workload(), Pipeline()
    dump: dict[str, Any] = {}
    for config in ("content off", "content on"):
        pipeline.activate(config)
        spans = {}
        for kind, call in (("nonstream", workload.call), ("stream", workload.call_stream)):
            pipeline.clear()
            call()
            (span,) = pipeline.spans()
            attributes = dict(span.attributes)
            # what the span started with: everything before the response model (mapping.start's keys)
            keys = list(attributes)
            start = keys[: keys.index("gen_ai.response.model")]
            spans[kind] = {"name": span.name, "attributes": attributes, "start": start}
        dump[config] = spans
    pipeline.activate("bare")
    pipeline.metric_reader.collect()
    metrics: dict[str, list[dict[str, Any]]] = {}
    for resource in pipeline.metric_reader.get_metrics_data().resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                metrics[metric.name] = [dict(point.attributes) for point in metric.data.data_points]
    dump["metrics"] = metrics
    with open(path, "w", encoding="utf-8") as file:
        json.dump(dump, file, default=list)


harness.CONFIGS.extend(_configurations())
harness.CONFIG_BY_NAME.update({config["name"]: config for config in harness.CONFIGS})

if __name__ == "__main__":
    if FLOOR_SPANS not in os.environ:  # the driver (or a lone --config): make the dump the workers read
        handle, dump_path = tempfile.mkstemp(prefix="peerbench-floor-", suffix=".json")
        os.close(handle)
        _our_spans(dump_path)
        os.environ[FLOOR_SPANS] = dump_path
    harness.main()
