"""Every private OpenTelemetry SDK attribute otel_genai relies on (``_sdk_internals``), on the real SDK.

Each accessor is checked against the installed SDK's own objects, so an SDK release that renames what it
relies on fails here, by name, instead of silently turning a feature off in production. Then the same
accessors against an SDK that lacks the attribute: one warning per process, a neutral answer, and the
application's telemetry keeps flowing.
"""

from __future__ import annotations

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
