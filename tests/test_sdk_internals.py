"""Every private OpenTelemetry SDK attribute otel_genai relies on (``_sdk_internals``), on the real SDK.

Each accessor is checked against the installed SDK's own objects, so an SDK release that renames what it
relies on fails here, by name, instead of silently turning a feature off in production. Then the same
accessors against an SDK that lacks the attribute: one warning per process, a neutral answer, and the
application's telemetry keeps flowing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from helpers.exporters import GatedExporter
from otel_genai import _export, _sdk_internals
from otel_genai.redaction import RedactingLogRecordProcessor, RedactingSpanProcessor, RedactionPolicy
from otel_genai.redaction.processor import (
    RedactionUnavailable,
    exporter_of,
    processors_of,
    redact_existing_processors,
)

try:
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
except ImportError:  # SDKs before 1.39
    from opentelemetry.sdk._logs.export import InMemoryLogExporter as InMemoryLogRecordExporter


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the warn-once state of a new process."""
    monkeypatch.setattr(_sdk_internals, "_warned", set())


@pytest.fixture
def providers() -> Iterator[tuple[TracerProvider, LoggerProvider]]:
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    logger_provider = LoggerProvider(shutdown_on_exit=False)
    yield tracer_provider, logger_provider
    tracer_provider.shutdown()
    logger_provider.shutdown()


def internals_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "otel_genai" and "opentelemetry-sdk" in r.getMessage()
    ]


def batch_span_processor(exporter: Any, **kwargs: Any) -> BatchSpanProcessor:
    """The SDK's own; nothing is exported before ``max_export_batch_size`` spans or a minute."""
    arguments = {"max_queue_size": 10, "max_export_batch_size": 10, "schedule_delay_millis": 60_000}
    return BatchSpanProcessor(exporter, **{**arguments, **kwargs})


def queue_of_ten(processor: Any) -> Any:
    """The queue ``batch_queue`` finds in a batch processor built with ``max_queue_size=10``, its capacity
    checked."""
    found = _sdk_internals.batch_queue(processor)
    assert found is not None, f"this SDK's {type(processor).__name__} keeps its queue elsewhere"
    queue, capacity = found
    assert capacity == 10
    return queue


# --- a provider's processors: TracerProvider._active_span_processor._span_processors (and logs) ------


def test_the_processors_of_real_sdk_providers_are_listed_in_order(
    providers: tuple[TracerProvider, LoggerProvider], caplog: pytest.LogCaptureFixture
) -> None:
    tracer_provider, logger_provider = providers
    first, second = SimpleSpanProcessor(InMemorySpanExporter()), SpanProcessor()
    tracer_provider.add_span_processor(first)
    tracer_provider.add_span_processor(second)
    log_processor = SimpleLogRecordProcessor(InMemoryLogRecordExporter())
    logger_provider.add_log_record_processor(log_processor)

    assert _sdk_internals.processors(tracer_provider) == (first, second)
    assert _sdk_internals.processors(logger_provider) == (log_processor,)
    assert processors_of(tracer_provider) == (first, second)  # what _setup and redaction use
    assert internals_warnings(caplog) == []


def test_providers_that_are_not_the_sdks_have_no_processors_and_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider

    for provider in (None, ProxyTracerProvider(), NoOpTracerProvider(), object()):
        assert _sdk_internals.processors(provider) == ()
        assert _sdk_internals.replace_processors(provider, lambda p: p) is None
    assert internals_warnings(caplog) == []


