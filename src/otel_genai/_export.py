"""How telemetry leaves the process: OTLP exporters and batching that never holds the application up.

The OTLP exporters read their own standard variables (``OTEL_EXPORTER_OTLP_[TRACES_|METRICS_|LOGS_]``
``ENDPOINT``, ``HEADERS``, ``COMPRESSION``, ``TIMEOUT``, ``CERTIFICATE``, ``CLIENT_KEY``,
``CLIENT_CERTIFICATE`` and, for gRPC, ``INSECURE``); we choose the protocol (``..._PROTOCOL``) and step
in only where the SDK would fail the user: its gRPC exporters raise on ``COMPRESSION=none`` and on a
timeout that is not a number, and over HTTP ``REQUESTS_CA_BUNDLE`` silently overrode the OTLP
certificate variable. Exporting happens on the processor's thread, so a Collector that is down or slow
costs the application nothing per call.

What the SDK's batch processors leave open, ours close:

* ``OTEL_BSP_*`` / ``OTEL_BLRP_*`` values the SDK raises on (a queue smaller than the default batch, a
  zero delay) fall back to something valid instead of failing ``instrument()``;
* a full queue is said out loud: a WARNING on the ``otel_genai`` logger, at most once a minute, with the
  number of items dropped so far (checking costs one ``len()`` per span);
* shutdown, the ``atexit`` one included, returns within the *exit budget*: ``OTEL_BSP_EXPORT_TIMEOUT``
  (``OTEL_BLRP_EXPORT_TIMEOUT`` for log records), and no longer than one OTLP export timeout when the
  exporter is OTLP. What is not exported by then is dropped, with a warning. The SDK itself waits up
  to 30 s for its worker, which exports every queued batch one after another, each for up to its
  timeout;
* ``force_flush`` honours its timeout (the SDK's exports everything, however long that takes).

Seeing the SDK's queue and bounding its shutdown need private SDK attributes, reached through
``_sdk_internals`` only; on an SDK without them the warnings are not emitted and shutdown is the SDK's own.

Also here: ``FanOutExporter`` (several exporters behind one processor, so content is redacted once for all)
and ``RateLimitedWarning``, the once-a-minute warning every queue and worker of ours uses.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence, Sized
from typing import Any

from opentelemetry.sdk._logs.export import BatchLogRecordProcessor as SdkBatchLogRecordProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor as SdkBatchSpanProcessor

from otel_genai import _sdk_internals

logger = logging.getLogger("otel_genai")

PROTOCOLS = ("grpc", "http/protobuf")
# What the Python OTLP exporters use when no timeout variable is set; they read the variables in seconds.
DEFAULT_OTLP_TIMEOUT_SECONDS = 10.0
DEFAULT_EXPORT_TIMEOUT_MILLIS = 30_000.0  # OTEL_BSP_EXPORT_TIMEOUT / OTEL_BLRP_EXPORT_TIMEOUT

# signal -> (module under opentelemetry.exporter.otlp.proto.grpc / .http, exporter class)
_OTLP_EXPORTERS = {
    "TRACES": ("trace_exporter", "OTLPSpanExporter"),
    "METRICS": ("metric_exporter", "OTLPMetricExporter"),
    "LOGS": ("_log_exporter", "OTLPLogExporter"),
}


class RateLimitedWarning:
    """A WARNING on the ``otel_genai`` logger at most once per ``interval`` seconds per key.

    For what can repeat on every span (a full queue, a redaction worker behind, a failing engine): the
    first occurrence is said at once, then at most once a minute, with the count carried by the message.
    """

    def __init__(self, interval: float = 60.0) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}

    def __call__(self, key: str, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -self._interval) >= self._interval:
            self._last[key] = now
            logger.warning(message, *args)


_warn = RateLimitedWarning()


def otlp_variable(signal: str, name: str, env: Mapping[str, str] | None = None) -> str | None:
    """``OTEL_EXPORTER_OTLP_<SIGNAL>_<NAME>``, else ``OTEL_EXPORTER_OTLP_<NAME>`` (blank counts as unset).

    ``env`` defaults to ``os.environ``; ``otel-genai doctor`` / ``run`` pass the environment they resolve.
    """
    env = os.environ if env is None else env
    for variable in (f"OTEL_EXPORTER_OTLP_{signal}_{name}", f"OTEL_EXPORTER_OTLP_{name}"):
        value = env.get(variable, "").strip()
        if value:
            return value
    return None


def otlp_protocol(signal: str, env: Mapping[str, str] | None = None, *, warn: bool = True) -> str:
    """``grpc`` (the default) or ``http/protobuf``, from the signal's protocol variable or the generic one."""
    protocol = (otlp_variable(signal, "PROTOCOL", env) or "grpc").lower()
    if protocol not in PROTOCOLS:
        if warn:
            logger.warning("otel_genai: OTLP protocol %r is not supported; using http/protobuf", protocol)
        protocol = "http/protobuf"
    return protocol


