"""One span per call when a client library traces itself: the library's span for a call we trace is ours.

Some libraries open OpenTelemetry spans of their own: mcp 2.x's dispatcher opens ``MCP send tools/call
{tool}`` around each request; the Anthropic SDK opens a CLIENT span per API call. Next to ours that is two
spans for one call. ``NativeSpan`` wraps the function the library opens its span with: while our wrapper
traces a call (``with native.replacing(record): ...``, after the handler started the record's span and made
it current), the first span the library asks for that ``matches`` the call is answered with ours, and
every other span the library makes stays its own. Ours goes through otel-genai's provider, so its content
passes redaction whichever provider the library would have used.

Adding it for a library:

1. find the function the library opens its span with: a context manager (mcp's ``otel_span``; lend with
   ``lend_context``) or a function that returns a started span (Anthropic's ``start_api_call_span``; lend
   with ``lend_span``). Either way the library gets a ``LentSpan``: it can add attributes to ours, but not
   end it, set its status or record an exception on it (error text goes only where content policy allows);
2. ``NATIVE = NativeSpan("pkg.module", "function", matches=..., lend=...)``; ``matches(record, args,
   kwargs)`` tells the library's span for this call from its other spans, and the optional ``adopt(span,
   args, kwargs)`` copies onto ours what the library would have started its span with;
3. add ``NATIVE.target()`` to the instrumentor's ``targets()``;
4. run the wrapped call inside ``with NATIVE.replacing(record):``;
5. optionally, when lending costs more than the library's span work is worth to us: ``bypass(span, args,
   kwargs)`` returns an object that does that work itself (found with ``NATIVE.handoff()`` while the call
   runs), and the library is answered ``declined``, what it takes for "no span" (None for Anthropic's
   ``start_api_call_span``), so it skips its span path; returning None lends the span as above.

``tests/test_native_span.py`` shows both kinds on a stand-in library.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import Any, Generic, TypeVar, cast

import wrapt
from opentelemetry import trace
from opentelemetry.trace import Span

from otel_genai.instrumentation._base import Target
from otel_genai.telemetry.records import Invocation

logger = logging.getLogger("otel_genai")

R = TypeVar("R", bound=Invocation)


class LentSpan(wrapt.ObjectProxy):
    """Our span, lent to a library that believes it is its own: it may add attributes, not end it.

    ``end`` and leaving a ``with`` block do nothing (our handler ends the span when the call is done,
    streams included); ``set_status`` and ``record_exception`` do nothing either: the handler records the
    outcome its own way (``error.type``, and exception text only as content policy allows).
    """

    def end(self, end_time: int | None = None) -> None:
        pass

    def set_status(self, *args: Any, **kwargs: Any) -> None:
        pass

    def record_exception(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> LentSpan:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass


def lend_span(span: Span) -> Span:
    """For a factory that returns a started span the library ends itself later."""
    return cast(Span, LentSpan(span))


class FilteredLentSpan(LentSpan):
    """A lent span that takes only the attributes its ``keep`` accepts, and keeps its name; with
    ``recording`` False it tells the library it does not record (see ``lend_span_keeping``)."""

    def __init__(self, span: Span, keep: Callable[[str], bool], recording: bool = True) -> None:
        super().__init__(span)
        self._self_keep = keep
        self._self_recording = recording

    def is_recording(self) -> bool:
        return self._self_recording and self.__wrapped__.is_recording()

    def set_attribute(self, key: str, value: Any) -> None:
        if self._self_keep(key):
            self.__wrapped__.set_attribute(key, value)

    def set_attributes(self, attributes: Any) -> None:
        keep = self._self_keep
        kept = {key: value for key, value in dict(attributes).items() if keep(key)}
        if kept:
            self.__wrapped__.set_attributes(kept)

    def update_name(self, name: str) -> None:
        pass


def lend_span_keeping(keep: Callable[[str], bool], *, recording: bool = True) -> Callable[[Span], Span]:
    """``lend_span`` for a library that writes attributes that are ours to decide (the conventions' names
    we set ourselves, content whatever our capture mode says): only those ``keep`` accepts reach ours.

    ``recording=False``: the library is told the span does not record, so it skips the work of filling it
    (reading responses and streams again, which we do anyway) but still propagates its context.
    """

    def lend(span: Span) -> Span:
        return cast(Span, FilteredLentSpan(span, keep, recording))

    return lend


def lend_context(span: Span) -> AbstractContextManager[Span]:
    """For a factory used as ``with factory(...) as span``: our span, lent (see ``LentSpan``); leaving the
    block does not end it."""
    return nullcontext(lend_span(span))


class _Claim(Generic[R]):
    """A call we trace, waiting for the library to ask for its span."""

    __slots__ = ("claimed", "handoff", "record")

    def __init__(self, record: R) -> None:
        self.record = record
        self.claimed = False
        self.handoff: Any = None


class _Replacing(Generic[R]):
    """``NativeSpan.replacing``'s block (a plain class: it runs once per traced call)."""

    __slots__ = ("pending", "record", "token")

    def __init__(self, pending: ContextVar[_Claim[R] | None], record: R) -> None:
        self.pending = pending
        self.record = record

    def __enter__(self) -> None:
        self.token = self.pending.set(_Claim(self.record))

    def __exit__(self, *exc_info: Any) -> None:
        self.pending.reset(self.token)


