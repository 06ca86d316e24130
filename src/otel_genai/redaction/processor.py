"""RedactingSpanProcessor and its log-record twin: the only road from our content to an exporter.

On the application thread ``on_end`` / ``on_emit`` only appends to a bounded queue (a few
microseconds). A daemon worker thread takes batches, redacts them (redactor.py) and exports the
copies. Back-pressure never blocks the application and never exports raw text:

* the queue is full: the item goes to an overflow queue and is exported with its content stripped;
* the overflow is full too: the item is dropped (counted, warned about at most once a minute);
* the worker is behind by more than ``policy.max_lag_seconds``: the policy decides, strip the content
  (default) or redact with the pattern recognizers only (no NER);
* analysis raises or overruns its time budget: that field becomes ``[REDACTION_FAILED]``.

Batching settings default to the standard ``OTEL_BSP_*`` / ``OTEL_BLRP_*`` variables.
"""

from __future__ import annotations

import collections
import copy
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter

from otel_genai import _export, _sdk_internals
from otel_genai.redaction.engine import settle_engine_imports
from otel_genai.redaction.policy import OnOverload, RedactionPolicy
from otel_genai.redaction.redactor import Redactor

try:
    from opentelemetry.sdk._logs import ReadableLogRecord
except ImportError:  # SDKs before 1.39
    ReadableLogRecord = None  # type: ignore[assignment, misc]

logger = logging.getLogger("otel_genai")

# NER is slow (~35 ms per KB): smaller batches keep the worker responsive to flushes and overflow.
_MAX_REDACTION_BATCH = 64


