"""Builds the providers, exporters and processor chain, and turns the instrumentors on. Idempotent.

The application's own OpenTelemetry set-up wins: a provider it already installed is used, never
replaced, and we say so in the log.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from wrapt import register_post_import_hook

from otel_genai import _config, _context, _instrumentors
from otel_genai._config import Settings
from otel_genai.llmops.attribution import AttributionPolicy
from otel_genai.telemetry.content import CaptureMode
from otel_genai.telemetry.handler import TelemetryHandler

logger = logging.getLogger("otel_genai")

# name -> (the library's import name, the instrumentor class), from the registry (``_instrumentors``),
# which the pyproject.toml entry points, doctor and the README table follow too.
INSTRUMENTORS: dict[str, tuple[str, str]] = {
    declared.name: (declared.module, declared.instrumentor) for declared in _instrumentors.DECLARATIONS
}

_lock = threading.RLock()  # re-entrant: an import hook may fire while instrument() holds it
_active: Instrumentation | None = None
# What decorated functions emit through when instrument() has not run (the global providers).
_fallback_handler: TelemetryHandler | None = None


@dataclass
class Instrumentation:
    """The handle ``instrument()`` returns."""

    tracer_provider: Any
    meter_provider: Any
    logger_provider: Any
    instrumented: tuple[str, ...]
    settings: Settings
    handler: TelemetryHandler | None = field(default=None, repr=False)
    # Installed, wanted, not imported yet: instrumented when the application imports them.
    deferred: tuple[str, ...] = ()
    _instrumentors: list[Any] = field(default_factory=list, repr=False)
    # What we created and so must flush and shut down (never the application's own providers).
    _owned: list[Any] = field(default_factory=list, repr=False)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export everything buffered so far (the online evaluators' queue judged first)."""
        ok = True
        online = self.handler.online if self.handler is not None else None
        if online is not None:
            ok = online.flush(timeout_millis / 1000)
        for component in self._flushables():
            try:
                ok = bool(component.force_flush(timeout_millis)) and ok
            except Exception:
                logger.debug("otel_genai: force_flush failed", exc_info=True)
                ok = False
        return ok

    def shutdown(self) -> None:
        """Remove the wrappers, export what is buffered, and stop what ``instrument()`` started."""
        global _active
        with _lock:
            _uninstrument_all(self._instrumentors)
            if _active is self:
                _context.turn_off()
            _stop_online_evaluation(self)
            for component in self._owned:
                try:
                    component.shutdown()
                except Exception:
                    logger.debug("otel_genai: shutdown failed", exc_info=True)
            if _active is self:
                _active = None

    def _flushables(self) -> list[Any]:
        owned = list(self._owned)
        for provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            if provider is not None and provider not in owned and hasattr(provider, "force_flush"):
                owned.append(provider)
        return owned


