"""How a failed call is written on its span. Error text is content.

A provider's error message often quotes the request (a 400 that repeats the offending prompt), and a tool's
exception message is whatever the tool put there (an e-mail address it could not find). So the message is
treated like the prompt itself:

- content on spans: the SDK's full ``exception`` event and the message as status description; the
  redacting processor analyses all three (``exception.message``, ``exception.stacktrace`` and the status
  description);
- content not on spans (the default): status description = ``error.type``; an ``exception`` event of our
  own with the qualified type, ``exception.message`` = ``MESSAGE_NOT_CAPTURED`` and a stack trace built from
  frames and type names only (every message of the ``__cause__`` / ``__context__`` chain left out).

The error stays visible in every mode: status ERROR and ``error.type`` (the provider's code when the
exception carries one, else the exception's type).
"""

from __future__ import annotations

import builtins
import traceback
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from opentelemetry.trace import Span, Status, StatusCode

from otel_genai import semconv as sc

# ``exception.message`` when content is not captured: there was a message, it was left out on purpose (its
# absence would read as "no message"; tools that group by message group by type instead).
MESSAGE_NOT_CAPTURED = "[CONTENT_NOT_CAPTURED]"

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
_TRACEBACK_HEADER = "Traceback (most recent call last):\n"
_GROUP: type[BaseException] | None = getattr(builtins, "BaseExceptionGroup", None)  # Python 3.11+


def error_type(error: BaseException) -> str:
    """The provider's error code when the exception carries one, else the exception's type."""
    try:
        code = getattr(error, "code", None)
    except Exception:  # a property of the application's exception class that raises: not our business
        code = None
    if isinstance(code, str) and code:
        return code
    return type(error).__qualname__


def qualified_type(error: BaseException) -> str:
    """``module.QualName`` (builtins unqualified), as the SDK's ``record_exception`` writes it."""
    kind = type(error)
    module = kind.__module__
    return f"{module}.{kind.__qualname__}" if module and module != "builtins" else kind.__qualname__


def record_error(
    span: Span,
    error: BaseException | None,
    error_type: str,
    *,
    with_message: bool,
    exception_event: bool = True,
) -> None:
    """Status ERROR on a recording span, and the exception event when ``error`` was raised.

    ``with_message`` (content goes on spans): the SDK's event and the message as status description, both
    for the redacting processor to analyse. Otherwise nothing an exception's text could carry.
    ``exception_event=False``: the status only (a JSON-RPC error answered by the server is no exception of
    the client's).
    """
    if error is not None and exception_event:
        if with_message:
            span.record_exception(error)
        else:
            span.add_event(sc.EXCEPTION_EVENT, exception_attributes(error))
    description = (str(error) if with_message and error is not None else "") or error_type
    span.set_status(Status(StatusCode.ERROR, description))


def exception_attributes(error: BaseException) -> dict[str, Any]:
    """The ``exception`` event without the exception's text (``exception.escaped`` as the SDK writes it)."""
    return {
        sc.EXCEPTION_TYPE: qualified_type(error),
        sc.EXCEPTION_MESSAGE: MESSAGE_NOT_CAPTURED,
        sc.EXCEPTION_STACKTRACE: stacktrace_without_messages(error),
        sc.EXCEPTION_ESCAPED: "False",
    }


def stacktrace_without_messages(error: BaseException) -> str:
    """Python's traceback of ``error`` and its chain, with every exception's message left out.

    Frames (file, line, function, source line) and the chain's "direct cause" / "during handling" lines
    are kept; each exception is named by its qualified type alone. The source lines are the application's
    code, not its data.
    """
    return "".join(_chain_lines(error, set()))


def _chain_lines(error: BaseException, seen: set[int]) -> Iterator[str]:
    chain: list[tuple[BaseException, str]] = []  # (exception, the line that links it to the next one)
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    for exception, link in reversed(chain):
        yield from _one_exception(exception, seen)
        if link:
            yield link


def _one_exception(error: BaseException, seen: set[int]) -> Iterator[str]:
    yield from _frames(error.__traceback__)
    yield qualified_type(error) + "\n"
    if _GROUP is not None and isinstance(error, _GROUP):  # an ExceptionGroup: its members, indented
        for index, member in enumerate(getattr(error, "exceptions", ()), 1):
            yield f"  +---------------- {index} ----------------\n"
            for line in "".join(_chain_lines(member, seen)).splitlines(keepends=True):
                yield "    | " + line


def _frames(tb: TracebackType | None) -> Iterator[str]:
    if tb is None:
        return
    yield _TRACEBACK_HEADER
    yield from traceback.extract_tb(tb).format()