def test_processors_are_replaced_in_place_in_order_under_the_providers_lock(
    providers: tuple[TracerProvider, LoggerProvider],
) -> None:
    tracer_provider, _ = providers
    memory = InMemorySpanExporter()
    kept, replaced = SpanProcessor(), SimpleSpanProcessor(InMemorySpanExporter())
    tracer_provider.add_span_processor(kept)
    tracer_provider.add_span_processor(replaced)
    holder = tracer_provider._active_span_processor
    assert hasattr(holder, "_lock") and hasattr(holder._lock, "__enter__")
    seen_locked: list[bool] = []

    def swap(processor: Any) -> Any:
        seen_locked.append(holder._lock.locked())
        return SimpleSpanProcessor(memory) if processor is replaced else processor

    assert _sdk_internals.replace_processors(tracer_provider, swap) == 1
    now = _sdk_internals.processors(tracer_provider)
    assert now[0] is kept and isinstance(now[1], SimpleSpanProcessor) and now[1] is not replaced
    assert seen_locked == [True, True]
    # the provider runs the new list: a span reaches the new processor's exporter
    tracer_provider.get_tracer("t").start_span("after the swap").end()
    assert [s.name for s in memory.get_finished_spans()] == ["after the swap"]


def test_zero_code_redaction_replaces_the_sdks_exporting_processors(
    providers: tuple[TracerProvider, LoggerProvider],
) -> None:
    tracer_provider, logger_provider = providers
    span_memory, log_memory = InMemorySpanExporter(), InMemoryLogRecordExporter()
    other = SpanProcessor()
    tracer_provider.add_span_processor(batch_span_processor(span_memory))
    tracer_provider.add_span_processor(other)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_memory))

    policy = RedactionPolicy()
    assert redact_existing_processors(tracer_provider, logger_provider, policy) == 2
    span_processor, kept = _sdk_internals.processors(tracer_provider)
    [log_processor] = _sdk_internals.processors(logger_provider)
    assert isinstance(span_processor, RedactingSpanProcessor) and span_processor.exporter is span_memory
    assert isinstance(log_processor, RedactingLogRecordProcessor) and log_processor.exporter is log_memory
    assert kept is other
    assert redact_existing_processors(tracer_provider, logger_provider, policy) == 0  # once is enough
    for processor in (span_processor, log_processor):
        processor.shutdown()


# --- the exporter behind an SDK processor -----------------------------------------------------------------


def test_the_exporter_behind_each_sdk_processor_is_found(caplog: pytest.LogCaptureFixture) -> None:
    span_exporter, log_exporter = InMemorySpanExporter(), InMemoryLogRecordExporter()
    processors = [
        SimpleSpanProcessor(span_exporter),
        batch_span_processor(span_exporter),
        _export.BatchSpanProcessor(span_exporter),
        SimpleLogRecordProcessor(log_exporter),
        BatchLogRecordProcessor(log_exporter),
        _export.BatchLogRecordProcessor(log_exporter),
    ]
    try:
        found = [_sdk_internals.exporter_of(p) for p in processors]
        assert found == [span_exporter] * 3 + [log_exporter] * 3
        assert _sdk_internals.exporter_of(SpanProcessor()) is None  # not an exporting processor
        assert internals_warnings(caplog) == []
    finally:
        for processor in processors:
            processor.shutdown()


# --- an SDK batch processor: its queue, worker and bounded shutdown ---------------------------------------


def test_the_batch_span_queue_is_the_one_the_sdk_appends_to() -> None:
    processor = batch_span_processor(InMemorySpanExporter())
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    try:
        queue = queue_of_ten(processor)
        for i in range(3):  # fewer than a batch: the worker sleeps for a minute, the spans stay queued
            provider.get_tracer("t").start_span(f"span {i}").end()
        assert len(queue) == 3
    finally:
        provider.shutdown()


def test_the_batch_log_queue_is_the_one_the_sdk_appends_to() -> None:
    processor = BatchLogRecordProcessor(
        InMemoryLogRecordExporter(), max_queue_size=10, max_export_batch_size=10, schedule_delay_millis=60_000
    )
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(processor)
    app_logger = logging.getLogger("otel_genai_test_sdk_internals")
    handler = LoggingHandler(logger_provider=provider)
    app_logger.addHandler(handler)
    try:
        queue = queue_of_ten(processor)
        app_logger.warning("one")
        app_logger.warning("two")
        assert len(queue) == 2
    finally:
        app_logger.removeHandler(handler)
        provider.shutdown()


