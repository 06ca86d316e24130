"""Carry the OpenTelemetry context into threads, so a model or tool call made in a pool keeps its parent.

Python copies ``contextvars`` into asyncio tasks (``create_task``, ``gather``) and ``asyncio.to_thread``,
but not into ``ThreadPoolExecutor.submit`` / ``map``, ``loop.run_in_executor`` or ``threading.Thread``: a
model call made there starts a new trace. ``instrument()`` turns this on (``propagate_context=`` /
``OTEL_GENAI_PROPAGATE_CONTEXT``; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=threading`` turns it off).

Only the OpenTelemetry context is carried (spans, baggage, our LLMOps scope), never the application's other
context variables, as ``opentelemetry-instrumentation-threading`` does. That package is not a dependency:
each of its releases pins ``opentelemetry-instrumentation`` to the same version and lags it (no release for
0.66b2), so depending on it would make ``opentelemetry-distro`` 0.66b2 uninstallable next to us. When it is
installed and already on (the distro, or the application), nothing is wrapped twice.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

from opentelemetry import context
from wrapt import wrap_function_wrapper

logger = logging.getLogger("otel_genai")

_lock = threading.Lock()
# The targets our wrapper is in (and so ours to remove): "submit", "start". One can stay after turn_off()
# when another wrapper was put over ours later; it is removed by a later turn_off(), and never doubled.
_ours: set[str] = set()
_originals: dict[str, Any] = {}  # what our wrapper replaced in the class's dict
# Set while a pool's submit runs: the worker thread it may start needs no context of its own (every work
# item brings its submitter's), and must not keep the first submitter's spans alive for the pool's life.
_submitting = threading.local()


def turn_on(enabled: bool) -> None:
    """Wrap ``ThreadPoolExecutor.submit`` and ``Thread.start`` unless off, already done, or done by
    ``opentelemetry-instrumentation-threading``. Never raises."""
    if not enabled:
        return
    with _lock:
        try:
            if not _ours and _official_is_on():
                logger.debug(
                    "otel_genai: opentelemetry-instrumentation-threading already carries the context"
                )
                return
            for owner, name, wrapper in _targets():
                if name not in _ours:
                    _originals[name] = owner.__dict__[name]
                    wrap_function_wrapper(owner, name, wrapper)
                    _ours.add(name)
        except Exception:
            logger.debug("otel_genai: could not carry the context into threads", exc_info=True)
            _unwrap_ours()


def turn_off() -> None:
    """Remove our wrappers (only those we put there). Never raises."""
    with _lock:
        _unwrap_ours()


def is_on() -> bool:
    """Whether a wrapper of ours is in place (False when the official instrumentor does the work)."""
    return bool(_ours)


def _official_is_on() -> bool:
    try:  # an optional package (no stubs when absent)
        official = importlib.import_module("opentelemetry.instrumentation.threading")
        return bool(official.ThreadingInstrumentor().is_instrumented_by_opentelemetry)
    except Exception:  # not installed, or broken against the installed opentelemetry-instrumentation
        return False


def _targets() -> tuple[tuple[type, str, Callable[..., Any]], ...]:
    return ((futures.ThreadPoolExecutor, "submit", _submit), (threading.Thread, "start", _start))


def _unwrap_ours() -> None:
    for owner, name, wrapper in _targets():
        if name not in _ours:
            continue
        try:
            current = owner.__dict__.get(name)
            # Only our own outermost wrapper: one put over ours later (the official instrumentor turned on
            # after us) stays, and ours inside it keeps carrying the same context, harmlessly. Once that
            # one is removed, ours may be left bound (``unwrap`` reads the attribute through the class).
            if getattr(current, "_self_wrapper", None) is wrapper:  # wrapt 1.x and 2.x wrappers alike
                setattr(owner, name, _originals.pop(name))
                _ours.discard(name)
            else:
                logger.debug("otel_genai: %s.%s was wrapped again after us; left", owner.__name__, name)
        except Exception:
            logger.debug("otel_genai: could not unwrap %s.%s", owner.__name__, name, exc_info=True)


def _in_context(ctx: context.Context, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run_in_context(*args: Any, **kwargs: Any) -> Any:
        token = context.attach(ctx)
        try:
            return fn(*args, **kwargs)
        finally:
            context.detach(token)

    return run_in_context


def _submit(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``submit(fn, /, *args, **kwargs)`` (``map`` and ``run_in_executor`` call it): ``fn`` runs in the
    submitter's context. Always, even an empty one: a work item never runs in whatever context its worker
    thread was left with (the official instrumentor gives a worker its first submitter's)."""
    if not args:
        return wrapped(*args, **kwargs)  # the call is wrong; let the pool say how
    fn = _in_context(context.get_current(), args[0])
    outer = getattr(_submitting, "active", False)
    _submitting.active = True
    try:
        return wrapped(fn, *args[1:], **kwargs)
    finally:
        _submitting.active = outer


# Threads the standard library starts for its own machinery (a process pool's manager, a queue's feeder):
# they live as long as their pool, and would keep the request's span (and, with content, its prompts)
# alive that long if they were given its context.
_MACHINERY = ("concurrent.futures", "multiprocessing", "logging")


def _is_machinery(thread: Any) -> bool:
    target = getattr(thread, "_target", None)
    module = getattr(target, "__module__", None) or type(thread).__module__ or ""
    return module.startswith(_MACHINERY)


def _start(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The thread's ``run`` (a subclass's own too: set on the instance) runs in the starter's context.

    A new thread starts with an empty context, so an empty one needs nothing.
    """
    ctx = context.get_current()
    if not ctx or getattr(_submitting, "active", False) or _is_machinery(instance):
        return wrapped(*args, **kwargs)
    try:
        state = vars(instance)
        had_own = "run" in state
        own = state.get("run")
        run = instance.run

        def run_in_context() -> Any:
            token = context.attach(ctx)
            try:
                return run()
            finally:
                context.detach(token)
                _restore(instance, had_own, own)  # the thread object keeps no reference to the context

        instance.run = run_in_context
    except Exception:  # a Thread subclass whose run cannot be set: it starts as it would without us
        logger.debug("otel_genai: could not carry the context into %r", instance, exc_info=True)
        return wrapped(*args, **kwargs)
    try:
        return wrapped(*args, **kwargs)
    except BaseException:
        _restore(instance, had_own, own)
        raise


def _restore(instance: Any, had_own: bool, own: Any) -> None:
    if had_own:
        instance.run = own
    else:
        vars(instance).pop("run", None)
