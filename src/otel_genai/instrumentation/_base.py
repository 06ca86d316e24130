"""What every instrumentor shares: the ``Instrumentor`` base (declaration, handler, wrap/unwrap
bookkeeping), the zero-code set-up, and the traced call path.

The call path is where "never break the host application" is enforced: building the record, reading the
response and emitting telemetry may fail; the client call itself runs exactly once, and its own
exceptions propagate unchanged (the very same object).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar
from urllib.parse import urlsplit

# the module starts with ``# type: ignore``: to mypy it has no names
from opentelemetry import context as otel_context
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from wrapt import register_post_import_hook, wrap_function_wrapper

from otel_genai import _config
from otel_genai import semconv as sc
from otel_genai._instrumentors import declaration, is_installed
from otel_genai.instrumentation._servers import DEFAULT_PORTS
from otel_genai.redaction.policy import RedactionPolicy
from otel_genai.telemetry.content import CaptureMode
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Embedding, Inference, Invocation, Retrieval, StoreCall

logger = logging.getLogger("otel_genai")


# (module, class, attribute, wrapper): the class is None for a module-level function.
Target = tuple[str, str | None, str, Any]


class Instrumentor(BaseInstrumentor):
    """The base of every otel-genai instrumentor: its declaration, its handler, and what it wrapped.

    A subclass sets ``name``, its entry in the registry (``otel_genai._instrumentors``), which declares the
    library and the supported versions once; and implements ``targets(handler, kwargs)``, the methods to wrap
    (``wrap_methods`` skips what the installed release lacks). The base builds the handler (``instrument()``
    passes ours; ``opentelemetry-instrument`` passes none, see ``zero_code_settings``), wraps, remembers what
    it wrapped and unwraps exactly that. Anything else a subclass sets up it undoes in ``forget()``.
    """

    name: ClassVar[str]

    def instrumentation_dependencies(self) -> Collection[str]:
        return (declaration(self.name).requirement,)

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        """The ``(module, class or None, attribute, wrapper)`` to wrap: a wrapt wrapper or a reader."""
        raise NotImplementedError

    def forget(self) -> None:
        """Undo what the subclass set up besides wrappers (caches, patched subclasses); runs after unwrap."""

    def _instrument(self, **kwargs: Any) -> None:
        zero_code = not isinstance(kwargs.get("telemetry_handler"), TelemetryHandler)
        if zero_code:
            kwargs["settings"] = zero_code_settings(kwargs.get("settings"))
        self.handler = handler_from_kwargs(kwargs)
        self._wrapped: list[tuple[Any, str]] = []
        self._readers: list[CallReader] = []
        self._waiting: object | None = None
        library = declaration(self.name).module
        if zero_code and library not in sys.modules and is_installed(library):
            # ``opentelemetry-instrument`` turns every installed instrumentor on at start-up: wrapping now
            # would import every installed client library (seconds; LiteLLM even reaches for the network)
            # in a process that may never use it. Wrap when the application imports it, as instrument() does.
            self._waiting = waiting = object()
            register_post_import_hook(lambda module: self._imported(waiting, kwargs), library)
            return
        self._wrap(kwargs)

    def _imported(self, waiting: object, kwargs: dict[str, Any]) -> None:
        """The application imported the library a zero-code instrumentor waited for: wrap it now (unless it
        was turned off meanwhile). A failure disables this instrumentor only."""
        if self._waiting is not waiting:
            return
        self._waiting = None
        try:
            self._wrap(kwargs)
        except Exception:
            logger.warning("otel_genai: could not instrument %s", self.name, exc_info=True)

    def _wrap(self, kwargs: dict[str, Any]) -> None:
        targets = list(self.targets(self.handler, kwargs))
        self._readers = [reader for *_, wrapper in targets if (reader := _reader_of(wrapper)) is not None]
        try:
            wrap_methods(targets, into=self._wrapped)
        except BaseException:
            unwrap_methods(self._wrapped)  # nothing half-instrumented stays behind
            self._wrapped = []
            raise

    def _uninstrument(self, **kwargs: Any) -> None:
        self._waiting = None  # a library not imported yet stays unwrapped
        unwrap_methods(getattr(self, "_wrapped", ()))
        self._wrapped = []
        # A wrapper the library captured while instrumented (openai's cached ``with_raw_response`` holds the
        # bound method it saw: LangChain calls through it) outlives unwrapping: retired, it only passes on.
        for reader in getattr(self, "_readers", ()):
            reader.retired = True
        self._readers = []
        self.forget()


def _reader_of(wrapper: Any) -> CallReader | None:
    """The reader behind a target's wrapper: the reader itself, or the reader a bound wrapper belongs to."""
    reader = wrapper if isinstance(wrapper, CallReader) else getattr(wrapper, "__self__", None)
    return reader if isinstance(reader, CallReader) else None