@pytest.mark.parametrize("signal", ["spans", "logs"])
def test_the_batch_worker_thread_is_seen_running_then_stopped(signal: str) -> None:
    if signal == "spans":
        processor: Any = batch_span_processor(InMemorySpanExporter())
    else:
        processor = BatchLogRecordProcessor(InMemoryLogRecordExporter())
    assert _sdk_internals.batch_worker_alive(processor) is True
    processor.shutdown()  # nothing queued: the SDK joins a worker that ends at once
    assert _sdk_internals.batch_worker_alive(processor) is False


def test_a_bounded_shutdown_returns_while_the_exporter_still_hangs(caplog: pytest.LogCaptureFixture) -> None:
    gate = GatedExporter(InMemorySpanExporter())
    processor = batch_span_processor(gate, max_export_batch_size=1)
    shutdown_within = _sdk_internals.bounded_shutdown(processor)
    assert shutdown_within is not None
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    provider.get_tracer("t").start_span("held").end()
    assert gate.entered.wait(30), "the worker never started exporting"
    try:
        shutdown_within(50)  # returns although the export it waits for cannot finish before release()
        assert gate.finished == 0
        assert _sdk_internals.batch_worker_alive(processor) is True
    finally:
        gate.release()
    assert internals_warnings(caplog) == []


