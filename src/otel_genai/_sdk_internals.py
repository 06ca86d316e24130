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
from bisect import bisect_left
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
# keeping one aggregation per attribute set. The instruments of one meter share its consumer and its
# configuration (which says whether the meter is on).
_CONSUMER, _STORAGES, _SDK_CONFIG = "_measurement_consumer", "_reader_storages", "_sdk_config"
_MATCHES, _AGGREGATIONS = "_get_or_init_view_instrument_match", "_attributes_aggregation"
_METER_CONFIG, _IS_ENABLED = "_meter_config", "_is_enabled"
_ROUTES_PER_HISTOGRAM = 1024  # attribute sets remembered per histogram; more take the public path
_PUBLIC = object()  # an attribute set whose values always take the public path


def _context_only_filters() -> tuple[type, ...]:
    """The SDK's own exemplar filters: each decides on the measurement's context alone (always, never, or
    whether its span is sampled), so one decision serves every value recorded with one context. Any other
    filter, a subclass of these included, is asked for each value."""
    try:
        from opentelemetry.sdk.metrics import (
            AlwaysOffExemplarFilter,
            AlwaysOnExemplarFilter,
            TraceBasedExemplarFilter,
        )
    except ImportError:  # pragma: no cover - part of every supported SDK
        return ()
    return AlwaysOffExemplarFilter, AlwaysOnExemplarFilter, TraceBasedExemplarFilter


def _aligned_exemplar_boundaries(aggregation: Any) -> Sequence[float] | None:
    """The bucket boundaries of an aggregation whose exemplar reservoir is the SDK's histogram default
    (``AlignedHistogramBucketExemplarReservoir``: it keeps the last measurement offered per bucket); None
    for any other reservoir, which is offered every value."""
    try:
        from opentelemetry.sdk.metrics._internal.exemplar import AlignedHistogramBucketExemplarReservoir
    except ImportError:
        return None
    reservoir = getattr(aggregation, "_reservoir", None)
    if type(reservoir) is not AlignedHistogramBucketExemplarReservoir:
        return None
    boundaries = getattr(reservoir, "_boundaries", None)
    return tuple(boundaries) if isinstance(boundaries, Sequence) else None


def _last_of_each_bucket(values: Sequence[float], boundaries: Sequence[float]) -> set[int]:
    """The positions of the values an aligned reservoir would keep from this batch: the last valid value of
    each bucket (a value lands in the first bucket whose upper boundary is not below it)."""
    last = {bisect_left(boundaries, v): i for i, v in enumerate(values) if v >= 0 and math.isfinite(v)}
    return set(last.values())


class _Route:
    """The aggregations the SDK files one attribute set under, and what each measurement needs besides."""

    __slots__ = (
        "aggregations",
        "attributes",
        "decides_on_context",
        "exemplar_boundaries",
        "fields",
        "measurement_class",
        "should_sample",
        "storages",
    )

    def __init__(self, template: Any, exemplar_filter: Any, aggregations: list[Any], storages: Any) -> None:
        # a measurement the SDK built: each value's copies its fields (the cleaned attributes among them)
        self.measurement_class, self.fields = type(template), template.__dict__
        self.attributes = template.attributes
        self.should_sample = exemplar_filter.should_sample
        self.decides_on_context = type(exemplar_filter) in _context_only_filters()
        self.aggregations = aggregations
        # per aggregation, the boundaries of its aligned exemplar reservoir (None: another reservoir)
        self.exemplar_boundaries = tuple(_aligned_exemplar_boundaries(a) for a in aggregations)
        self.storages = storages  # the consumer's reader storages (replaced when a reader is added)


class HistogramRecorder:
    """``histogram.record(value, attributes, context=context)``, in fewer steps for an attribute set seen
    before.

    Each public ``record`` cleans, copies and hashes its attribute set to find the aggregation it belongs to:
    two thirds of its cost, and the same work every time for the handful of sets a process records again and
    again (one per model and server; all of a stream's ``time_per_output_chunk`` values share one). The first
    value of a set goes through the public ``record``, which creates the aggregation under the SDK's own
    rules (views, cardinality limit); the route it took is kept, and later values of that set go straight to
    those aggregations, each with its own measurement (value, time, context) and the SDK's exemplar decision
    (asked once per context of the SDK's own filters, per value of any other): the exported points and
    exemplars are the ones the public calls give. Whenever the SDK is set up otherwise (delta temporality, a
    view that picks attributes, an overflowed attribute set, a disabled meter, a non-SDK meter), a value is
    invalid or unhashable, or the SDK lays its objects out differently, the public ``record`` it is.
    """

    __slots__ = ("_routes", "histogram")

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram
        self._routes: dict[Any, Any] = {}

    def record(self, value: float, attributes: dict[str, Any], context: Any = None) -> None:
        self._record((value,), attributes, _route_key(attributes), context)

    def record_values(self, values: Sequence[float], attributes: dict[str, Any], context: Any = None) -> None:
        """Each value as one ``record`` with these attributes and context (a stream's chunk intervals)."""
        if values:
            self._record(values, attributes, _route_key(attributes), context)

    def route_of(self, key: Any) -> Any:
        """The route remembered for the attribute set of this ``_route_key`` (None: not yet found)."""
        return self._routes.get(key) if key is not None else _PUBLIC

    def _record(self, values: Sequence[float], attributes: dict[str, Any], key: Any, context: Any) -> None:
        histogram = self.histogram
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
        elif isinstance(route, _Route) and _live_storages(histogram) is not route.storages:
            self._routes.pop(key, None)  # a reader added since, a meter turned off: find it again next time
            route = _PUBLIC
        if not isinstance(route, _Route):  # _PUBLIC
            for value in values[first:]:
                histogram.record(value, attributes, context=context)
            return
        _aggregate(route, histogram, values[first:], attributes, context or get_current(), None)


