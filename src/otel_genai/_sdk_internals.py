"""The only module that reads or writes private OpenTelemetry SDK attributes.

The public SDK API cannot list a provider's processors, put one in front of those already added, name the
exporter behind a log-record processor, see a batch processor's queue or bound its shutdown. Where we need
one of these, a function here does it, and nothing else in ``otel_genai`` touches an SDK ``_name``:

* each function knows every layout of the supported SDKs (``opentelemetry-sdk`` 1.30 to today: the batch
  processors moved their state into ``_batch_processor`` in 1.34, and their shutdown took a timeout in 1.36);
* when an SDK release renames what a function relies on, it returns a neutral answer (nothing to list, no
  queue to watch, "cannot bound the shutdown") and logs one WARNING per process saying what is lost; the
  application keeps running with the SDK's own behaviour;
* ``tests/test_sdk_internals.py`` checks each one against the installed SDK's real objects, so the test suite
  fails on the SDK release that renames something, not silently in production.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Sized
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

logger = logging.getLogger("otel_genai")

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _unsupported(what: str, consequence: str, *, since: tuple[int, int] | None = None) -> None:
    """Say once per process that this SDK lacks ``what`` and that ``consequence`` is what we lose.

    ``since``: the SDK release that brought ``what``. On an older SDK that is expected (INFO); otherwise a
    newer SDK renamed something (WARNING), which ``tests/test_sdk_internals.py`` should have caught.
    """
    with _warned_lock:
        if what in _warned:
            return
        _warned.add(what)
    version = sdk_version()
    if since is not None and _release(version) < since:
        logger.info(
            "otel_genai: opentelemetry-sdk %s has no %s (%d.%d and later do): %s",
            version,
            what,
            *since,
            consequence,
        )
        return
    logger.warning("otel_genai: opentelemetry-sdk %s has no %s: %s", version, what, consequence)


def sdk_version() -> str:
    """The installed ``opentelemetry-sdk`` version."""
    try:
        from opentelemetry.sdk.version import __version__

        return str(__version__)
    except Exception:  # pragma: no cover - every SDK release ships it
        return "unknown"


def _release(version: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string; (0, 0) when it cannot be read."""
    try:
        major, minor = version.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return 0, 0


# --- a provider's processors ----------------------------------------------------------------------------

# Where the SDK providers keep their processors: the provider's multi-processor, and its tuple (with the
# lock its own add_*_processor holds). The same names in every supported release.
_SPAN_HOLDER, _SPAN_TUPLE = "_active_span_processor", "_span_processors"
_LOG_HOLDER, _LOG_TUPLE = "_multi_log_record_processor", "_log_record_processors"
_LOCK = "_lock"


def _logger_provider_class() -> type | None:
    try:
        from opentelemetry.sdk._logs import LoggerProvider
    except ImportError:  # pragma: no cover - part of every supported SDK
        return None
    return LoggerProvider


def _slot(provider: object) -> tuple[Any, str] | None:
    """``(multi-processor, tuple attribute)`` of an SDK TracerProvider or LoggerProvider; None for anything
    else (a proxy, a no-op or a third-party provider: nothing of ours to find there, and no warning)."""
    if isinstance(provider, TracerProvider):
        holder, attribute, kind = _SPAN_HOLDER, _SPAN_TUPLE, "TracerProvider"
    else:
        logger_provider = _logger_provider_class()
        if logger_provider is None or not isinstance(provider, logger_provider):
            return None
        holder, attribute, kind = _LOG_HOLDER, _LOG_TUPLE, "LoggerProvider"
    target = getattr(provider, holder, None)
    if not isinstance(getattr(target, attribute, None), tuple):
        _unsupported(
            f"{kind}.{holder}.{attribute}",
            "otel_genai cannot see the processors the application or opentelemetry-instrument added (no "
            "warning about processors that receive content unredacted, no redaction in front of them)",
        )
        return None
    return target, attribute


def is_sdk_provider(provider: object) -> bool:
    """An SDK TracerProvider or LoggerProvider (whose processors redaction must stand in front of)."""
    if isinstance(provider, TracerProvider):
        return True
    logger_provider = _logger_provider_class()
    return logger_provider is not None and isinstance(provider, logger_provider)


def processors(provider: object) -> tuple[Any, ...]:
    """The processors an SDK TracerProvider or LoggerProvider runs, in order; empty for anything else."""
    slot = _slot(provider)
    if slot is None:
        return ()
    target, attribute = slot
    return tuple(getattr(target, attribute))


def replace_processors(provider: object, replace: Callable[[Any], Any]) -> int | None:
    """Swap each processor of an SDK provider for ``replace(processor)``, in place and in order.

    The only way to put a processor *in front of* an exporter the provider already feeds (what
    ``opentelemetry-instrument`` set up): ``add_*_processor`` appends, and every processor sees every span.
    Done under the multi-processor's own lock, so a processor added meanwhile is not lost. Returns how many
    were replaced; None when this provider's processors cannot be reached (not an SDK provider, or an SDK
    that keeps them elsewhere: warned about once).
    """
    slot = _slot(provider)
    if slot is None:
        return None
    target, attribute = slot
    lock: Any = getattr(target, _LOCK, None)
    if not hasattr(lock, "__enter__"):
        _unsupported(
            f"{type(target).__name__}.{_LOCK}",
            "processors are replaced without the provider's lock (one added at that moment may be lost)",
        )
        lock = threading.Lock()
    with lock:
        current = tuple(getattr(target, attribute))
        updated = tuple(replace(processor) for processor in current)
        setattr(target, attribute, updated)
    return sum(1 for old, new in zip(current, updated, strict=True) if old is not new)