# --- an SDK that renamed what we rely on: warn once, keep the application's telemetry flowing -------------


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the SDK renamed every private name ``_sdk_internals`` knows."""
    for name in ("_SPAN_HOLDER", "_LOG_HOLDER", "_INNER"):
        monkeypatch.setattr(_sdk_internals, name, "_renamed_by_a_future_sdk")
    for name in ("_QUEUE", "_CAPACITY", "_WORKER"):
        monkeypatch.setattr(_sdk_internals, name, "_gone")


def test_a_renamed_processor_list_warns_once_and_changes_nothing(
    renamed: None, providers: tuple[TracerProvider, LoggerProvider], caplog: pytest.LogCaptureFixture
) -> None:
    tracer_provider, logger_provider = providers
    memory = InMemorySpanExporter()
    original = SimpleSpanProcessor(memory)
    tracer_provider.add_span_processor(original)
    for _ in range(2):
        assert _sdk_internals.processors(tracer_provider) == ()
        # redaction cannot stand in front of these exporters: the caller is told, to capture no content
        with pytest.raises(RedactionUnavailable):
            redact_existing_processors(tracer_provider, logger_provider, RedactionPolicy())
    warned = internals_warnings(caplog)
    assert len([m for m in warned if "TracerProvider" in m]) == 1, warned
    assert len([m for m in warned if "LoggerProvider" in m]) == 1, warned
    # the provider still works as the application set it up
    tracer_provider.get_tracer("t").start_span("still exported").end()
    assert [s.name for s in memory.get_finished_spans()] == ["still exported"]


def test_a_renamed_log_exporter_attribute_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    processor = SimpleLogRecordProcessor(InMemoryLogRecordExporter())
    del processor._exporter
    assert _sdk_internals.exporter_of(processor) is None
    assert _sdk_internals.exporter_of(processor) is None
    assert len(internals_warnings(caplog)) == 1
    assert exporter_of(processor) is None


def test_our_batch_processor_on_a_renamed_sdk_still_exports_and_shuts_down(
    renamed: None, caplog: pytest.LogCaptureFixture
) -> None:
    memory = InMemorySpanExporter()
    processors = [
        _export.BatchSpanProcessor(memory, max_queue_size=5, max_export_batch_size=5) for _ in range(2)
    ]
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processors[0])
    for i in range(3):
        provider.get_tracer("t").start_span(f"span {i}").end()
    assert provider.force_flush() is True
    assert sorted(s.name for s in memory.get_finished_spans()) == ["span 0", "span 1", "span 2"]
    provider.shutdown()  # the SDK's own shutdown, since ours cannot be bounded here
    processors[1].shutdown()
    warned = internals_warnings(caplog)
    # one warning per lost feature, however many processors
    assert len([m for m in warned if "queue" in m]) == 1, warned
    assert len([m for m in warned if "shutdown(timeout_millis)" in m]) == 1, warned
    assert len(warned) == 2, warned
    assert processors[0].dropped == 0


# --- where a public API does the job, it is used ----------------------------------------------------------


def test_the_redacting_processor_exports_with_instrumentation_suppressed() -> None:
    """Through ``suppress_instrumentation()`` (public), not the context's private key: an instrumented HTTP
    client inside the exporter must not trace the export itself."""
    seen: list[bool] = []

    class Recording(InMemorySpanExporter):
        def export(self, spans: Any) -> Any:
            seen.append(is_instrumentation_enabled())
            return super().export(spans)

    processor = RedactingSpanProcessor(Recording(), RedactionPolicy())
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    provider.get_tracer("t").start_span("no content").end()
    assert processor.force_flush() is True
    assert seen == [False]
    provider.shutdown()


# --- many values into one histogram ---------------------------------------------------------------------

CHUNK_VALUES = [0.003, 0.0, 0.02, 0.5, 0.003, 7.0, 0.0001, 0.04] * 6
CHUNK_ATTRIBUTES = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "server.port": 443}


def histogram_points(
    record: Any, *, delta: bool = False, views: tuple[Any, ...] = (), values: list[float] = CHUNK_VALUES
) -> list[tuple[Any, ...]]:
    """The points (and exemplars) a histogram exports after ``record(histogram, values, attributes,
    context)``, timestamps left out: the same for the public path and ``record_values``."""
    from opentelemetry import trace
    from opentelemetry.sdk.metrics import Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

    temporality = {Histogram: AggregationTemporality.DELTA} if delta else {}
    reader = InMemoryMetricReader(preferred_temporality=temporality)
    meter = MeterProvider(metric_readers=[reader], views=list(views)).get_meter("test")
    histogram = meter.create_histogram("h", unit="s", explicit_bucket_boundaries_advisory=[0.01, 0.1, 1.0])
    span = TracerProvider().get_tracer("test").start_span("chat m")
    record(histogram, values, CHUNK_ATTRIBUTES, trace.set_span_in_context(span))
    points = []
    for metric in reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics:
        for point in metric.data.data_points:
            exemplars = [(e.value, e.filtered_attributes, e.span_id, e.trace_id) for e in point.exemplars]
            points.append(
                (
                    dict(point.attributes),
                    point.count,
                    point.sum,
                    tuple(point.bucket_counts),
                    point.min,
                    point.max,
                )
            )
            ours = span.get_span_context()
            points.append(
                tuple(
                    (value, attributes, span_id == ours.span_id, trace_id == ours.trace_id)
                    for value, attributes, span_id, trace_id in exemplars
                )
            )
    return points


def public_records(histogram: Any, values: list[float], attributes: dict[str, Any], context: Any) -> None:
    for value in values:
        histogram.record(value, attributes, context=context)


def routed_records(histogram: Any, values: list[float], attributes: dict[str, Any], context: Any) -> None:
    _sdk_internals.HistogramRecorder(histogram).record_values(values, attributes, context)


def test_histogram_values_take_the_short_path_on_this_sdk() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    histogram = MeterProvider(metric_readers=[InMemoryMetricReader()]).get_meter("t").create_histogram("h")
    histogram.record(0.1, CHUNK_ATTRIBUTES)
    assert isinstance(_sdk_internals._find_route(histogram, CHUNK_ATTRIBUTES), _sdk_internals._Route)


@pytest.mark.parametrize("delta", [False, True])
def test_histogram_values_export_what_one_public_record_each_exports(delta: bool) -> None:
    expected = histogram_points(public_records, delta=delta)
    assert histogram_points(routed_records, delta=delta) == expected
    assert expected[0][1] == len(CHUNK_VALUES)


def test_histogram_values_under_a_view_that_picks_attributes_take_the_public_path() -> None:
    from opentelemetry.sdk.metrics.view import View

    view = View(instrument_name="h", attribute_keys={"gen_ai.request.model"})
    expected = histogram_points(public_records, views=(view,))
    assert histogram_points(routed_records, views=(view,)) == expected


def test_a_batch_offers_each_bucket_its_last_value_and_exports_the_same_exemplars() -> None:
    """The histogram's exemplar reservoir keeps the last value offered per bucket, so a batch offers only
    those: with two views of other bucket boundaries on one histogram, each keeps its own buckets' last."""
    from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

    views = (
        View(instrument_name="h"),
        View(
            instrument_name="h",
            name="h.fine",
            aggregation=ExplicitBucketHistogramAggregation([0.001, 0.005, 0.05]),
        ),
    )
    values = [0.0004, 0.003, 0.02, 0.004, 0.5, 0.002, 7.0, 0.03, 0.0002, 0.6, 0.004]
    expected = histogram_points(public_records, views=views, values=values)
    assert histogram_points(routed_records, views=views, values=values) == expected
    exemplar_values = {value for point in expected[1::2] for value, *_ in point}
    assert {0.0002, 0.004, 0.03, 0.6, 7.0} <= exemplar_values  # each bucket's last value, in both views
    assert 0.0004 not in exemplar_values  # overwritten by a later value of its bucket