def instrument(
    *,
    service_name: str | None = None,
    exporter: str | SpanExporter | None = None,
    capture_content: bool | str | None = None,
    redaction: Any = None,
    release: Any = None,
    prices: Any = None,
    attribution: AttributionPolicy | None = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    logger_provider: Any = None,
    instrumentors: Sequence[str] | None = None,
    propagate_context: bool | None = None,
    provider_hosts: Mapping[str, str] | None = None,
    evaluators: Sequence[Any] | None = None,
    evaluation_sample_rate: float | None = None,
) -> Instrumentation:
    """Instrument every supported, importable client library and export its telemetry.

    Keyword arguments win over environment variables (``OTEL_*`` and ``OTEL_GENAI_*``). Calling it again
    returns the same handle and changes nothing; call ``uninstrument()`` or ``shutdown()`` first to
    start over.

    ``release``: the release manifest(s) (a YAML/JSON path, a mapping, or a list of those; else
    ``OTEL_GENAI_RELEASE``) whose feature, version, model pin, prompt and index go on every GenAI span and
    metric, and against which drift is measured. ``prices``: price overrides (a file or a mapping; else
    ``OTEL_GENAI_PRICES``) consulted before the shipped price table. ``attribution``: how tenants, users and
    sessions are attributed (``AttributionPolicy``; else the ``OTEL_GENAI_USER_ID_SECRET`` family).
    ``propagate_context``: carry the OpenTelemetry context into ``ThreadPoolExecutor`` and ``Thread`` work,
    so calls made there keep their parent span (default on; ``OTEL_GENAI_PROPAGATE_CONTEXT``).
    ``provider_hosts``: the provider behind OpenAI-compatible servers the built-in table does not know,
    ``{"llm.internal:8000": "vllm", "*.corp.example": "mistral_ai"}`` (else ``OTEL_GENAI_PROVIDER_HOSTS``);
    ``set_provider_name(client, name)`` names one client's.
    ``evaluators``: judge model answers as they finish, off the request path (built-in names
    ``schema_valid``, ``groundedness``, ``pii_detected``, ``refusal``, or objects with ``name`` and
    ``evaluate(answer)``; else ``OTEL_GENAI_EVALUATORS``), on ``evaluation_sample_rate`` of the calls (else
    ``OTEL_GENAI_EVALUATION_SAMPLE_RATE``, default 1); results are ``gen_ai.evaluation.result`` events.
    """
    global _active
    with _lock:
        if _active is not None:
            logger.info("otel_genai: already instrumented; returning the existing handle")
            return _active
        settings = _config.resolve(
            service_name=service_name,
            exporter=exporter,
            capture_content=capture_content,
            redaction=redaction,
            release=release,
            prices=prices,
            attribution=attribution,
            instrumentors=instrumentors,
            propagate_context=propagate_context,
            provider_hosts=provider_hosts,
            evaluators=evaluators,
            evaluation_sample_rate=evaluation_sample_rate,
        )
        if settings.capture_mode is not CaptureMode.NO_CONTENT and settings.redaction is None:
            logger.warning("otel_genai: content capture is on and redaction is OFF: prompts are exported raw")
        owned: list[Any] = []
        resource = _resource(settings)
        meter_provider = _meter_provider(settings, meter_provider, resource, owned)
        tracer_provider = _tracer_provider(settings, tracer_provider, resource, owned, meter_provider)
        if settings.capture_mode.on_event:
            logger_provider = _logger_provider(settings, logger_provider, resource, owned, meter_provider)
        handler = TelemetryHandler(settings, tracer_provider, meter_provider, logger_provider)
        if logger_provider is None:  # evaluation events build one on first use (redacting when content is on)
            handler.logger_provider_factory = functools.partial(
                _logger_provider, settings, None, resource, owned, meter_provider
            )
        waiting = _Deferred(
            telemetry_handler=handler,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
        )
        active, names = _instrument_all(settings, waiting)
        _active = Instrumentation(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
            instrumented=tuple(names),
            settings=settings,
            handler=handler,
            deferred=tuple(waiting.names),
            _instrumentors=active,
            _owned=owned,
        )
        waiting.attach(_active)
        _context.turn_on(settings.propagate_context)
        logger.debug(
            "otel_genai: instrumented %s; when imported: %s",
            ", ".join(_active.instrumented) or "nothing",
            ", ".join(_active.deferred) or "nothing",
        )
        return _active


def active_handler() -> TelemetryHandler:
    """The handler decorators emit through: instrument()'s, else one on the global providers."""
    active = _active
    if active is not None and active.handler is not None:
        return active.handler
    global _fallback_handler
    if _fallback_handler is None:
        _fallback_handler = TelemetryHandler(_config.resolve())
    return _fallback_handler