class _Flush:
    """A marker in the queue: everything before it has been exported when ``done`` is set."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _Worker:
    """The bounded queue and the thread that redacts and exports; shared by both processors."""

    def __init__(
        self,
        *,
        name: str,
        redact: Callable[[Sequence[Any], bool], list[Any]],
        strip: Callable[[Sequence[Any], str], list[Any]],
        export: Callable[[Sequence[Any]], Any],
        age_seconds: Callable[[Any], float],
        redactor: Redactor,
        max_queue_size: int,
        max_batch_size: int,
        schedule_delay_seconds: float,
        export_timeout_seconds: float,
    ) -> None:
        self._redact = redact
        self._strip = strip
        self._export = export
        self._age_seconds = age_seconds
        self._redactor = redactor
        self._max_queue_size = max_queue_size
        self._max_batch_size = min(max_batch_size, _MAX_REDACTION_BATCH)
        self._delay = schedule_delay_seconds
        self.export_timeout = export_timeout_seconds
        self._queue: collections.deque[Any] = collections.deque()
        self._overflow: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._shutdown = False
        self.dropped = 0
        self._dropped_counted = 0
        self._name = name
        settle_engine_imports(redactor.policy)  # before the worker can load the engine
        self._thread = self._start()
        if hasattr(os, "register_at_fork"):
            # A pre-fork server (gunicorn --preload) forks after instrument(): each child needs its own
            # worker thread, and must not export the parent's queued spans a second time.
            reference = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: (method := reference()) and method())

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        thread.start()
        return thread

    def _after_fork(self) -> None:
        self._queue.clear()
        self._overflow.clear()
        self._wake = threading.Event()
        if not self._shutdown:
            self._thread = self._start()

    # --- application thread -------------------------------------------------------------------------

    def submit(self, item: Any) -> None:
        """O(1); never blocks, never raises."""
        if self._shutdown:
            return
        queue = self._queue
        if len(queue) < self._max_queue_size:
            queue.append(item)
            if len(queue) >= self._max_batch_size:
                self._wake.set()
        elif len(self._overflow) < self._max_queue_size:
            self._overflow.append(item)
            self._wake.set()
        else:
            self.dropped += 1
            self._redactor.warn(
                "dropped",
                "otel_genai: the redaction queue and its overflow are full; dropping spans (%d so far)",
                self.dropped,
            )

    def flush(self, timeout_seconds: float) -> bool:
        if not self._thread.is_alive():
            return not self._queue
        marker = _Flush()
        self._queue.append(marker)
        self._wake.set()
        return marker.done.wait(timeout_seconds)

    def shutdown(self, timeout_seconds: float) -> None:
        """Export what is queued within the timeout; what is left then is exported stripped."""
        flushed = self.flush(timeout_seconds)
        self._shutdown = True
        self._wake.set()
        if not flushed:
            leftover = [item for item in _drain(self._queue) if not isinstance(item, _Flush)]
            leftover += list(_drain(self._overflow))
            if leftover:
                self._redactor.count_degraded(len(leftover), "shutdown", "strip")
                self._export_stripped(leftover, "shutdown", stop_on_failure=True)
        self._thread.join(timeout=1.0)

    # --- worker thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._delay)
            self._wake.clear()
            try:
                self._drain_all()
            except BaseException:  # the worker must survive anything, SystemExit from a library included
                logger.debug("otel_genai: redaction worker error", exc_info=True)
            if self._shutdown:
                return

    def _drain_all(self) -> None:
        if self.dropped > self._dropped_counted:
            self._redactor.count_degraded(self.dropped - self._dropped_counted, "queue_full", "drop")
            self._dropped_counted = self.dropped
        while self._queue or self._overflow:
            if self._overflow:
                stripped = list(_drain(self._overflow))
                self._redactor.count_degraded(len(stripped), "queue_full", "strip")
                self._export_stripped(stripped, "queue_full")
            batch: list[Any] = []
            marker: _Flush | None = None
            while self._queue and len(batch) < self._max_batch_size:
                item = self._queue.popleft()
                if isinstance(item, _Flush):
                    marker = item  # everything before it is in this batch
                    break
                batch.append(item)
            if batch:
                self._process(batch)
            if marker is not None:
                marker.done.set()

    def _process(self, batch: list[Any]) -> None:
        lagging = self._age_seconds(batch[0]) > self._redactor.policy.max_lag_seconds
        if lagging and self._redactor.policy.on_overload is OnOverload.STRIP:
            self._redactor.count_degraded(len(batch), "backlog", "strip")
            self._redactor.warn("backlog", "otel_genai: redaction is behind; exporting content stripped")
            out = self._strip(batch, "backlog")
        else:
            if lagging:
                self._redactor.count_degraded(len(batch), "backlog", "patterns")
                self._redactor.warn("backlog", "otel_genai: redaction is behind; using patterns only")
            try:
                out = self._redact(batch, not lagging)
            except BaseException:
                logger.debug("otel_genai: redaction failed; exporting stripped", exc_info=True)
                self._redactor.count_degraded(len(batch), "error", "strip")
                out = self._strip(batch, "error")
        self._safe_export(out)

    def _export_stripped(self, items: list[Any], reason: str, stop_on_failure: bool = False) -> None:
        """Export ``items`` with content stripped, batch by batch. At exit (``stop_on_failure``) a failed
        batch ends it: a Collector that is down would cost one full export timeout per batch."""
        for start in range(0, len(items), self._max_batch_size):
            exported = self._safe_export(self._strip(items[start : start + self._max_batch_size], reason))
            if not exported and stop_on_failure:
                rest = len(items) - start - self._max_batch_size
                if rest > 0:
                    self._redactor.count_degraded(rest, reason, "drop")
                    logger.warning(
                        "otel_genai: the exporter failed at exit; %d spans or records not exported", rest
                    )
                return

    def _safe_export(self, items: Sequence[Any]) -> bool:
        """Export without tracing ourselves; False when the exporter failed or raised."""
        if not items:
            return True
        try:
            with suppress_instrumentation():
                result = self._export(items)
        except Exception:
            logger.debug("otel_genai: exporter raised", exc_info=True)
            return False
        return getattr(result, "name", "SUCCESS") == "SUCCESS"


def _drain(queue: collections.deque[Any]) -> Any:
    while True:
        try:
            yield queue.popleft()
        except IndexError:
            return


class _RedactingProcessor:
    """What both processors share: the redactor, the worker, flush and shutdown."""

    _env_prefix: str
    _thread_name: str

    def __init__(
        self,
        exporter: Any,
        policy: RedactionPolicy | None = None,
        *,
        max_queue_size: int | None = None,
        max_export_batch_size: int | None = None,
        schedule_delay_millis: float | None = None,
        export_timeout_millis: float | None = None,
        meter_provider: Any = None,
        detector: Any = None,
    ) -> None:
        self.exporter = exporter
        self.policy = policy or RedactionPolicy()
        self.redactor = Redactor(self.policy, detector=detector, meter_provider=meter_provider)
        prefix = self._env_prefix
        batching = _export.batching(prefix)  # OTEL_BSP_* / OTEL_BLRP_*, read as our batch processors do
        self._worker = _Worker(
            name=self._thread_name,
            redact=self._redact,
            strip=self._strip,
            export=exporter.export,
            age_seconds=self._age_seconds,
            redactor=self.redactor,
            max_queue_size=max_queue_size or batching["max_queue_size"],
            max_batch_size=max_export_batch_size or batching["max_export_batch_size"],
            schedule_delay_seconds=(schedule_delay_millis or batching["schedule_delay_millis"]) / 1000,
            export_timeout_seconds=(export_timeout_millis or _export.export_timeout_millis(prefix)) / 1000,
        )

    def _redact(self, batch: Sequence[Any], ner: bool) -> list[Any]:
        raise NotImplementedError

    def _strip(self, batch: Sequence[Any], reason: str) -> list[Any]:
        raise NotImplementedError

    @staticmethod
    def _age_seconds(item: Any) -> float:
        raise NotImplementedError

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        flushed = self._worker.flush(timeout_millis / 1000)
        exporter_flush = getattr(self.exporter, "force_flush", None)  # log exporters lack it before SDK 1.44
        if exporter_flush is None:
            return flushed
        try:
            return flushed and bool(exporter_flush(timeout_millis))
        except Exception:
            return False

    def shutdown(self) -> None:
        self._worker.shutdown(self._worker.export_timeout)
        try:
            self.exporter.shutdown()
        except Exception:
            logger.debug("otel_genai: exporter shutdown failed", exc_info=True)


class RedactingSpanProcessor(_RedactingProcessor, SpanProcessor):
    """Redacts PII in span content off the request path, then exports.

    Use it in place of a ``BatchSpanProcessor`` (batching follows the ``OTEL_BSP_*`` variables)::

        provider.add_span_processor(RedactingSpanProcessor(OTLPSpanExporter(), policy=RedactionPolicy()))
    """

    _env_prefix = "OTEL_BSP"
    _thread_name = "otel-genai-redacting-span-processor"

    @property
    def span_exporter(self) -> SpanExporter:
        return self.exporter

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            self._worker.submit(span)

    def _redact(self, batch: Sequence[Any], ner: bool) -> list[Any]:
        return self.redactor.redact_spans(batch, ner=ner)

    def _strip(self, batch: Sequence[Any], reason: str) -> list[Any]:
        return self.redactor.strip_spans(batch, reason)

    @staticmethod
    def _age_seconds(span: ReadableSpan) -> float:
        end = span.end_time
        return (time.time_ns() - end) / 1e9 if end else 0.0


class RedactingLogRecordProcessor(_RedactingProcessor):
    """The twin for log records (the content events): redacts content attributes, bodies and
    exception messages off the application thread, then exports (``OTEL_BLRP_*`` batching)."""

    _env_prefix = "OTEL_BLRP"
    _thread_name = "otel-genai-redacting-log-processor"

    def on_emit(self, log_record: Any) -> None:
        self._worker.submit(_readable_log(log_record))

    emit = on_emit  # SDKs before 1.39 called it emit()

    def _redact(self, batch: Sequence[Any], ner: bool) -> list[Any]:
        return self.redactor.redact_logs(batch, ner=ner)

    def _strip(self, batch: Sequence[Any], reason: str) -> list[Any]:
        return self.redactor.strip_logs(batch, reason)

    @staticmethod
    def _age_seconds(record: Any) -> float:
        log = getattr(record, "log_record", None)
        stamp = getattr(log, "observed_timestamp", None) or getattr(log, "timestamp", None)
        return (time.time_ns() - stamp) / 1e9 if stamp else 0.0


def _readable_log(log_record: Any) -> Any:
    """What the exporter expects, detached from the emitting context (as BatchLogRecordProcessor)."""
    if ReadableLogRecord is None:  # older SDKs pass LogData, which exporters take as is
        return log_record
    record = copy.copy(log_record.log_record)
    if hasattr(record, "context"):
        record.context = Context()
    resource = log_record.resource if log_record.resource is not None else Resource.create({})
    return ReadableLogRecord(
        log_record=record,
        resource=resource,
        instrumentation_scope=log_record.instrumentation_scope,
        limits=log_record.limits,
    )


def redact_existing_processors(tracer_provider: Any, logger_provider: Any, policy: RedactionPolicy) -> int:
    """Put redaction in front of the exporters SDK providers already have (batch and simple processors).

    For zero-code set-ups (``opentelemetry-instrument``), where the providers and their exporters are
    built before our instrumentors run and the user has no place to add our processor. Adding a processor
    cannot do it (every processor sees every span, raw), so each exporting processor is replaced, in place,
    by a redacting one around the same exporter (``_sdk_internals.replace_processors``). Returns how many
    processors now redact; processors of other kinds are left alone, with a warning. Raises
    ``RedactionUnavailable`` when an SDK provider's processors cannot be reached (a future SDK that keeps
    them elsewhere), so that the caller turns content capture off instead of exporting content raw.
    """
    counts = (
        _swap(tracer_provider, RedactingSpanProcessor, policy),
        _swap(logger_provider, RedactingLogRecordProcessor, policy),
    )
    providers = (tracer_provider, logger_provider)
    unreachable = [type(p).__name__ for p, n in zip(providers, counts, strict=True) if n is None]
    if unreachable:
        # an SDK whose processors we cannot reach (_sdk_internals has warned): its exporters would get
        # content raw, so the caller must not capture any
        raise RedactionUnavailable(f"the processors of {' and '.join(unreachable)} cannot be reached")
    replaced = sum(n or 0 for n in counts)
    if replaced:
        logger.info("otel_genai: content capture is on; %d exporting processor(s) now redact PII", replaced)
    return replaced


def processors_of(provider: Any) -> tuple[Any, ...]:
    """The processors an SDK TracerProvider or LoggerProvider runs (empty for anything else)."""
    return _sdk_internals.processors(provider)


def exporter_of(processor: Any) -> Any:
    """The exporter behind an SDK batch or simple processor or one of ours (spans or logs), else None."""
    if isinstance(processor, _RedactingProcessor):
        return processor.exporter
    return _sdk_internals.exporter_of(processor)


def _swap(provider: Any, factory: Any, policy: RedactionPolicy) -> int | None:
    def redacting(processor: Any) -> Any:
        if isinstance(processor, _RedactingProcessor):
            return processor
        exporter = exporter_of(processor)
        if exporter is None:
            logger.warning(
                "otel_genai: %s is not a batch or simple processor; it receives content UNREDACTED",
                type(processor).__name__,
            )
            return processor
        return factory(exporter, policy)

    replaced = _sdk_internals.replace_processors(provider, redacting)
    if replaced is None and not _sdk_internals.is_sdk_provider(provider):
        return 0  # a proxy or no-op provider: nothing exports there
    return replaced  # None: an SDK provider whose processors cannot be reached


class RedactionUnavailable(RuntimeError):
    """Redaction cannot be put in front of an SDK provider's exporters."""