# --- the exporter behind an SDK processor ---------------------------------------------------------------


def _log_processor_classes() -> tuple[type, type] | None:
    try:
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
    except ImportError:  # pragma: no cover - part of every supported SDK
        return None
    return SimpleLogRecordProcessor, BatchLogRecordProcessor


def exporter_of(processor: object) -> Any:
    """The exporter behind one of the SDK's simple or batch processors (spans or log records), else None.

    Span processors expose it as ``span_exporter`` (except ``BatchSpanProcessor`` in SDK 1.34 and 1.35);
    otherwise it is ``_exporter``: on the batch processor's inner ``_batch_processor`` since SDK 1.34.
    """
    log_classes = _log_processor_classes() or ()
    if not isinstance(processor, (SimpleSpanProcessor, BatchSpanProcessor, *log_classes)):
        return None
    exporter = getattr(processor, "span_exporter", None)
    if exporter is None:
        exporter = getattr(getattr(processor, _INNER, processor), "_exporter", None)
    if exporter is None:
        _unsupported(
            f"{type(processor).__name__}._exporter",
            "otel_genai cannot tell where this processor exports (nor redact in front of it)",
        )
    return exporter


# --- the state of an SDK batch processor -----------------------------------------------------------------

# SDK >= 1.34: the state of BatchSpanProcessor / BatchLogRecordProcessor lives in ``_batch_processor``.
# Before that: on the processor itself, public-looking names on the span processor, private on the log one.
_INNER = "_batch_processor"
_LAYOUTS = {  # which layout -> (queue, capacity, worker thread)
    "shared": ("_queue", "_max_queue_size", "_worker_thread"),
    "span<1.34": ("queue", "max_queue_size", "worker_thread"),
    "log<1.34": ("_queue", "_max_queue_size", "_worker_thread"),
}


def _batch_state(processor: object) -> tuple[object, tuple[str, str, str]] | None:
    """The object holding a batch processor's queue, and the names of its queue, capacity and worker."""
    inner = getattr(processor, _INNER, None)
    if inner is not None:
        return inner, _LAYOUTS["shared"]
    layout = _LAYOUTS["span<1.34" if isinstance(processor, BatchSpanProcessor) else "log<1.34"]
    if hasattr(processor, layout[0]):
        return processor, layout
    return None


def batch_queue(processor: object) -> tuple[Sized, int] | None:
    """An SDK batch processor's queue (the deque its ``on_end`` / ``on_emit`` appends to) and capacity.

    One ``len()`` per item tells that the queue is full before the SDK drops from it: the SDK only logs
    that at WARNING on every drop (no count, no hint) from its own logger. None when this SDK keeps them
    elsewhere (warned once): drops are then the SDK's business alone.
    """
    found = _batch_state(processor)
    queue: object = None
    capacity: object = None
    if found is not None:
        holder, (queue_name, capacity_name, _) = found
        queue, capacity = getattr(holder, queue_name, None), getattr(holder, capacity_name, None)
    if not isinstance(queue, Sized) or not isinstance(capacity, int) or capacity <= 0:
        _unsupported(
            f"{type(processor).__name__} queue ({_INNER}._queue / _max_queue_size)",
            "a full export queue is not warned about by otel_genai",
        )
        return None
    return queue, capacity


def batch_worker_alive(processor: object) -> bool | None:
    """Whether an SDK batch processor's worker thread is still running (still exporting, after a bounded
    shutdown); None when this SDK keeps it elsewhere."""
    found = _batch_state(processor)
    worker = getattr(found[0], found[1][2], None) if found is not None else None
    if not isinstance(worker, threading.Thread):
        _unsupported(
            f"{type(processor).__name__} worker thread ({_INNER}._worker_thread)",
            "an export cut short at shutdown is only reported when items were still queued",
        )
        return None
    return worker.is_alive()


def bounded_shutdown(processor: object) -> Callable[[float], None] | None:
    """``shutdown(timeout_millis)`` of an SDK batch processor's inner processor, which stops waiting for its
    worker after the timeout (SDK >= 1.36; the processor's own ``shutdown()`` always gives it 30 s). None
    on older SDKs (their shutdown has no timeout: said once) or when the inner processor is gone."""
    shutdown = getattr(getattr(processor, _INNER, None), "shutdown", None)
    if shutdown is None or not _takes(shutdown, "timeout_millis"):
        _unsupported(
            f"{type(processor).__name__}.{_INNER}.shutdown(timeout_millis)",
            "shutdown waits as long as the SDK's batch processor does, not at most the exit budget",
            since=(1, 36),
        )
        return None
    inner_shutdown: Callable[..., Any] = shutdown

    def shutdown_within(timeout_millis: float) -> None:
        inner_shutdown(timeout_millis=timeout_millis)

    return shutdown_within


def _takes(function: Callable[..., Any], parameter: str) -> bool:
    try:
        return parameter in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