def uninstrument() -> None:
    """Remove every wrapper; the client libraries behave exactly as before. Providers are left as is."""
    global _active
    with _lock:
        instrumentors = []
        for name in INSTRUMENTORS:
            try:
                instrumentor = _load_instrumentor(name, quiet=True)
            except Exception:  # a broken integration cannot have wrapped anything
                logger.debug("otel_genai: could not load the %s instrumentor", name, exc_info=True)
                continue
            if instrumentor is not None:
                instrumentors.append(instrumentor)
        _uninstrument_all(instrumentors)
        _context.turn_off()
        if _active is not None:
            _stop_online_evaluation(_active)
        _active = None


def _stop_online_evaluation(handle: Instrumentation) -> None:
    """The online evaluators' worker judges what is queued (within a short budget), then stops."""
    online = handle.handler.online if handle.handler is not None else None
    if online is not None:
        try:
            online.flush(2.0)
            online.shutdown()
        except Exception:
            logger.debug("otel_genai: could not stop the online evaluators", exc_info=True)


# --- instrumentors ------------------------------------------------------------------------------


def _load_instrumentor(name: str, quiet: bool = False) -> Any:
    library, target = INSTRUMENTORS[name]
    if not _instrumentors.is_installed(library):
        if not quiet:
            logger.debug("otel_genai: %s is not installed; not instrumenting it", library)
        return None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)()


def _instrument_all(settings: Settings, waiting: _Deferred) -> tuple[list[Any], list[str]]:
    """Turn on every wanted instrumentor whose library is imported; the others wait for their import.

    Importing every installed client library would cost seconds at start-up (chromadb, qdrant-client and
    langchain-core alone take ~1 s here) in a service that may never use them.
    """
    active: list[Any] = []
    names: list[str] = []
    for name in INSTRUMENTORS:
        if not settings.wants(name):
            logger.debug("otel_genai: %s is not enabled", name)
            continue
        library = INSTRUMENTORS[name][0]
        if library not in sys.modules and _instrumentors.is_installed(library):
            waiting.wait_for(name, library)
            continue
        instrumentor = _turn_on(name, waiting.kwargs)
        if instrumentor is not None:
            active.append(instrumentor)
            names.append(name)
    return active, names


def _turn_on(name: str, kwargs: dict[str, Any]) -> Any:
    """Load and turn on one instrumentor; None when its library is missing, unsupported or it failed."""
    from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

    try:
        instrumentor = _load_instrumentor(name)
        if instrumentor is None:
            return None
        conflict = get_dependency_conflicts(instrumentor.instrumentation_dependencies())
        if conflict is not None:
            logger.debug("otel_genai: not instrumenting %s: %s", name, conflict)
            return None
        if instrumentor.is_instrumented_by_opentelemetry:
            logger.info("otel_genai: %s was already instrumented (opentelemetry-instrument?)", name)
        else:
            instrumentor.instrument(skip_dep_check=True, **kwargs)
    except Exception:
        # One broken integration disables itself and nothing else.
        logger.warning("otel_genai: could not instrument %s", name, exc_info=True)
        return None
    return instrumentor