def otlp_endpoint(signal: str, env: Mapping[str, str] | None = None) -> str:
    """Where the exporter of ``signal`` sends, as the SDK's exporters work it out: the signal's own endpoint
    as given; else the generic one (as given for gRPC, plus ``/v1/<signal>`` over HTTP); else localhost."""
    env = os.environ if env is None else env
    specific = env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT", "").strip()
    general = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if otlp_protocol(signal, env, warn=False) == "grpc":
        return specific or general or "http://localhost:4317"
    path = f"/v1/{signal.lower()}"
    return specific or (general.rstrip("/") + path if general else f"http://localhost:4318{path}")


def otlp_exporter(signal: str) -> Any:
    """The OTLP exporter for ``TRACES``, ``METRICS`` or ``LOGS`` over the protocol its variables ask for.

    It reads endpoint, headers, TLS settings and (over HTTP) compression and timeout itself. None, with
    a warning, when it cannot be built: instrumentation goes on without it.
    """
    module, class_name = _OTLP_EXPORTERS[signal]
    grpc = otlp_protocol(signal) == "grpc"
    try:
        exporter_class = getattr(
            importlib.import_module(
                f"opentelemetry.exporter.otlp.proto.{'grpc' if grpc else 'http'}.{module}"
            ),
            class_name,
        )
        arguments = _grpc_arguments(signal) if grpc else _http_arguments(signal, exporter_class)
        return exporter_class(**arguments)
    except Exception as error:
        logger.warning(
            "otel_genai: could not build the OTLP %s exporter (%s); %s are not exported over OTLP",
            signal.lower(),
            error,
            signal.lower(),
        )
        return None


def is_otlp_exporter(exporter: object, signal: str) -> bool:
    """Whether ``exporter`` is an OTLP exporter (gRPC or HTTP) of ``signal``.

    Looks only in exporter modules already imported: an instance cannot exist without its module, and
    importing the gRPC one costs ~0.1 s.
    """
    module, class_name = _OTLP_EXPORTERS[signal]
    for transport in ("grpc", "http"):
        loaded = sys.modules.get(f"opentelemetry.exporter.otlp.proto.{transport}.{module}")
        exporter_class = getattr(loaded, class_name, None)
        if isinstance(exporter_class, type) and isinstance(exporter, exporter_class):
            return True
    return False


def exporters_behind(exporter: object) -> list[Any]:
    """The exporters one exporter stands for: the members of a ``FanOutExporter``, else itself."""
    return list(exporter.exporters) if isinstance(exporter, FanOutExporter) else [exporter]


class FanOutExporter:
    """Several span (or log-record) exporters behind one, so content is redacted once for all of them."""

    def __init__(self, exporters: Sequence[Any]) -> None:
        self.exporters = list(exporters)

    def export(self, batch: Sequence[Any]) -> Any:
        """Exports to each; the result is the first failure, else success."""
        results = [_call(exporter, "export", batch) for exporter in self.exporters]
        failed = [r for r in results if getattr(r, "name", "FAILURE") != "SUCCESS"]
        return failed[0] if failed else results[0]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return all(_call(exporter, "force_flush", timeout_millis) is not False for exporter in self.exporters)

    def shutdown(self) -> None:
        for exporter in self.exporters:
            _call(exporter, "shutdown")


def _call(target: Any, method: str, *args: Any) -> Any:
    """``target.method(*args)``; False, logged at debug, when it raises (one exporter never stops others)."""
    try:
        return getattr(target, method)(*args)
    except Exception:
        logger.debug("otel_genai: %s.%s failed", type(target).__name__, method, exc_info=True)
        return False


def _grpc_arguments(signal: str) -> dict[str, Any]:
    """Compression and timeout for the gRPC exporters, resolved as they would, minus their exceptions:
    they raise on ``none`` (a value the specification defines) and on any timeout that is not a number,
    which would leave the application without traces. Anything unusable becomes the default, logged."""
    from grpc import Compression

    value = (otlp_variable(signal, "COMPRESSION") or "none").lower()
    compressions = {"none": Compression.NoCompression, "gzip": Compression.Gzip}
    if value not in compressions:
        _warn(
            f"compression-{signal}",
            "otel_genai: OTLP/gRPC compression %r is not supported (gzip or none); exporting %s uncompressed",
            value,
            signal.lower(),
        )
    return {
        "compression": compressions.get(value, Compression.NoCompression),
        "timeout": otlp_timeout_seconds(signal),
    }