class _Target:
    """One histogram and one attribute set of a ``RecordPlan``."""

    __slots__ = ("attributes", "histogram", "key", "many", "recorder", "route")

    def __init__(self, recorder: HistogramRecorder, attributes: dict[str, Any], many: bool) -> None:
        self.recorder, self.histogram, self.attributes = recorder, recorder.histogram, attributes
        self.many = many  # given a sequence of values per call, not one value
        self.key = _route_key(attributes)
        self.route: Any = None  # the recorder's route for this set, once it has one


class RecordPlan:
    """Where the values of one kind of call go: for each histogram, the attribute set it records them with.

    A call records a few values (duration, tokens, cost, a stream's timings), each with an attribute set
    that only depends on what identifies the call (operation, model, server, scope, error): the caller
    builds those sets once per kind of call and keeps the plan, so a call seen before builds no attribute
    set and no key. Per call, the plan checks once that the meter is on and its readers are the ones the
    routes were found with (the histograms share one meter), and makes the exemplar decision of the SDK's
    own filters once for the call's context; each value is still its own measurement, aggregated where its
    set's route leads. A set without a usable route (not seen yet, always public, or found before a reader
    was added) goes through its ``HistogramRecorder``, which finds it again.
    """

    __slots__ = ("_histogram", "_targets")

    def __init__(self, targets: Sequence[tuple[HistogramRecorder, dict[str, Any], bool]]) -> None:
        self._targets = tuple(_Target(recorder, attributes, many) for recorder, attributes, many in targets)
        histograms = [target.histogram for target in self._targets]
        first = histograms[0] if histograms else None
        consumer, config = getattr(first, _CONSUMER, None), getattr(first, _METER_CONFIG, None)
        shared = all(
            getattr(histogram, _CONSUMER, None) is consumer
            and getattr(histogram, _METER_CONFIG, None) is config
            for histogram in histograms
        )
        # histograms of several meters: no route is ever current, each set goes through its recorder
        self._histogram = first if shared else None

    def record(self, values: Sequence[Any], context: Any = None) -> None:
        """``values[i]`` into the i-th histogram (None: nothing; a sequence for one given many values), each
        value as one ``record`` with that histogram's attribute set and ``context``."""
        storages = _live_storages(self._histogram)
        context = context or get_current()
        sample = None  # the exemplar decision for this context, once the SDK's own filter made it
        for target, value in zip(self._targets, values, strict=False):
            if value is None:
                continue
            batch = value if target.many else (value,)
            route = target.route
            if type(route) is _Route and route.storages is storages:
                sample = _aggregate(route, target.histogram, batch, target.attributes, context, sample)
            elif route is _PUBLIC:
                for one in batch:
                    target.histogram.record(one, target.attributes, context=context)
            else:  # not found yet, or found before a reader was added or the meter turned off
                target.recorder._record(batch, target.attributes, target.key, context)
                target.route = target.recorder.route_of(target.key)


def _aggregate(
    route: _Route, histogram: Any, values: Sequence[float], attributes: Any, context: Any, sample: bool | None
) -> bool | None:
    """Each value as its own measurement (value, time, context) to the route's aggregations. ``sample`` is
    the exemplar decision already made for this context (None: none yet); returned for the next values when
    the filter decides on the context alone."""
    new_measurement, measurement_class, fields = object.__new__, route.measurement_class, route.fields
    should_sample, aggregations, cleaned = route.should_sample, route.aggregations, route.attributes
    once = route.decides_on_context
    if not once:
        sample = None
    # Several values with one context, one decision: an aligned reservoir keeps only the last value offered
    # per bucket, so only those are offered (a stream's chunk intervals: a few offers instead of ~50). The
    # exported exemplars are the same; only a collection running on another thread in the middle of this
    # batch could see a bucket's exemplar one batch later.
    keep: tuple[set[int] | None, ...] | None = None
    if once and len(values) > 1 and any(b is not None for b in route.exemplar_boundaries):
        keep = tuple(
            _last_of_each_bucket(values, b) if b is not None else None for b in route.exemplar_boundaries
        )
    for position, value in enumerate(values):
        if not (value >= 0 and math.isfinite(value)):  # the public call warns and drops it
            histogram.record(value, attributes, context=context)
            continue
        now = time_ns()
        measurement = new_measurement(measurement_class)
        state = measurement.__dict__  # a frozen dataclass: its fields are written where its __init__ does
        state.update(fields)
        state["value"] = value
        state["time_unix_nano"] = now
        state["context"] = context
        decision = sample if sample is not None else should_sample(value, now, cleaned, context)
        if once:
            sample = decision
        if keep is None or not decision:
            for aggregation in aggregations:
                aggregation.aggregate(measurement, decision)
        else:
            for aggregation, kept in zip(aggregations, keep, strict=True):
                aggregation.aggregate(measurement, kept is None or position in kept)
    return sample


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


def _live_storages(histogram: Any) -> Any:
    """The reader storages a histogram's values go to now; None while its meter is off. A route found with
    other storages (a reader added since) is no longer the way."""
    enabled = getattr(histogram, _IS_ENABLED, None)  # releases before meter configuration lack it
    if enabled is not None and not enabled():
        return None
    return getattr(getattr(histogram, _CONSUMER, None), _STORAGES, None)


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
        enabled = getattr(histogram, _IS_ENABLED, None)  # releases before meter configuration lack it
        if enabled is not None and not enabled():
            return _PUBLIC
        consumer = getattr(histogram, _CONSUMER)
        exemplar_filter = getattr(consumer, _SDK_CONFIG).exemplar_filter
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
        return _Route(template, exemplar_filter, aggregations, storages)
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