def test_the_batch_offers_every_value_to_a_reservoir_that_is_not_the_aligned_one() -> None:
    """A reservoir of another type (a subclass too: it may keep what it likes) is offered every value."""
    from opentelemetry.sdk.metrics._internal.exemplar import AlignedHistogramBucketExemplarReservoir
    from opentelemetry.sdk.metrics.view import View

    offered: list[float] = []

    class Recording(AlignedHistogramBucketExemplarReservoir):
        def offer(self, value: Any, *args: Any) -> None:
            offered.append(value)
            super().offer(value, *args)

    view = View(instrument_name="h", exemplar_reservoir_factory=lambda _aggregation: Recording)
    histogram_points(routed_records, views=(view,))
    assert offered == CHUNK_VALUES


def test_invalid_histogram_values_are_treated_as_the_public_record_treats_them() -> None:
    """Negative values dropped; NaN and infinities dropped too (or, by SDK 1.40, recorded)."""
    values = [0.02, -1.0, float("nan"), 0.5, float("inf"), 0.003]
    expected = histogram_points(public_records, values=values)
    assert repr(histogram_points(routed_records, values=values)) == repr(expected)  # nan != nan


def test_a_recorder_used_call_after_call_exports_what_public_records_export() -> None:
    """Attribute sets seen again take the remembered route; True and 1, "1" and 1 stay different sets."""
    sets = [
        CHUNK_ATTRIBUTES,
        {**CHUNK_ATTRIBUTES, "server.port": 8080},
        {**CHUNK_ATTRIBUTES, "flag": True},
        {**CHUNK_ATTRIBUTES, "flag": 1},
        {**CHUNK_ATTRIBUTES, "flag": "1"},
    ]

    def calls(record_one: Any) -> Any:
        def record(histogram: Any, values: list[float], attributes: dict[str, Any], context: Any) -> None:
            for index, value in enumerate(values):
                record_one(histogram, value, sets[index % len(sets)], context)

        return record

    def public(histogram: Any, value: float, attributes: dict[str, Any], context: Any) -> None:
        histogram.record(value, attributes, context=context)

    recorders: dict[int, _sdk_internals.HistogramRecorder] = {}

    def routed(histogram: Any, value: float, attributes: dict[str, Any], context: Any) -> None:
        recorder = recorders.setdefault(id(histogram), _sdk_internals.HistogramRecorder(histogram))
        recorder.record(value, attributes, context)

    expected = histogram_points(calls(public))
    assert histogram_points(calls(routed)) == expected
    # (the current SDK keeps "flag": True and "flag": 1 as two points, 1.40 as one: the same either way)
    (recorder,) = recorders.values()
    assert sum(isinstance(r, _sdk_internals._Route) for r in recorder._routes.values()) == len(sets)
    assert _sdk_internals._route_key({"stop": ["a", "b"]}) is None  # unhashable: always the public path