class _Deferred:
    """Instrumentors waiting for the application to import their library (a post-import hook each)."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.names: list[str] = []
        self._handle: Instrumentation | None = None
        self._fired: list[str] = []  # imported before instrument() returned its handle

    def wait_for(self, name: str, library: str) -> None:
        self.names.append(name)
        register_post_import_hook(lambda module: self._imported(name), library)

    def attach(self, handle: Instrumentation) -> None:
        self._handle = handle
        for name in self._fired:
            self._turn_on(handle, name)
        self._fired = []

    def _imported(self, name: str) -> None:
        with _lock:
            handle = self._handle
            if handle is None:
                self._fired.append(name)
            elif _active is handle and name in handle.deferred:  # not after uninstrument() / shutdown()
                self._turn_on(handle, name)

    def _turn_on(self, handle: Instrumentation, name: str) -> None:
        handle.deferred = tuple(n for n in handle.deferred if n != name)
        instrumentor = _turn_on(name, self.kwargs)
        if instrumentor is not None:
            handle._instrumentors.append(instrumentor)
            handle.instrumented = (*handle.instrumented, name)
            logger.debug("otel_genai: instrumented %s on its import", name)


def _uninstrument_all(instrumentors: list[Any]) -> None:
    for instrumentor in instrumentors:
        try:
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()
        except Exception:
            logger.debug("otel_genai: could not uninstrument %r", instrumentor, exc_info=True)


# --- providers ----------------------------------------------------------------------------------


def _resource(settings: Settings) -> Resource:
    """``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME`` (read by ``Resource.create``), then ours."""
    attributes: dict[str, Any] = {}
    if settings.service_name:
        attributes[SERVICE_NAME] = settings.service_name
    return Resource.create(attributes)


def _span_exporter(spec: Any) -> SpanExporter | None:
    if spec == "console":
        from otel_genai._console import ConsoleTreeExporter

        return ConsoleTreeExporter()
    if spec == "otlp":
        return cast("SpanExporter", _otlp_exporter("TRACES"))
    return cast("SpanExporter | None", spec)  # an exporter instance the application passed


def _otlp_exporter(signal: str) -> Any:
    """The OTLP exporter for a signal (``_export.otlp_exporter``); None when its settings are unusable."""
    from otel_genai._export import otlp_exporter

    return otlp_exporter(signal)


def _tracer_provider(
    settings: Settings, given: Any, resource: Resource, owned: list[Any], meter_provider: Any
) -> Any:
    if given is not None:
        return given
    current = trace.get_tracer_provider()
    if isinstance(current, SdkTracerProvider):
        _warn_unredacted(settings, current)
        specs = [spec for spec in settings.span_exporters if not _already_exports(current, spec)]
        if specs:
            processor = _span_processor(settings, specs, meter_provider)
            current.add_span_processor(processor)
            owned.append(processor)
            logger.info(
                "otel_genai: added %s exporting to the application's TracerProvider",
                ", ".join(_label(spec) for spec in specs),
            )
        return current
    provider = SdkTracerProvider(resource=resource)
    if settings.span_exporters:
        provider.add_span_processor(_span_processor(settings, settings.span_exporters, meter_provider))
    trace.set_tracer_provider(provider)
    owned.append(provider)
    return provider


def _redacts(settings: Settings, on: bool) -> bool:
    return on and settings.redaction is not None


def _span_processor(settings: Settings, specs: Sequence[Any], meter_provider: Any) -> Any:
    """One processor for all our span exporters: redacting when content is on spans, else batching.

    Both export on their own thread and give shutdown at most the exit budget (``_export``).
    """
    from otel_genai import _export

    exporters = [e for e in (_span_exporter(spec) for spec in specs) if e is not None]
    if not exporters:
        return SpanProcessor()  # the one exporter asked for could not be built (already logged)
    exporter = exporters[0] if len(exporters) == 1 else _export.FanOutExporter(exporters)
    budget = _export.exit_budget_millis("OTEL_BSP", "TRACES" if "otlp" in specs else None)
    if _redacts(settings, settings.capture_mode.on_span):
        from otel_genai.redaction import RedactingSpanProcessor

        return RedactingSpanProcessor(
            exporter, settings.redaction, meter_provider=meter_provider, export_timeout_millis=budget
        )
    return _export.BatchSpanProcessor(exporter, exit_budget_millis=budget)


def _warn_unredacted(settings: Settings, provider: Any) -> None:
    """The application's own span processors see our spans before any redaction: say so."""
    if not _redacts(settings, settings.capture_mode.on_span):
        return
    from otel_genai.redaction.processor import RedactingSpanProcessor, processors_of

    unredacted = [p for p in processors_of(provider) if not isinstance(p, RedactingSpanProcessor)]
    if unredacted:
        logger.warning(
            "otel_genai: content capture is on, and the application's TracerProvider already has %d span "
            "processor(s) that otel_genai did not configure: they receive content UNREDACTED. Wrap their "
            "exporters in otel_genai.redaction.RedactingSpanProcessor instead.",
            len(unredacted),
        )


