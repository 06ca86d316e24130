"""The per-request scope: which feature, prompt and caller a model call belongs to.

``with otel_genai.prompt(...)``, ``with otel_genai.feature(...)`` and ``with otel_genai.attributes(...)``
(each also a decorator, sync or async) put an immutable ``Scope`` in the OpenTelemetry context, so it
follows the request wherever the context goes (``asyncio`` tasks, ``contextvars.copy_context``, a thread
that is handed the context) and nowhere else. A nested block inherits what it does not set. Attribution
(tenant, user, session, feature) is also written to W3C baggage, so that services called downstream are
attributed too; a service that receives such baggage and opens no scope of its own reads it
(``LLMOps.current``). Entering a scope costs a few µs; a model call reads it with one context lookup.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from opentelemetry import baggage as otel_baggage
from opentelemetry import context as otel_context

from otel_genai import semconv as sc
from otel_genai._blocks import MISSING, Entries, decorated_generator

F = TypeVar("F", bound=Callable[..., Any])

SCOPE_KEY = otel_context.create_key("otel_genai.llmops.scope")

# The W3C baggage entries we write and read: the span attribute names themselves.
BAGGAGE_TENANT = sc.OTEL_GENAI_TENANT_ID
BAGGAGE_FEATURE = sc.OTEL_GENAI_FEATURE
BAGGAGE_SESSION = sc.SESSION_ID
BAGGAGE_USER_PSEUDO = sc.ENDUSER_PSEUDO_ID
BAGGAGE_USER_RAW = sc.ENDUSER_ID  # written only when raw user ids are opted in; pseudonymised when read
BAGGAGE_KEYS = (BAGGAGE_TENANT, BAGGAGE_FEATURE, BAGGAGE_SESSION, BAGGAGE_USER_PSEUDO, BAGGAGE_USER_RAW)


@dataclass(frozen=True, eq=False)
class Scope:
    """What is known about the request a call belongs to. Immutable: a nested block makes a new one.

    ``user`` is the application's raw id and never leaves the process as is: the engine pseudonymises it
    (``enduser.pseudo.id``) unless raw ids are opted in. ``user_pseudo`` is an id that arrived already
    pseudonymised (baggage from an upstream service).
    """

    feature: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_variables: tuple[tuple[str, Any], ...] | None = None
    tenant: str | None = None
    user: str | None = field(default=None, repr=False)  # the raw id: never in a repr or a log line
    user_pseudo: str | None = None
    session: str | None = None
    # per-engine derived attributes (``LLMOps.derive``), computed once per scope
    derived: dict[int, Any] = field(default_factory=dict, repr=False)

    def with_values(self, **changes: Any) -> Scope:
        """A child scope: these values over this scope's (``None`` keeps the parent's)."""
        given = {name: value for name, value in changes.items() if value is not None}
        if "user" in given:
            given["user_pseudo"] = None  # a new user replaces the upstream one
        return replace(self, derived={}, **given) if given else self


EMPTY = Scope()


def current_scope(context: otel_context.Context | None = None) -> Scope | None:
    """The scope opened in this context by ``prompt()`` / ``feature()`` / ``attributes()``, if any."""
    value = otel_context.get_value(SCOPE_KEY, context)
    return value if isinstance(value, Scope) else None


def scope_from_baggage(entries: Mapping[str, object]) -> Scope | None:
    """The attribution an upstream service sent as W3C baggage (None when it sent none of ours)."""
    values = {key: entries.get(key) for key in BAGGAGE_KEYS}
    if not any(isinstance(value, str) and value for value in values.values()):
        return None

    def text(key: str) -> str | None:
        value = values[key]
        return value if isinstance(value, str) and value else None

    return Scope(
        feature=text(BAGGAGE_FEATURE),
        tenant=text(BAGGAGE_TENANT),
        session=text(BAGGAGE_SESSION),
        user=text(BAGGAGE_USER_RAW),  # a raw id from upstream is pseudonymised here like our own
        user_pseudo=text(BAGGAGE_USER_PSEUDO) if not text(BAGGAGE_USER_RAW) else None,
    )


def effective_scope(context: otel_context.Context | None = None) -> Scope | None:
    """Our scope, else the one upstream baggage describes."""
    scope = current_scope(context)
    if scope is not None:
        return scope
    entries = otel_baggage.get_all(context)
    return scope_from_baggage(entries) if entries else None


# The tokens of the blocks entered in this context (``_blocks.Entries``: per context, not per block)
_ENTERED = Entries("otel_genai.llmops.entered")


def _attach(scope: Scope) -> Any:
    """Make ``scope`` (and its baggage) current; returns the token for ``otel_context.detach``."""
    from otel_genai.llmops.engine import current_engine

    context = otel_context.set_value(SCOPE_KEY, scope)
    context = current_engine().write_baggage(scope, context)
    return otel_context.attach(context)


class ScopeBlock:
    """A ``with`` block (sync or async) and a decorator (functions, coroutines, generators and async
    generators) that opens a child scope of the current one."""

    def __init__(self, **values: Any) -> None:
        self._values = values

    def child(self) -> Scope:
        """This block's scope under the current one."""
        return (effective_scope() or EMPTY).with_values(**self._values)

    def _enter(self) -> Scope:
        scope = self.child()
        _ENTERED.push(self, _attach(scope))
        return scope

    def _exit(self) -> None:
        token = _ENTERED.pop(self)
        if token is not MISSING:
            otel_context.detach(token)

    def __enter__(self) -> Scope:
        return self._enter()

    def __exit__(self, *exc_info: object) -> None:
        self._exit()

    async def __aenter__(self) -> Scope:
        return self._enter()

    async def __aexit__(self, *exc_info: object) -> None:
        self._exit()

    def __call__(self, function: F) -> F:
        """As a decorator: every call of ``function`` runs in the scope. A generator's body runs in it at
        each step (its consumer, between steps, does not)."""
        generator = decorated_generator(function, lambda args, kwargs: _ScopeSteps(self))
        if generator is not None:
            return generator
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]