def handler_from_kwargs(kwargs: Mapping[str, Any]) -> TelemetryHandler:
    """The handler for ``BaseInstrumentor.instrument(**kwargs)``: ours, or one built from the environment.

    ``otel_genai.instrument()`` passes its handler; ``opentelemetry-instrument`` passes nothing, so the
    global providers and the ``OTEL_*`` environment apply. Builds a handler and nothing else: the zero-code
    set-up of the global processors is ``zero_code_settings``.
    """
    handler = kwargs.get("telemetry_handler")
    if isinstance(handler, TelemetryHandler):
        return handler
    _zero_code_handlers.append(True)
    return TelemetryHandler(
        kwargs.get("settings") or _config.resolve(),
        tracer_provider=kwargs.get("tracer_provider"),
        meter_provider=kwargs.get("meter_provider"),
        logger_provider=kwargs.get("logger_provider"),
    )


# Handlers built without instrument() (``opentelemetry-instrument``): evaluations use the global providers.
_zero_code_handlers: list[bool] = []


def zero_code_started() -> bool:
    """Whether an instrumentor was turned on without ``instrument()`` (zero-code)."""
    return bool(_zero_code_handlers)


# The global (tracer, logger) providers already prepared, and whether content may be captured with them.
_zero_code_done: list[tuple[Any, Any, bool]] = []
_zero_code_lock = threading.Lock()


def zero_code_settings(settings: _config.Settings | None = None) -> _config.Settings:
    """The settings of a zero-code set-up (``opentelemetry-instrument``), with its processors prepared.

    There the distro built the providers and exporters before our instrumentors run, and the user has no
    place to add our processor: with content capture on, redaction goes in front of the distro's
    exporters. Done once for a pair of global providers, by whichever instrumentor turns on first without
    our handler; the next ones (and instrumenting again) find it done. Fails closed: when redaction cannot
    be put in front of an SDK provider's exporters (an SDK that keeps its processors elsewhere, or any
    error), content capture is turned off for these providers, with a warning.
    """
    settings = settings or _config.resolve()
    from otel_genai import _context

    _context.turn_on(settings.propagate_context)  # thread pools keep the parent here too (once; idempotent)
    capturing = settings.capture_mode.on_span or settings.capture_mode.on_event
    if not capturing or settings.redaction is None:
        return settings
    from opentelemetry import _logs, trace

    providers = (trace.get_tracer_provider(), _logs.get_logger_provider())
    with _zero_code_lock:
        done = next((ok for a, b, ok in _zero_code_done if a is providers[0] and b is providers[1]), None)
        if done is None:
            done = _redact_in_front(providers, settings.redaction)
            _zero_code_done.append((*providers, done))
    if done:
        return settings
    return dataclasses.replace(settings, capture_mode=CaptureMode.NO_CONTENT)


def _redact_in_front(providers: tuple[Any, Any], policy: RedactionPolicy) -> bool:
    """Put redaction in front of the providers' exporters; False when content must not be captured."""
    try:
        from otel_genai.redaction.processor import redact_existing_processors

        redact_existing_processors(*providers, policy)
        return True
    except Exception:
        logger.warning(
            "otel_genai: could not put redaction in front of the exporters; content capture is off",
            exc_info=True,
        )
        return False


def wrap_methods(
    targets: Iterable[Target], into: list[tuple[Any, str]] | None = None
) -> list[tuple[Any, str]]:
    """Wrap each ``(module, class, method, wrapper)`` that exists in the installed library version.

    ``class`` None wraps a function of the module itself. ``wrapper`` is a wrapt wrapper, or a reader
    (anything with ``sync_wrapper`` and ``async_wrapper``): then the method itself decides which (an async
    client's plain methods stay plain). Returns what was wrapped (appended to ``into`` as it goes, so a
    failure part-way leaves a complete list to unwrap), for ``unwrap_methods``; methods an older or newer
    release lacks are skipped.
    """
    wrapped = [] if into is None else into
    for module_name, class_name, method, wrapper in targets:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner = module if class_name is None else getattr(module, class_name, None)
        function = getattr(owner, method, None) if owner is not None else None
        if function is None:
            continue
        if hasattr(wrapper, "sync_wrapper") and hasattr(wrapper, "async_wrapper"):
            wrapper = wrapper.async_wrapper if inspect.iscoroutinefunction(function) else wrapper.sync_wrapper
        wrap_function_wrapper(owner, method, wrapper)
        wrapped.append((owner, method))
    return wrapped


