"""The only module that reads or writes private OpenTelemetry SDK attributes.

The public SDK API cannot list a provider's processors, put one in front of those already added, name the
exporter behind a log-record processor, see a batch processor's queue or bound its shutdown, nor record
many values with one attribute set without cleaning and hashing that set for each value. Where we need
one of these, a function here does it, and nothing else in ``otel_genai`` touches an SDK ``_name``:

* each function knows the layout of the supported SDKs (``opentelemetry-sdk`` 1.40 to today, the range
  ``pyproject.toml`` declares and ``make test-matrix`` tests at both ends);
* when an SDK release renames what a function relies on, it returns a neutral answer (nothing to list, no
  queue to watch, "cannot bound the shutdown") and logs one WARNING per process saying what is lost; the
  application keeps running with the SDK's own behaviour;
* ``tests/test_sdk_internals.py`` checks each one against the installed SDK's real objects, so the test suite
  fails on the SDK release that renames something, not silently in production.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
from collections.abc import Callable, Sequence, Sized
from time import time_ns
from typing import Any

from opentelemetry.context import Context, get_current
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

logger = logging.getLogger("otel_genai")

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _unsupported(what: str, consequence: str) -> None:
    """Say once per process that this SDK lacks ``what`` (a newer release renamed it: the test suite should
    have caught that) and that ``consequence`` is what we lose."""
    with _warned_lock:
        if what in _warned:
            return
        _warned.add(what)
    logger.warning("otel_genai: opentelemetry-sdk %s has no %s: %s", sdk_version(), what, consequence)


def sdk_version() -> str:
    """The installed ``opentelemetry-sdk`` version."""
    try:
        from opentelemetry.sdk.version import __version__

        return str(__version__)
    except Exception:  # pragma: no cover - every SDK release ships it
        return "unknown"


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

    Span processors expose it as ``span_exporter``; log-record processors keep it as ``_exporter``, the
    batch one on its inner ``_batch_processor``.
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

# The state of BatchSpanProcessor / BatchLogRecordProcessor lives in their shared inner ``_batch_processor``.
_INNER = "_batch_processor"
_QUEUE, _CAPACITY, _WORKER = "_queue", "_max_queue_size", "_worker_thread"


def batch_queue(processor: object) -> tuple[Sized, int] | None:
    """An SDK batch processor's queue (the deque its ``on_end`` / ``on_emit`` appends to) and capacity.

    One ``len()`` per item tells that the queue is full before the SDK drops from it: the SDK only logs
    that at WARNING on every drop (no count, no hint) from its own logger. None when this SDK keeps them
    elsewhere (warned once): drops are then the SDK's business alone.
    """
    inner = getattr(processor, _INNER, None)
    queue, capacity = getattr(inner, _QUEUE, None), getattr(inner, _CAPACITY, None)
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
    worker = getattr(getattr(processor, _INNER, None), _WORKER, None)
    if not isinstance(worker, threading.Thread):
        _unsupported(
            f"{type(processor).__name__} worker thread ({_INNER}._worker_thread)",
            "an export cut short at shutdown is only reported when items were still queued",
        )
        return None
    return worker.is_alive()


def bounded_shutdown(processor: object) -> Callable[[float], None] | None:
    """``shutdown(timeout_millis)`` of an SDK batch processor's inner processor, which stops waiting for its
    worker after the timeout (the processor's own ``shutdown()`` always gives it 30 s). None when this SDK
    keeps it elsewhere (warned once): shutdown is then the SDK's own."""
    shutdown = getattr(getattr(processor, _INNER, None), "shutdown", None)
    if shutdown is None or not _takes(shutdown, "timeout_millis"):
        _unsupported(
            f"{type(processor).__name__}.{_INNER}.shutdown(timeout_millis)",
            "shutdown waits as long as the SDK's batch processor does, not at most the exit budget",
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


# --- histogram records without cleaning the same attribute set again ---------------------------------------

# Where a synchronous SDK instrument sends its measurements: the consumer (with the exemplar filter in its
# SDK configuration), one storage per metric reader, and per storage the view matches of the instrument, each
# keeping one aggregation per attribute set.
_CONSUMER, _STORAGES, _SDK_CONFIG = "_measurement_consumer", "_reader_storages", "_sdk_config"
_MATCHES, _AGGREGATIONS = "_get_or_init_view_instrument_match", "_attributes_aggregation"
_ROUTES_PER_HISTOGRAM = 1024  # attribute sets remembered per histogram; more take the public path
_PUBLIC = object()  # an attribute set whose values always take the public path


class _Route:
    """The aggregations the SDK files one attribute set under, and what each measurement needs besides."""

    __slots__ = ("aggregations", "attributes", "should_sample", "storages", "template")

    def __init__(self, template: Any, should_sample: Any, aggregations: list[Any], storages: Any) -> None:
        self.template = template  # a measurement the SDK built (its cleaned attributes among its fields)
        self.attributes = template.attributes
        self.should_sample = should_sample  # the SDK's exemplar filter
        self.aggregations = aggregations
        self.storages = (
            storages  # the consumer's reader storages when found (replaced when a reader is added)
        )


class HistogramRecorder:
    """``histogram.record(value, attributes, context=context)``, in fewer steps for an attribute set seen
    before.

    Each public ``record`` cleans, copies and hashes its attribute set to find the aggregation it belongs to:
    two thirds of its cost, and the same work every time for the handful of sets a process records again and
    again (one per model and server; all of a stream's ``time_per_output_chunk`` values share one). The first
    value of a set goes through the public ``record``, which creates the aggregation under the SDK's own
    rules (views, cardinality limit); the route it took is kept, and later values of that set go straight to
    those aggregations, each with its own measurement (value, time, context) and the SDK's exemplar filter
    asked for each: the exported points and exemplars are the ones the public calls give. Whenever the SDK is
    set up otherwise (delta temporality, a view that picks attributes, an overflowed attribute set, a disabled
    meter, a non-SDK meter), a value is invalid or unhashable, or the SDK lays its objects out differently,
    the public ``record`` it is.
    """

    __slots__ = ("_routes", "histogram")

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram
        self._routes: dict[Any, Any] = {}

    def record(self, value: float, attributes: dict[str, Any], context: Any = None) -> None:
        self.record_values((value,), attributes, context)

    def record_values(self, values: Sequence[float], attributes: dict[str, Any], context: Any = None) -> None:
        """Each value as one ``record`` with these attributes and context (a stream's chunk intervals)."""
        if not values:
            return
        histogram = self.histogram
        key = _route_key(attributes)
        route = self._routes.get(key) if key is not None else _PUBLIC
        first = 0
        if route is None:  # a new attribute set: the public path, then remember where it went
            value = values[0]
            histogram.record(value, attributes, context=context)
            route = _PUBLIC
            # a value the SDK dropped created nothing to find; past the limit, nothing more is remembered
            if value >= 0 and math.isfinite(value) and len(self._routes) < _ROUTES_PER_HISTOGRAM:
                route = self._routes[key] = _find_route(histogram, attributes)
            first = 1
        elif isinstance(route, _Route) and not _still_valid(route, histogram):
            self._routes.pop(key, None)  # a reader added since, a meter turned off: find it again next time
            route = _PUBLIC
        if not isinstance(route, _Route):  # _PUBLIC
            for value in values[first:]:
                histogram.record(value, attributes, context=context)
            return
        _aggregate(route, histogram, values[first:], attributes, context or get_current())


def _aggregate(route: _Route, histogram: Any, values: Sequence[float], attributes: Any, context: Any) -> None:
    new_measurement, set_field = object.__new__, object.__setattr__
    measurement_class, fields = type(route.template), route.template.__dict__
    should_sample, aggregations, cleaned = route.should_sample, route.aggregations, route.attributes
    for value in values:
        if not (value >= 0 and math.isfinite(value)):  # the public call warns and drops it
            histogram.record(value, attributes, context=context)
            continue
        measurement = new_measurement(measurement_class)
        measurement.__dict__.update(fields)
        now = time_ns()
        set_field(measurement, "value", value)
        set_field(measurement, "time_unix_nano", now)
        set_field(measurement, "context", context)
        sample = should_sample(value, now, cleaned, context)
        for aggregation in aggregations:
            aggregation.aggregate(measurement, sample)


def _route_key(attributes: dict[str, Any]) -> Any:
    """A hashable key for an attribute set that tells apart what the SDK tells apart (``True`` from ``1``);
    None for a set that cannot be one (a list value)."""
    key = tuple(
        (name, value) if type(value) is str else (name, type(value), value)
        for name, value in attributes.items()
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _still_valid(route: _Route, histogram: Any) -> bool:
    enabled = getattr(histogram, "_is_enabled", None)
    if enabled is not None and not enabled():
        return False
    return getattr(getattr(histogram, _CONSUMER, None), _STORAGES, None) is route.storages


def _find_route(histogram: Any, attributes: dict[str, Any]) -> Any:
    """The route the public ``record`` just took with ``attributes``; ``_PUBLIC`` when values of this set
    must keep taking the public path."""
    try:
        from opentelemetry.sdk.metrics._internal.instrument import Histogram
        from opentelemetry.sdk.metrics._internal.measurement import Measurement
    except ImportError:
        return _PUBLIC
    if not isinstance(histogram, Histogram):
        return _PUBLIC  # the API's no-op or proxy instrument: nothing to aggregate here
    try:
        enabled = getattr(histogram, "_is_enabled", None)  # releases before meter configuration lack it
        if enabled is not None and not enabled():
            return _PUBLIC
        consumer = getattr(histogram, _CONSUMER)
        should_sample = getattr(consumer, _SDK_CONFIG).exemplar_filter.should_sample
        # each measurement made from it gets its own context: the template holds none of a span's
        template = Measurement(0.0, time_ns(), histogram, Context(), attributes)
        if not isinstance(getattr(template, "__dict__", None), dict):
            raise AttributeError("Measurement.__dict__")
        key, swaps = _attribute_key(template.attributes)
        storages = getattr(consumer, _STORAGES)
        aggregations = []
        for storage in storages.values():
            for match in getattr(storage, _MATCHES)(histogram):
                if (swaps and match._reset_on_collect) or match._view._attribute_keys is not None:
                    return _PUBLIC  # delta temporality (collect swaps aggregations), a view picks attributes
                aggregation = getattr(match, _AGGREGATIONS).get(key)
                if aggregation is None:
                    return _PUBLIC  # over the cardinality limit: the SDK's overflow set took the first value
                aggregations.append(aggregation)
        return _Route(template, should_sample, aggregations, storages)
    except AttributeError:
        _unsupported(
            "synchronous instrument internals (_measurement_consumer, view matches, aggregations)",
            "every histogram value is recorded through the public API (slower, same data)",
        )
        return _PUBLIC
    except Exception:
        logger.debug("otel_genai: histogram values take the public path", exc_info=True)
        return _PUBLIC


def _attribute_key(attributes: Any) -> tuple[Any, bool]:
    """The key the SDK files an attribute set's aggregation under (a lookup with a wrong key finds nothing,
    and the values then take the public path), and whether this SDK may swap a view match's aggregations
    when it collects (``_reset_on_collect``, which releases that key by ``_hash_attributes`` have; the older
    ones, keying by the frozen set of items, keep each aggregation for good)."""
    try:
        from opentelemetry.sdk.metrics._internal._view_instrument_match import _hash_attributes
    except ImportError:
        return frozenset(dict(attributes or {}).items()), False
    return _hash_attributes(dict(attributes or {})), True