class _ScopeSteps:
    """A decorated generator's steps: each in the block's scope, made once, under the first step's context."""

    def __init__(self, block: ScopeBlock) -> None:
        self.block = block
        self.scope: Scope | None = None

    def enter(self) -> object:
        self.scope = self.scope or self.block.child()
        return _attach(self.scope)

    def leave(self, token: Any) -> None:
        otel_context.detach(token)

    def item(self, item: Any) -> None:
        pass

    def end(self, error: BaseException | None, value: Any) -> None:
        pass


def prompt(
    name: str, *, version: str | None = None, variables: Mapping[str, Any] | None = None
) -> ScopeBlock:
    """Model calls inside carry ``gen_ai.prompt.name`` / ``gen_ai.prompt.version``; ``variables`` become
    ``gen_ai.prompt.variable.<name>`` only when content is captured (and pass through redaction).

    ``with otel_genai.prompt("summarizer", version="v7", variables={"ticket": text}):`` or
    ``@otel_genai.prompt("summarizer", version="v7")``. Without one, the release manifest's
    ``prompt.template_ref`` (``name@version``) is the default.
    """
    # "" and () rather than None: a nested prompt replaces the outer one's version and variables
    return ScopeBlock(
        prompt_name=_text("name", name, required=True),
        prompt_version=_text("version", version) or "",
        prompt_variables=tuple((str(k), v) for k, v in variables.items()) if variables else (),
    )


def feature(name: str) -> ScopeBlock:
    """Calls inside belong to this feature: its release manifest (when one is loaded) is the release on
    their spans and metrics, and ``otel_genai.feature`` names it. Carried on as baggage."""
    return ScopeBlock(feature=_text("feature", name, required=True))


def attributes(
    *,
    tenant: str | None = None,
    user: str | None = None,
    session: str | None = None,
    feature: str | None = None,
) -> ScopeBlock:
    """Who and what the calls inside are for: ``otel_genai.tenant.id``, ``enduser.pseudo.id`` (an HMAC of
    ``user``; the raw id never leaves the process unless raw ids are opted in), ``session.id`` and
    ``otel_genai.feature`` on every GenAI span inside, tenant and feature on the token and cost metrics, and
    all of it carried on as W3C baggage to the services called from inside."""
    return ScopeBlock(
        tenant=_text("tenant", tenant),
        user=_text("user", user),
        session=_text("session", session),
        feature=_text("feature", feature),
    )


def _text(name: str, value: Any, required: bool = False) -> str | None:
    """A scope value as text: any object but None (a UUID user id, an int tenant) by its ``str``."""
    if value is None:
        if required:
            raise TypeError(f"{name} is required")
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    if required and not text:
        raise ValueError(f"{name} must not be empty")
    return text or None