def unwrap_methods(wrapped: Iterable[tuple[Any, str]]) -> None:
    for owner, method in wrapped:
        unwrap(owner, method)


class CallReader:
    """One API family of a client library: what its calls send and get back, as a record.

    A provider subclasses it: ``build`` reads the request's arguments (no content) and returns the record,
    or None to let this call run untraced; ``capture_request`` adds the request's content when it will be
    recorded, and ``read`` the response (``on_result`` calls it and finishes the record; a reader of streams
    overrides ``on_result`` to return a proxy that finishes it later). Positional arguments reach both by
    name. ``sync_wrapper`` / ``async_wrapper`` are what ``wrap_methods`` installs.
    """

    # set by uninstrument: a reference to our wrapper the library kept calls through, untraced
    retired = False

    def __init__(self, handler: TelemetryHandler) -> None:
        self.handler = handler

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Invocation | None:
        raise NotImplementedError

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        """Content from the request (only called when it will be recorded)."""

    def read(self, record: Any, result: Any) -> None:
        """Fill the record from the call's result (``on_result``'s default reads it this way)."""

    def on_result(self, record: Any, result: Any) -> Any:
        """Read the result and end the span; a reader that returns a stream proxy overrides this. A failure
        to read is logged: the span still ends, with what the request said."""
        try:
            self.read(record, result)
        except Exception:
            logger.debug(
                "otel_genai: could not read the response (%s)", type(self).__qualname__, exc_info=True
            )
        self.handler.finish(record)
        return result

    def on_error(self, record: Any, error: BaseException) -> None:
        """What the client's exception teaches before the span fails (a provider's error code, the request
        id it carries); the exception itself is re-raised unchanged whatever this does."""

    def calling(self, record: Any) -> AbstractContextManager[Any] | None:
        """What the client call runs inside, once the record's span is current: a library that traces itself
        gets ours for its own span (``NativeSpan.replacing(record)``). None (the default): nothing."""
        return None

    def join(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Callable[[Any], None] | None:
        """Inside an open span this call belongs to (the same tool run by ``run_tool``, a store search under
        a retriever), what to do with its result instead of opening a span of its own; None to trace it."""
        return None

    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return traced_call(self, wrapped, instance, args, kwargs)

    async def async_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return await traced_async_call(self, wrapped, instance, args, kwargs)


def traced_call(
    reader: CallReader, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: dict[str, Any]
) -> Any:
    """Run a synchronous client call inside a span."""
    if reader.retired or not is_instrumentation_enabled():
        return wrapped(*args, **kwargs)
    joined = _joined(reader, wrapped, instance, args, kwargs)
    if joined is not None:
        result = wrapped(*args, **kwargs)
        _give(joined, result)
        return result
    record, token = _start(reader, wrapped, instance, args, kwargs)
    if record is None:
        return wrapped(*args, **kwargs)
    handler = reader.handler
    scope = _calling(reader, record)
    try:
        if scope is None:
            result = wrapped(*args, **kwargs)
        else:
            with scope:
                result = wrapped(*args, **kwargs)
    except BaseException as error:
        _read_error(reader, record, error)
        handler.fail(record, error)
        raise
    finally:
        handler.detach(token)
    return _handle_result(reader, record, result)


async def traced_async_call(
    reader: CallReader,
    wrapped: Callable[..., Awaitable[Any]],
    instance: Any,
    args: Any,
    kwargs: dict[str, Any],
) -> Any:
    """Run an asynchronous client call inside a span."""
    if reader.retired or not is_instrumentation_enabled():
        return await wrapped(*args, **kwargs)
    joined = _joined(reader, wrapped, instance, args, kwargs)
    if joined is not None:
        result = await wrapped(*args, **kwargs)
        _give(joined, result)
        return result
    record, token = _start(reader, wrapped, instance, args, kwargs)
    if record is None:
        return await wrapped(*args, **kwargs)
    handler = reader.handler
    scope = _calling(reader, record)
    try:
        if scope is None:
            result = await wrapped(*args, **kwargs)
        else:
            with scope:
                result = await wrapped(*args, **kwargs)
    except BaseException as error:
        _read_error(reader, record, error)
        handler.fail(record, error)
        raise
    finally:
        handler.detach(token)
    return _handle_result(reader, record, result)


def store_query(handler: TelemetryHandler, store: dict[str, Any], **fields: Any) -> StoreCall:
    """A vector-store query: a retrieval span, or, inside a retrieval already open, its database span.

    ``store`` holds the ``StoreCall`` fields (``db_system``, ``collection``, ``db_operation``, ...);
    ``fields`` the retrieval's own (``top_k``, ``query_count``, ``request_model``, ...).
    """
    if handler.active_retrieval() is not None:
        return StoreCall(operation=store["db_operation"], provider=None, **store)
    return Retrieval(
        operation=sc.OPERATION_RETRIEVAL,
        provider=None,
        data_source_id=store.get("collection"),
        **store,
        **fields,
    )


class Observer:
    """Wrappers that only learn from a call the application makes anyway (a collection's distance, an
    index's metric, a server's name): the call runs as it is, then ``remember(instance, arguments,
    result)``; nothing is emitted, and a failure to learn is logged at debug, never raised."""

    def __init__(self, remember: Callable[[Any, dict[str, Any], Any], None], what: str) -> None:
        self.remember = remember
        self.what = what

    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        self._learn(wrapped, instance, args, kwargs, result)
        return result

    async def async_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        self._learn(wrapped, instance, args, kwargs, result)
        return result

    def _learn(self, wrapped: Any, instance: Any, args: Any, kwargs: Any, result: Any) -> None:
        try:
            self.remember(instance, call_arguments(wrapped, args, kwargs), result)
        except Exception:
            logger.debug("otel_genai: could not read %s", self.what, exc_info=True)


# function -> the names of its positional parameters (bound methods: without self)
_POSITIONAL_NAMES: dict[Any, tuple[str, ...]] = {}
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def call_arguments(wrapped: Callable[..., Any], args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (``collection.query([[0.1, ...]], n_results=3)`` too)."""
    if not args:
        return kwargs
    key = getattr(wrapped, "__func__", wrapped)
    names = _POSITIONAL_NAMES.get(key)
    if names is None:
        parameters = inspect.signature(wrapped).parameters.values()
        names = _POSITIONAL_NAMES[key] = tuple(p.name for p in parameters if p.kind in _POSITIONAL)
    arguments = dict(zip(names, args, strict=False))
    arguments.update(kwargs)
    return arguments


@functools.lru_cache(maxsize=256)
def host_and_port(url: str) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of a base URL (the scheme's port when it names none); a
    malformed URL (an unbalanced IPv6 bracket, a port that is no number) gives neither, never an error.
    Remembered: a process calls a handful of base URLs, once per request each (~0.1 µs a hit)."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None, None
    return parts.hostname or None, port


def _joined(
    reader: CallReader, wrapped: Any, instance: Any, args: Any, kwargs: dict[str, Any]
) -> Callable[[Any], None] | None:
    try:
        return reader.join(wrapped, instance, args, kwargs)
    except Exception:
        logger.debug("otel_genai: could not join the open span; tracing the call on its own", exc_info=True)
        return None


def _calling(reader: CallReader, record: Invocation) -> AbstractContextManager[Any] | None:
    try:
        return reader.calling(record)
    except Exception:
        logger.debug("otel_genai: could not prepare the call's scope; calling without it", exc_info=True)
        return None


def _read_error(reader: CallReader, record: Invocation, error: BaseException) -> None:
    try:
        reader.on_error(record, error)
    except Exception:
        logger.debug("otel_genai: could not read the client's error", exc_info=True)


def _give(joined: Callable[[Any], None], result: Any) -> None:
    try:
        joined(result)
    except Exception:
        logger.debug("otel_genai: could not add a call's result to the open span", exc_info=True)


def _start(
    reader: CallReader, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: dict[str, Any]
) -> tuple[Invocation | None, object | None]:
    """Build the record and start its span; request content only once we know it will be recorded."""
    try:
        arguments = call_arguments(wrapped, args, kwargs)
        record = reader.build(instance, arguments)
    except Exception:
        logger.debug("otel_genai: could not read the request; calling uninstrumented", exc_info=True)
        return None, None
    if record is None:
        return None, None
    current = otel_context.get_current()
    if isinstance(record, (Inference, Embedding)) and reader.handler.owning_model_call(current) is not None:
        return None, None  # a provider SDK call LiteLLM makes: its span already stands for this call
    token = reader.handler.start(record, current)
    if reader.handler.wants_content(record):
        try:
            reader.capture_request(record, arguments)
        except Exception:
            logger.debug("otel_genai: could not read the request's content", exc_info=True)
    return record, token


def _handle_result(reader: CallReader, record: Invocation, result: Any) -> Any:
    try:
        return reader.on_result(record, result)
    except Exception:
        logger.debug("otel_genai: could not read the response", exc_info=True)
        reader.handler.finish(record)
        return result