def test_a_remembered_route_points_each_exemplar_at_its_own_calls_span() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    histogram = MeterProvider(metric_readers=[reader]).get_meter("t").create_histogram("h")
    tracer = TracerProvider().get_tracer("test")
    first, second = tracer.start_span("first"), tracer.start_span("second")
    recorder = _sdk_internals.HistogramRecorder(histogram)
    recorder.record(0.5, CHUNK_ATTRIBUTES, trace.set_span_in_context(first))
    recorder.record(0.6, CHUNK_ATTRIBUTES, trace.set_span_in_context(second))
    (point,) = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
    (exemplar,) = (e for e in point.exemplars if e.value == 0.6)
    assert exemplar.span_id == second.get_span_context().span_id
    assert isinstance(
        recorder._routes[_sdk_internals._route_key(CHUNK_ATTRIBUTES)],
        _sdk_internals._Route,
    )


# --- a call's metrics through its plan (GenAIMetrics: attribute sets built once per kind of call) ----------


def chat(model: str = "m", **fields: Any) -> Any:
    from otel_genai.telemetry.records import Inference

    values: dict[str, Any] = {
        "request_model": model,
        "server_address": "api.example.com",
        "server_port": 443,
        "response_model": f"{model}-2024",
        "input_tokens": 31,
        "output_tokens": 58,
    }
    return Inference("chat", "openai", **{**values, **fields})


def scope(spend: dict[str, Any], metric: dict[str, Any] | None = None) -> Any:
    """A request's scope as ``llmops`` derives it: a new object per scope, its metric and spend attributes."""
    from otel_genai.llmops.engine import Derived

    release = {"otel_genai.release.feature": "support", "otel_genai.release.version": "7"}
    return Derived(None, {}, {}, dict(release if metric is None else metric), dict(spend), None)


def costed(record: Any, amount: float = 0.0004, currency: str = "USD") -> Any:
    from otel_genai.llmops.engine import Outcome
    from otel_genai.llmops.prices import Cost

    record.outcome = Outcome(Cost(amount, currency, "local", "t"), [])
    return record


def calls() -> list[tuple[Any, float]]:
    """Records of several kinds, each kind more than once, in an order that mixes them."""
    from otel_genai.telemetry.records import Embedding

    tenant_a, tenant_a_again = scope({"otel_genai.tenant.id": "a"}), scope({"otel_genai.tenant.id": "a"})
    refined = {"openai.response.service_tier": "default"}
    kinds = [
        lambda: costed(chat()),
        lambda: costed(chat(metric_attributes=dict(refined))),
        lambda: chat("other", server_port=8080),
        lambda: chat(error_type="RateLimitError"),
        lambda: costed(chat(scope=tenant_a)),
        lambda: costed(chat(scope=tenant_a_again)),  # an equal scope of another request
        lambda: costed(chat(scope=scope({"otel_genai.tenant.id": "b"}))),
        lambda: costed(chat(scope=scope({"otel_genai.tenant.id": "b"}, metric={}))),
        lambda: chat(metric_attributes={"flag": True}),
        lambda: chat(metric_attributes={"flag": 1}),  # not the same set as True
        lambda: costed(chat(metric_attributes={"flag": "1"}), currency="EUR"),
        lambda: chat(
            stream=True,
            time_to_first_chunk=0.004,
            chunk_intervals=list(CHUNK_VALUES),
            metric_attributes=dict(refined),
        ),
        lambda: chat(stream=True, time_to_first_chunk=0.02, chunk_intervals=[0.001, 0.3]),
        lambda: Embedding("embeddings", "openai", request_model="e", input_tokens=7),
        lambda: chat(input_tokens=None, output_tokens=None),
        lambda: chat(input_tokens=-1),  # dropped by the SDK, with its warning
    ]
    durations = [0.25, 1.5, 0.004, 12.0, 0.08]
    return [(kinds[i % len(kinds)](), durations[i % len(durations)]) for i in range(len(kinds) * 3)]