class NativeSpan(Generic[R]):
    """A library's span factory, answered with our span for the call we are tracing (see the module)."""

    def __init__(
        self,
        module: str,
        function: str,
        *,
        matches: Callable[[R, tuple[Any, ...], dict[str, Any]], bool],
        lend: Callable[[Span], Any] = lend_span,
        adopt: Callable[[Span, tuple[Any, ...], dict[str, Any]], None] | None = None,
        bypass: Callable[[Span, tuple[Any, ...], dict[str, Any]], Any] | None = None,
        declined: Any = None,
    ) -> None:
        self.module = module
        self.function = function
        self.matches = matches
        self.lend = lend
        self.adopt = adopt
        self.bypass = bypass
        self.declined = declined
        self._pending: ContextVar[_Claim[R] | None] = ContextVar(
            f"otel_genai_native_span:{module}.{function}", default=None
        )

    def target(self) -> Target:
        """What ``wrap_methods`` wraps (skipped where the library release has no such function)."""
        return (self.module, None, self.function, self._factory)

    def replacing(self, record: R) -> AbstractContextManager[None]:
        """Within this block, the library's span for ``record``'s call is ``record.span``."""
        return _Replacing(self._pending, record)

    def handoff(self) -> Any:
        """What ``bypass`` returned for the call running now, while the library runs it without a span of its
        own; None otherwise (no call of ours, not asked yet, or lent our span)."""
        claim = self._pending.get()
        return None if claim is None else claim.handoff

    def _factory(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        try:
            claim = self._claim(args, kwargs)
        except Exception:
            logger.debug("otel_genai: could not match the library's own span", exc_info=True)
            claim = None
        if claim is None:
            return wrapped(*args, **kwargs)
        span = cast(Span, claim.record.span)
        if self.bypass is not None:
            try:
                claim.handoff = self.bypass(span, args, kwargs)
            except Exception:
                logger.debug("otel_genai: could not take over the library's span work", exc_info=True)
            if claim.handoff is not None:
                return self.declined
        return self.lend(span)

    def _claim(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Claim[R] | None:
        claim = self._pending.get()
        if claim is None or claim.claimed:
            return None
        span = claim.record.span
        if (
            span is None
            or trace.get_current_span() is not span  # not inside the context our wrapper opened
            or not self.matches(claim.record, args, kwargs)
        ):
            return None
        claim.claimed = True
        if self.adopt is not None and span.is_recording():
            self.adopt(span, args, kwargs)
        return claim