def _http_arguments(signal: str, exporter_class: Any) -> dict[str, Any]:
    """A session that keeps the OTLP certificate variable in force.

    ``requests`` lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` override a session's CA file on every
    request, so with either set (common behind corporate proxies) ``OTEL_EXPORTER_OTLP_CERTIFICATE`` was
    silently ignored and a Collector with a private CA refused. Not used with a credential provider
    (``OTEL_PYTHON_EXPORTER_OTLP_HTTP_*CREDENTIAL_PROVIDER``), whose session is the user's.
    """
    providers = (
        f"OTEL_PYTHON_EXPORTER_OTLP_HTTP_{signal}_CREDENTIAL_PROVIDER",
        "OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER",
    )
    if (
        otlp_variable(signal, "CERTIFICATE") is None
        or any(os.environ.get(name, "").strip() for name in providers)
        or "session" not in inspect.signature(exporter_class).parameters
    ):
        return {}
    import requests

    class CertificateSession(requests.Session):
        def merge_environment_settings(
            self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> Any:
            merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if verify is None and isinstance(self.verify, str):  # the exporter's CA file
                merged["verify"] = self.verify
            return merged

    return {"session": CertificateSession()}


def otlp_timeout_seconds(signal: str, env: Mapping[str, str] | None = None) -> float:
    """The OTLP export timeout for a signal, as the Python exporters read it: seconds."""
    raw = otlp_variable(signal, "TIMEOUT", env)
    if raw is None:
        return DEFAULT_OTLP_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        _warn("timeout-value", "otel_genai: OTLP timeout %r is not a number; using %s s", raw, 10)
        return DEFAULT_OTLP_TIMEOUT_SECONDS
    if seconds >= 1000:
        _warn(
            "timeout-unit",
            "otel_genai: OTEL_EXPORTER_OTLP_TIMEOUT=%s looks like milliseconds (as the specification has "
            "it), but the Python OTLP exporters read it in seconds",
            raw,
        )
    return seconds if seconds > 0 else DEFAULT_OTLP_TIMEOUT_SECONDS


def export_timeout_millis(prefix: str) -> float:
    """``OTEL_BSP_EXPORT_TIMEOUT`` / ``OTEL_BLRP_EXPORT_TIMEOUT`` (ms), 30 s when unset or invalid."""
    raw = os.environ.get(f"{prefix}_EXPORT_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_EXPORT_TIMEOUT_MILLIS
    except ValueError:
        value = DEFAULT_EXPORT_TIMEOUT_MILLIS
    return value if value > 0 else DEFAULT_EXPORT_TIMEOUT_MILLIS


def batching(prefix: str) -> dict[str, int]:
    """The batch processor's arguments from ``OTEL_BSP_*`` (spans) or ``OTEL_BLRP_*`` (log records).

    The SDK raises on values it cannot use, which would break ``instrument()``; here a value that is not a
    positive integer falls back to its default with a warning, and a batch larger than the queue is
    trimmed to the queue (``OTEL_BSP_MAX_QUEUE_SIZE=100`` alone is valid configuration).
    """
    defaults = {
        "MAX_QUEUE_SIZE": 2048,
        "SCHEDULE_DELAY": 5000 if prefix == "OTEL_BSP" else 1000,
        "MAX_EXPORT_BATCH_SIZE": 512,
    }
    values = {}
    for name, default in defaults.items():
        raw = os.environ.get(f"{prefix}_{name}", "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            value = 0
        if value <= 0:
            logger.warning(
                "otel_genai: %s_%s=%r is not a positive integer; using %d", prefix, name, raw, default
            )
            value = default
        values[name] = value
    return {
        "max_queue_size": values["MAX_QUEUE_SIZE"],
        "schedule_delay_millis": values["SCHEDULE_DELAY"],
        "max_export_batch_size": min(values["MAX_EXPORT_BATCH_SIZE"], values["MAX_QUEUE_SIZE"]),
    }


def exit_budget_millis(prefix: str, otlp_signal: str | None) -> float:
    """How long shutdown may take to export what is queued: the processor's export timeout, and no more
    than one OTLP export timeout when the exporter is OTLP (``otlp_signal``; None for other exporters).

    After one full OTLP timeout the Collector is down or hopeless, and waiting longer only holds up the
    application's exit.
    """
    budget = export_timeout_millis(prefix)
    if otlp_signal is not None:
        budget = min(budget, otlp_timeout_seconds(otlp_signal) * 1000)
    return budget


class _Bounded:
    """What our batch processors add to the SDK's: drop warnings, bounded shutdown and flush."""

    _item, _items, _prefix = "item", "items", ""

    def _bound(self, exit_budget_millis: float | None, prefix: str) -> None:
        self.exit_budget_millis = exit_budget_millis or export_timeout_millis(prefix)
        self.dropped = 0
        self._shut_down = False
        # its own limiter: a key like id(self) is reused once a processor is collected, which would
        # silence a new processor's first warning
        self._drop_warning = RateLimitedWarning()
        # The SDK's queue (the same deque for the processor's life, forks included). Without it, an empty
        # tuple that never fills: drops are then the SDK's business alone.
        queue = _sdk_internals.batch_queue(self)
        self._watched: Sized = queue[0] if queue is not None else ()
        self._capacity = queue[1] if queue is not None else 1
        self._shutdown_within: Callable[[float], None] | None = _sdk_internals.bounded_shutdown(self)

    def _note_drop(self) -> None:
        self.dropped += 1
        self._drop_warning(
            "dropped",
            "otel_genai: the %s export queue is full (%s_MAX_QUEUE_SIZE=%d): dropping %s, %d so far. "
            "Is the exporter's endpoint reachable, and fast enough?",
            self._item,
            self._prefix,
            self._capacity,
            self._items,
            self.dropped,
        )

    def _bounded_shutdown(self, sdk_shutdown: Callable[[], Any]) -> None:
        if self._shut_down:  # the SDK ignores a second shutdown; so do we, and its warning
            return
        self._shut_down = True
        if self._shutdown_within is None:
            sdk_shutdown()  # an SDK without a shutdown timeout: its own behaviour
            return
        self._shutdown_within(self.exit_budget_millis)
        left = len(self._watched)
        if left or _sdk_internals.batch_worker_alive(self):
            logger.warning(
                "otel_genai: shutdown: exporting did not finish within %.1f s (the exit budget: "
                "%s_EXPORT_TIMEOUT, at most one OTLP export timeout); %d queued %s and the batch being "
                "exported are dropped",
                self.exit_budget_millis / 1000,
                self._prefix,
                left,
                self._items,
            )

    def _bounded_flush(self, sdk_flush: Any, timeout_millis: float | None) -> bool:
        timeout = self.exit_budget_millis if timeout_millis is None else timeout_millis
        result: list[bool] = []

        def flush() -> None:
            try:
                result.append(bool(sdk_flush(timeout_millis)))
            except Exception:
                logger.debug("otel_genai: force_flush failed", exc_info=True)
                result.append(False)

        try:
            thread = threading.Thread(target=flush, name="otel-genai-flush", daemon=True)
            thread.start()
        except RuntimeError:  # no new threads while the interpreter shuts down
            flush()
            return result[0]
        thread.join(max(timeout, 0) / 1000)
        return bool(result) and result[0]


class BatchSpanProcessor(_Bounded, SdkBatchSpanProcessor):
    """The SDK's ``BatchSpanProcessor`` (``OTEL_BSP_*`` batching, export on its own thread) that warns
    when its queue is full and never holds up shutdown or a flush beyond its timeout (see the module).

    Batching follows ``OTEL_BSP_*`` (``batching()``) unless given as arguments. ``exit_budget_millis``:
    how long shutdown may take; ``OTEL_BSP_EXPORT_TIMEOUT`` when not given.
    """

    _item, _items, _prefix = "span", "spans", "OTEL_BSP"

    def __init__(self, span_exporter: Any, *, exit_budget_millis: float | None = None, **kwargs: Any) -> None:
        super().__init__(span_exporter, **{**batching("OTEL_BSP"), **kwargs})
        self._bound(exit_budget_millis, "OTEL_BSP")

    def on_end(self, span: Any) -> None:
        if len(self._watched) >= self._capacity and span.context and span.context.trace_flags.sampled:
            self._note_drop()
        super().on_end(span)

    def shutdown(self) -> None:
        self._bounded_shutdown(super().shutdown)

    def force_flush(self, timeout_millis: int | None = None) -> bool:
        return self._bounded_flush(super().force_flush, timeout_millis)


class BatchLogRecordProcessor(_Bounded, SdkBatchLogRecordProcessor):
    """The SDK's ``BatchLogRecordProcessor`` (``OTEL_BLRP_*``), with the same promises as our
    ``BatchSpanProcessor``."""

    _item, _items, _prefix = "log record", "log records", "OTEL_BLRP"

    def __init__(self, exporter: Any, *, exit_budget_millis: float | None = None, **kwargs: Any) -> None:
        super().__init__(exporter, **{**batching("OTEL_BLRP"), **kwargs})
        self._bound(exit_budget_millis, "OTEL_BLRP")

    def on_emit(self, log_record: Any) -> None:
        if len(self._watched) >= self._capacity:
            self._note_drop()
        super().on_emit(log_record)

    emit = on_emit  # SDKs before 1.39 called it emit()

    def shutdown(self) -> None:
        self._bounded_shutdown(super().shutdown)

    def force_flush(self, timeout_millis: int | None = None) -> bool:
        return self._bounded_flush(super().force_flush, timeout_millis)
