"""What every instrumentor shares: the handler it emits through, wrapping, and the traced call path.

The call path is where "never break the host application" is enforced: building the record, reading the
response and emitting telemetry may fail; the client call itself runs exactly once, and its own
exceptions propagate unchanged (the very same object).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from wrapt import wrap_function_wrapper

from otel_genai import _config
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Invocation

logger = logging.getLogger("otel_genai")

# Reads the client's response into the record and either finishes it or hands back a stream proxy
# that finishes it later. Returns what the application receives.
ResultHandler = Callable[[TelemetryHandler, Any, Any], Any]


def handler_from_kwargs(kwargs: dict[str, Any]) -> TelemetryHandler:
    """The handler for ``BaseInstrumentor.instrument(**kwargs)``: ours, or built from the environment.

    ``otel_genai.instrument()`` passes its handler; ``opentelemetry-instrument`` passes nothing, so the
    global providers and the ``OTEL_*`` environment apply.
    """
    handler = kwargs.get("telemetry_handler")
    if isinstance(handler, TelemetryHandler):
        return handler
    settings = kwargs.get("settings") or _config.resolve()
    return TelemetryHandler(
        settings,
        tracer_provider=kwargs.get("tracer_provider"),
        meter_provider=kwargs.get("meter_provider"),
        logger_provider=kwargs.get("logger_provider"),
    )


def wrap_methods(targets: Iterable[tuple[str, str, str, Callable[..., Any]]]) -> list[tuple[Any, str]]:
    """Wrap each ``(module, class, method, wrapper)`` that exists in the installed library version.

    Returns what was wrapped, for ``unwrap_methods``; methods an older or newer release lacks are skipped.
    """
    wrapped = []
    for module_name, class_name, method, wrapper in targets:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner = getattr(module, class_name, None)
        if owner is None or not hasattr(owner, method):
            continue
        wrap_function_wrapper(owner, method, wrapper)
        wrapped.append((owner, method))
    return wrapped


def unwrap_methods(wrapped: Iterable[tuple[Any, str]]) -> None:
    for owner, method in wrapped:
        unwrap(owner, method)


def traced_call(
    handler: TelemetryHandler,
    build_record: Callable[[Any, dict[str, Any]], Invocation],
    on_result: ResultHandler,
    wrapped: Callable[..., Any],
    instance: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run a synchronous client call inside a span."""
    if not is_instrumentation_enabled():
        return wrapped(*args, **kwargs)
    try:
        record = build_record(instance, kwargs)
    except Exception:
        logger.debug("otel_genai: could not read the request; calling uninstrumented", exc_info=True)
        return wrapped(*args, **kwargs)
    token = handler.start(record)
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as error:
        handler.fail(record, error)
        raise
    finally:
        handler.detach(token)
    return _handle_result(handler, on_result, record, result)


async def traced_async_call(
    handler: TelemetryHandler,
    build_record: Callable[[Any, dict[str, Any]], Invocation],
    on_result: ResultHandler,
    wrapped: Callable[..., Awaitable[Any]],
    instance: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run an asynchronous client call inside a span."""
    if not is_instrumentation_enabled():
        return await wrapped(*args, **kwargs)
    try:
        record = build_record(instance, kwargs)
    except Exception:
        logger.debug("otel_genai: could not read the request; calling uninstrumented", exc_info=True)
        return await wrapped(*args, **kwargs)
    token = handler.start(record)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as error:
        handler.fail(record, error)
        raise
    finally:
        handler.detach(token)
    return _handle_result(handler, on_result, record, result)


def _handle_result(
    handler: TelemetryHandler, on_result: ResultHandler, record: Invocation, result: Any
) -> Any:
    try:
        return on_result(handler, record, result)
    except Exception:
        logger.debug("otel_genai: could not read the response", exc_info=True)
        handler.finish(record)
        return result