def genai_points(
    monkeypatch: pytest.MonkeyPatch,
    *,
    planned: bool,
    readers: int = 1,
    delta: bool = False,
    views: tuple[Any, ...] = (),
    exemplar_filter: Any = None,
    unsampled: bool = False,
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """What ``GenAIMetrics`` exports for ``calls()`` (each with its span; collected halfway and at the end):
    ``planned`` as it runs, else each value through the public ``Histogram.record`` (no plan kept, no route
    found). Exemplars name the span by its call's index."""
    from opentelemetry.sdk.metrics import Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    from otel_genai.telemetry import metrics

    with monkeypatch.context() as patched:
        if not planned:
            patched.setattr(metrics, "_PLANS", 0)
            patched.setattr(
                _sdk_internals, "_find_route", lambda histogram, attributes: _sdk_internals._PUBLIC
            )
        elif limit is not None:
            patched.setattr(metrics, "_PLANS", limit)
        temporality = {Histogram: AggregationTemporality.DELTA} if delta else {}
        all_readers = [InMemoryMetricReader(preferred_temporality=temporality) for _ in range(readers)]
        options: dict[str, Any] = {"exemplar_filter": exemplar_filter} if exemplar_filter else {}
        provider = MeterProvider(metric_readers=all_readers, views=list(views), **options)
        genai = metrics.GenAIMetrics("test", provider)
        tracer = TracerProvider(**({"sampler": ALWAYS_OFF} if unsampled else {})).get_tracer("test")
        spans: dict[int, int] = {}
        collected: list[Any] = []
        records = calls()
        for index, (record, duration) in enumerate(records):
            span = tracer.start_span(f"call {index}")
            spans[span.get_span_context().span_id] = index
            genai.record(record, duration, span if index % 7 else None)  # some without a span
            span.end()
            if index == len(records) // 2:
                collected += [reader.get_metrics_data() for reader in all_readers]
        collected += [reader.get_metrics_data() for reader in all_readers]
        if planned and limit is not None:
            assert len(genai._plans) == limit
    points: list[tuple[Any, ...]] = []
    for data in collected:
        for metric in data.resource_metrics[0].scope_metrics[0].metrics:
            for point in metric.data.data_points:
                exemplars = tuple(
                    (e.value, e.filtered_attributes, spans.get(e.span_id), e.trace_id is not None)
                    for e in point.exemplars
                )
                summary = (point.count, point.sum, tuple(point.bucket_counts), point.min, point.max)
                points.append((metric.name, repr(dict(point.attributes)), *summary, exemplars))
    return points


def test_a_calls_metrics_through_its_plan_export_what_public_records_export(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = genai_points(monkeypatch, planned=False)
    assert genai_points(monkeypatch, planned=True) == expected
    names = {name for name, *_ in expected}
    assert {"gen_ai.client.operation.time_per_output_chunk", "gen_ai.client.operation.cost"} <= names
    assert any(exemplars for *_, exemplars in expected)
    assert internals_warnings(caplog) == []


@pytest.mark.parametrize("delta", [False, True])
def test_planned_metrics_with_two_readers_export_what_public_records_export(
    monkeypatch: pytest.MonkeyPatch, delta: bool
) -> None:
    expected = genai_points(monkeypatch, planned=False, readers=2, delta=delta)
    assert genai_points(monkeypatch, planned=True, readers=2, delta=delta) == expected


def test_planned_metrics_under_a_view_that_picks_attributes_export_what_public_records_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.sdk.metrics.view import View

    view = View(instrument_name="gen_ai.client.token.usage", attribute_keys={"gen_ai.token.type"})
    expected = genai_points(monkeypatch, planned=False, views=(view,))
    assert genai_points(monkeypatch, planned=True, views=(view,)) == expected


class EveryOtherValue:
    """A filter of the application's own: asked for each value (it does not decide on the context alone)."""

    def __init__(self) -> None:
        self.asked = 0

    def should_sample(self, value: float, time_unix_nano: int, attributes: Any, context: Any) -> bool:
        self.asked += 1
        return self.asked % 2 == 0


def exemplar_filters() -> dict[str, Any]:
    from opentelemetry.sdk.metrics import (
        AlwaysOffExemplarFilter,
        AlwaysOnExemplarFilter,
        ExemplarFilter,
        TraceBasedExemplarFilter,
    )

    class LargeValuesOfSampledSpans(TraceBasedExemplarFilter):
        """A subclass of the SDK's own: not assumed to decide on the context alone."""

        def should_sample(self, value: float, time_unix_nano: int, attributes: Any, context: Any) -> bool:
            return value > 0.01 and super().should_sample(value, time_unix_nano, attributes, context)

    every_other = type("EveryOther", (EveryOtherValue, ExemplarFilter), {})
    return {
        "always_on": AlwaysOnExemplarFilter,
        "always_off": AlwaysOffExemplarFilter,
        "trace_based": TraceBasedExemplarFilter,
        "trace_based_subclass": LargeValuesOfSampledSpans,
        "custom": every_other,
    }


@pytest.mark.parametrize("unsampled", [False, True])
@pytest.mark.parametrize("name", list(exemplar_filters()))
def test_planned_metrics_make_the_exemplars_each_filter_makes(
    monkeypatch: pytest.MonkeyPatch, name: str, unsampled: bool
) -> None:
    make = exemplar_filters()[name]
    expected = genai_points(monkeypatch, planned=False, exemplar_filter=make(), unsampled=unsampled)
    found = genai_points(monkeypatch, planned=True, exemplar_filter=make(), unsampled=unsampled)
    assert found == expected
    has_exemplars = any(exemplars for *_, exemplars in expected)
    assert has_exemplars == (name != "always_off" and (name in ("always_on", "custom") or not unsampled))


def test_the_plans_kept_are_bounded_and_the_calls_past_the_bound_export_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = genai_points(monkeypatch, planned=False)
    assert genai_points(monkeypatch, planned=True, limit=3) == expected  # (asserts that 3 were kept)


def test_one_plan_per_kind_of_call_equal_scopes_of_different_requests_share_one() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from otel_genai.telemetry.metrics import GenAIMetrics

    genai = GenAIMetrics("test", MeterProvider(metric_readers=[InMemoryMetricReader()]))
    for _ in range(2):
        for tenant in ("a", "a", "b"):
            genai.record(costed(chat(scope=scope({"otel_genai.tenant.id": tenant}))), 0.5)
        for flag in (True, 1, "1", 1.0):
            genai.record(chat(metric_attributes={"flag": flag}), 0.5)
        genai.record(chat(error_type="Timeout"), 0.5)
        with contextlib.suppress(TypeError):  # (which SDK 1.40 itself raises, as the handler logs)
            genai.record(chat(metric_attributes={"stop": ["a", "b"]}), 0.5)  # unhashable: planned per call
    assert len(genai._plans) == 2 + 4 + 1


def test_planned_metrics_on_an_sdk_that_renamed_its_internals_take_the_public_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = genai_points(monkeypatch, planned=False)
    monkeypatch.setattr(_sdk_internals, "_AGGREGATIONS", "_renamed_by_a_future_sdk")
    assert genai_points(monkeypatch, planned=True) == expected
    warned = internals_warnings(caplog)
    assert len(warned) == 1 and "synchronous instrument internals" in warned[0], warned


def test_a_plan_follows_a_reader_added_after_its_routes_were_found() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from otel_genai.telemetry.metrics import GenAIMetrics

    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    if not hasattr(provider, "add_metric_reader"):
        pytest.skip("this SDK adds no reader to a running provider")
    genai = GenAIMetrics("test", provider)
    for _ in range(3):
        genai.record(costed(chat()), 0.5)
    late = InMemoryMetricReader()
    provider.add_metric_reader(late)
    for _ in range(3):
        genai.record(costed(chat()), 0.25)
    points = {
        metric.name: [(p.count, p.sum) for p in metric.data.data_points]
        for metric in late.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics
    }
    assert points["gen_ai.client.operation.duration"] == [(3, 0.75)]
    assert sorted(points["gen_ai.client.token.usage"]) == [(3, 93), (3, 174)]
