"""The ``gen_ai.client.*`` metrics, recorded off the request path.

The SDK cleans and hashes the attribute set on every ``Histogram.record`` (10-20 µs here with the
attributes the conventions ask for), and the conventions record ``time_per_output_chunk`` once per chunk:
a 50-chunk stream makes 50 such calls. On the application's thread that was over 90 % of our cost per
stream, so a finished record is handed to a daemon thread instead (one queue put). The thread sleeps
until there is work, then waits a short batching window so that a burst of calls is recorded in one go
rather than waking it (and contending for the GIL) once per call. Records keep their span, so
trace-based exemplars still point at the right span. ``flush()`` waits until everything handed over is
recorded; it runs in ``Instrumentation.force_flush()`` and at interpreter exit, before the SDK's own
shutdown.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import weakref
from typing import Any

from opentelemetry.metrics import MeterProvider, get_meter
from opentelemetry.trace import Span, set_span_in_context

from otel_genai import semconv as sc
from otel_genai.telemetry.records import Inference, Invocation
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

_STOP = object()
BATCH_WINDOW_SECONDS = 0.2
_recorders: weakref.WeakSet[GenAIMetrics] = weakref.WeakSet()


class GenAIMetrics:
    """Owns the GenAI client instruments; ``record()`` is O(1) on the calling thread."""

    def __init__(self, scope_name: str, meter_provider: MeterProvider | None = None) -> None:
        meter = get_meter(scope_name, __version__, meter_provider)
        self._token_usage = meter.create_histogram(
            sc.METRIC_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_BUCKETS),
        )
        self._duration = meter.create_histogram(
            sc.METRIC_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self._time_to_first_chunk = meter.create_histogram(
            sc.METRIC_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk of a streaming response.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self._time_per_output_chunk = meter.create_histogram(
            sc.METRIC_TIME_PER_OUTPUT_CHUNK,
            unit="s",
            description="Time between consecutive chunks of a streaming response, after the first one.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()  # there is work
        self._hurry = threading.Event()  # someone waits for it: skip the batching window
        self._asleep = True
        _recorders.add(self)
        # Registered after the MeterProvider's own exit hook, so it runs before it (atexit is LIFO).
        atexit.register(_flush_at_exit, weakref.ref(self))

    def record(self, record: Invocation, duration: float, span: Span | None = None) -> None:
        """Hand a finished record (and its span, for exemplars) over to the metrics thread."""
        self._queue.put((record, duration, span))
        if self._asleep:
            self._asleep = False
            if self._worker is None:
                self._start_worker()
            self._wake.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record handed over so far is recorded."""
        if self._worker is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        self._hurry.set()
        self._wake.set()
        return done.wait(timeout)

    def stop(self) -> None:
        """Record what is queued, then end the thread."""
        worker = self._worker
        if worker is not None:
            self._queue.put(_STOP)
            self._hurry.set()
            self._wake.set()
            worker.join(timeout=5.0)
            self._worker = None
            self._asleep = True

    def _start_worker(self) -> None:
        with self._lock:
            if self._worker is None:
                worker = threading.Thread(target=self._run, name="otel_genai-metrics", daemon=True)
                worker.start()
                self._worker = worker

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._hurry.wait(BATCH_WINDOW_SECONDS)
            self._wake.clear()
            self._hurry.clear()
            self._asleep = True  # from here on, a new record wakes us again
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                try:
                    self.record_now(*item)
                except Exception:
                    logger.debug("otel_genai: could not record metrics", exc_info=True)

    def record_now(self, record: Invocation, duration: float, span: Span | None = None) -> None:
        """Record one finished invocation's metrics on the calling thread."""
        context = set_span_in_context(span) if span is not None else None
        attributes: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: record.operation,
            sc.GEN_AI_PROVIDER_NAME: record.provider,
        }
        if record.request_model:
            attributes[sc.GEN_AI_REQUEST_MODEL] = record.request_model
        if record.response_model:
            attributes[sc.GEN_AI_RESPONSE_MODEL] = record.response_model
        if record.server_address:
            attributes[sc.SERVER_ADDRESS] = record.server_address
        if record.server_port:
            attributes[sc.SERVER_PORT] = record.server_port
        if record.metric_attributes:
            attributes.update(record.metric_attributes)
        if record.error_type:
            attributes[sc.ERROR_TYPE] = record.error_type
        self._duration.record(duration, attributes, context=context)
        if record.error_type:
            return

        if record.input_tokens is not None:
            input_attributes = {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}
            self._token_usage.record(record.input_tokens, input_attributes, context=context)
        if not isinstance(record, Inference):
            return
        if record.output_tokens is not None:
            output_attributes = {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}
            self._token_usage.record(record.output_tokens, output_attributes, context=context)
        if record.time_to_first_chunk is None and not record.chunk_intervals:
            return
        # The conventions add the provider refinements (openai.*) to token and duration metrics only.
        chunk_attributes = {k: v for k, v in attributes.items() if k not in record.metric_attributes}
        if record.time_to_first_chunk is not None:
            self._time_to_first_chunk.record(record.time_to_first_chunk, chunk_attributes, context=context)
        if record.chunk_intervals:
            record_chunk = self._time_per_output_chunk.record
            for interval in record.chunk_intervals:
                record_chunk(interval, chunk_attributes, context=context)


def flush_all(timeout: float = 5.0) -> bool:
    """Flush every live recorder (used by ``Instrumentation.force_flush``)."""
    return all([recorder.flush(timeout) for recorder in list(_recorders)])


def _flush_at_exit(ref: weakref.ref[GenAIMetrics]) -> None:
    recorder = ref()
    if recorder is not None:
        recorder.flush(timeout=2.0)


def _after_fork_in_child() -> None:
    # The thread did not survive the fork; what the parent had queued is the parent's to record.
    for recorder in list(_recorders):
        recorder._queue = queue.SimpleQueue()
        recorder._worker = None
        recorder._lock = threading.Lock()
        recorder._wake = threading.Event()
        recorder._hurry = threading.Event()
        recorder._asleep = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