def _already_exports(provider: Any, spec: Any) -> bool:
    if _has_exporter_like(provider, spec):
        logger.info("otel_genai: the application's TracerProvider already exports to %s", _label(spec))
        return True
    return False


def _has_exporter_like(provider: Any, spec: Any) -> bool:
    """Whether the provider already has a processor exporting to ``spec``: that very exporter, or one of the
    same kind for ``"otlp"`` (any OTLP span exporter) and ``"console"`` (our tree printer)."""
    from otel_genai._export import exporters_behind, is_otlp_exporter
    from otel_genai.redaction.processor import exporter_of, processors_of

    def same_kind(exporter: Any) -> bool:
        if spec == "otlp":
            return is_otlp_exporter(exporter, "TRACES")
        if spec == "console":
            console = sys.modules.get("otel_genai._console")  # no instance without the module
            return console is not None and isinstance(exporter, console.ConsoleTreeExporter)
        return exporter is spec

    for processor in processors_of(provider):
        if any(same_kind(exporter) for exporter in exporters_behind(exporter_of(processor))):
            return True
    return False


def _label(spec: Any) -> str:
    return spec if isinstance(spec, str) else type(spec).__name__


def _meter_provider(settings: Settings, given: Any, resource: Resource, owned: list[Any]) -> Any:
    if given is not None:
        return given
    current = metrics.get_meter_provider()
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider

    if isinstance(current, SdkMeterProvider):
        logger.info("otel_genai: using the application's MeterProvider")
        return current
    if not settings.metric_exporters:
        return current
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader

    readers = []
    for name in settings.metric_exporters:
        # OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT are read by the reader; its last export at shutdown is
        # one batch, so it is bounded by the exporter's own timeout.
        exporter = ConsoleMetricExporter() if name == "console" else _otlp_exporter("METRICS")
        if exporter is not None:
            readers.append(PeriodicExportingMetricReader(exporter))
    provider = SdkMeterProvider(resource=resource, metric_readers=readers)
    metrics.set_meter_provider(provider)
    owned.append(provider)
    return provider


def _logger_provider(
    settings: Settings, given: Any, resource: Resource, owned: list[Any], meter_provider: Any
) -> Any:
    """A LoggerProvider for the content events (built when the capture mode emits events) and the evaluation
    events (built on the first one otherwise). Redacting whenever content is captured: an evaluation's
    explanation can quote it."""
    if given is not None:
        return given
    from opentelemetry import _logs
    from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider
    from opentelemetry.sdk._logs import export as logs_export

    from otel_genai import _export

    # ConsoleLogRecordExporter since SDK 1.39 (ConsoleLogExporter is deprecated there)
    console = getattr(logs_export, "ConsoleLogRecordExporter", None) or logs_export.ConsoleLogExporter

    current = _logs.get_logger_provider()
    if isinstance(current, SdkLoggerProvider):
        logger.info("otel_genai: using the application's LoggerProvider for content events")
        return current
    provider = SdkLoggerProvider(resource=resource)
    exporters = [
        console() if name == "console" else _otlp_exporter("LOGS") for name in settings.log_exporters
    ]
    exporters = [e for e in exporters if e is not None]
    if exporters:
        exporter = exporters[0] if len(exporters) == 1 else _export.FanOutExporter(exporters)
        budget = _export.exit_budget_millis("OTEL_BLRP", "LOGS" if "otlp" in settings.log_exporters else None)
        if _redacts(settings, settings.capture_mode.captures):
            from otel_genai.redaction import RedactingLogRecordProcessor

            processor: Any = RedactingLogRecordProcessor(
                exporter, settings.redaction, meter_provider=meter_provider, export_timeout_millis=budget
            )
        else:
            processor = _export.BatchLogRecordProcessor(exporter, exit_budget_millis=budget)
        provider.add_log_record_processor(processor)
    _logs.set_logger_provider(provider)
    owned.append(provider)
    return provider
