"""LiteLLM: ``completion``, ``acompletion``, ``embedding`` and ``aembedding`` (plain and streamed), and so
``Router``, whose every model attempt calls one of them through the ``litellm`` module.

What is wrapped, and why there: the functions themselves, as module attributes of ``litellm`` (where an
application and ``Router`` find them) and of ``litellm.main`` (where ``acompletion`` finds ``completion`` and
``aembedding`` finds ``embedding``). LiteLLM's own decorator (``utils.client``) keeps the real function in a
closure, and below it every provider forks into its own handler, so there is no single inner function to
wrap: a reference taken before ``instrument()`` (``from litellm import completion`` at import time) keeps
calling the unwrapped function and is not traced (the README says so).

One span per call, whatever LiteLLM does inside:

- the span is started inside ``TelemetryHandler.owning(record)``: a provider SDK we also instrument (LiteLLM
  calls OpenAI and Azure through the ``openai`` package) and LiteLLM's own inner calls (``acompletion`` runs
  ``completion`` in an executor; retries and ``fallbacks`` call ``completion`` again) run untraced inside it;
- LiteLLM's OpenTelemetry callback (``callbacks=["otel"]``: the ``OpenTelemetry`` logger, or
  ``OpenTelemetryV2`` with ``LITELLM_OTEL_V2=true``) writes nothing for a call we traced: its four logging
  methods pass over a call whose ``litellm_call_id`` is one of ours (the id is set before LiteLLM would set
  it, in the same way), so its span, its attributes on our span (it writes them on whatever span is current)
  and its metrics are left out. Loggers built on it for other backends (Arize, Langfuse) are left alone.

Naming: ``gen_ai.provider.name`` is the provider LiteLLM routes to (``litellm.get_llm_provider``, cached per
model, provider and API base), as the conventions name it (``_PROVIDERS``; an id not in the table is kept as
LiteLLM writes it); an OpenAI-compatible route (``openai``, ``custom_openai``, ``hosted_vllm``, ...) with a
base URL is named by it as the openai client's would be (``_servers``: ``provider_hosts``, then the table);
``chatgpt`` / ``github_copilot`` are never looked up (LiteLLM's lookup runs their OAuth device flow);
``gen_ai.request.model`` is the model without LiteLLM's prefix (``groq/llama-3.1-8b`` -> ``llama-3.1-8b``);
``server.*`` from ``api_base`` / ``base_url``, the ``client`` passed in, the provider's default base LiteLLM
knows, or the provider's public host. Usage as LiteLLM reports it (its ``prompt_tokens`` already include
cached input); cost, when LiteLLM priced the call (``_hidden_params["response_cost"]``, on a stream's usage
chunk too), is the provider-reported cost.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import math
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from otel_genai import semconv as sc
from otel_genai.instrumentation import _servers
from otel_genai.instrumentation._base import (
    CallReader,
    Instrumentor,
    Target,
    host_and_port,
    traced_async_call,
    traced_call,
)
from otel_genai.instrumentation._stainless import (
    extra_field,
    field,
    number,
    string,
    tool_definitions,
)
from otel_genai.instrumentation.openai import (
    ChatStreamAccumulator,
    chat_input_messages,
    read_chat_choices,
    read_chat_usage,
    read_response_meta,
    read_sampling,
)
from otel_genai.llmops.fingerprint import system_messages
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Embedding, Inference, Invocation
from otel_genai.telemetry.streams import AsyncStreamMethods, SyncStreamProxy

logger = logging.getLogger("otel_genai")

# The modules whose attributes are wrapped: ``litellm`` (applications, ``Router``) and ``litellm.main``
# (``acompletion`` -> ``completion``, ``aembedding`` -> ``embedding``).
_MODULES = ("litellm", "litellm.main")
_FUNCTIONS = (
    ("completion", "chat"),
    ("acompletion", "chat"),
    ("embedding", "embeddings"),
    ("aembedding", "embeddings"),
)
# LiteLLM's OpenTelemetry loggers: (module, class, method, position of the call's details among the
# positional arguments). ``OpenTelemetryV2`` (``LITELLM_OTEL_V2=true``) opens its span in
# ``log_pre_api_call``.
_OTEL_LOGGERS = (
    ("litellm.integrations.opentelemetry", "OpenTelemetry", "log_success_event", 0),
    ("litellm.integrations.opentelemetry", "OpenTelemetry", "log_failure_event", 0),
    ("litellm.integrations.opentelemetry", "OpenTelemetry", "async_log_success_event", 0),
    ("litellm.integrations.opentelemetry", "OpenTelemetry", "async_log_failure_event", 0),
    ("litellm.integrations.otel.logger", "OpenTelemetryV2", "log_pre_api_call", 2),
    ("litellm.integrations.otel.logger", "OpenTelemetryV2", "async_log_success_event", 0),
    ("litellm.integrations.otel.logger", "OpenTelemetryV2", "async_log_failure_event", 0),
)

# LiteLLM's provider ids -> gen_ai.provider.name. Ids not listed pass through as LiteLLM writes them.
_PROVIDERS: dict[str, str] = {
    "openai": sc.PROVIDER_OPENAI,
    "text-completion-openai": sc.PROVIDER_OPENAI,
    "azure": sc.PROVIDER_AZURE_OPENAI,
    "azure_text": sc.PROVIDER_AZURE_OPENAI,
    "azure_ai": sc.PROVIDER_AZURE_AI_INFERENCE,
    "anthropic": sc.PROVIDER_ANTHROPIC,
    "anthropic_text": sc.PROVIDER_ANTHROPIC,
    "bedrock": sc.PROVIDER_AWS_BEDROCK,
    "bedrock_converse": sc.PROVIDER_AWS_BEDROCK,
    "vertex_ai": sc.PROVIDER_GCP_VERTEX_AI,
    "vertex_ai_beta": sc.PROVIDER_GCP_VERTEX_AI,
    "gemini": sc.PROVIDER_GCP_GEMINI,
    "groq": sc.PROVIDER_GROQ,
    "mistral": sc.PROVIDER_MISTRAL_AI,
    "codestral": sc.PROVIDER_MISTRAL_AI,
    "text-completion-codestral": sc.PROVIDER_MISTRAL_AI,
    "cohere": sc.PROVIDER_COHERE,
    "cohere_chat": sc.PROVIDER_COHERE,
    "deepseek": sc.PROVIDER_DEEPSEEK,
    "xai": sc.PROVIDER_X_AI,
    "perplexity": sc.PROVIDER_PERPLEXITY,
    "ollama": sc.PROVIDER_OLLAMA,
    "ollama_chat": sc.PROVIDER_OLLAMA,
    "hosted_vllm": sc.PROVIDER_VLLM,
    "vllm": sc.PROVIDER_VLLM,
    "together_ai": sc.PROVIDER_TOGETHER_AI,
    "openrouter": sc.PROVIDER_OPENROUTER,
    "fireworks_ai": sc.PROVIDER_FIREWORKS_AI,
    "watsonx": sc.PROVIDER_IBM_WATSONX_AI,
    "watsonx_text": sc.PROVIDER_IBM_WATSONX_AI,
    "cerebras": sc.PROVIDER_CEREBRAS,
    "litellm_proxy": sc.PROVIDER_LITELLM,
}
# Where a provider is reached when neither the call nor LiteLLM names a base URL.
_DEFAULT_HOSTS: dict[str, tuple[str, int]] = {
    sc.PROVIDER_OPENAI: ("api.openai.com", 443),
    sc.PROVIDER_ANTHROPIC: ("api.anthropic.com", 443),
}
# OpenAI-compatible routes: with a base URL of their own, the server is named as the openai client's would be
# (``_servers``: the application's ``provider_hosts`` first, then ``KNOWN_SERVERS``), else as above.
_OPENAI_COMPATIBLE = frozenset(
    (
        "openai",
        "text-completion-openai",
        "custom_openai",
        "openai_like",
        "aiohttp_openai",
        "hosted_vllm",
        "lm_studio",
        "llamafile",
        "xinference",
        "docker_model_runner",
    )
)
# Resolving these runs LiteLLM's OAuth device flow (network, and minutes waiting on a human: LiteLLM's
# ``PROVIDERS_THAT_AUTHENTICATE_ON_PROVIDER_INFO``): named from the call's prefix, never looked up.
_AUTHENTICATING = frozenset(("chatgpt", "github_copilot"))
# Their responses carry OpenAI's ``service_tier`` / ``system_fingerprint`` refinements (``openai.*``).
_OPENAI_PROVIDERS = frozenset((sc.PROVIDER_OPENAI, sc.PROVIDER_AZURE_OPENAI))
_CALL_ID = "litellm_call_id"


class LiteLLMInstrumentor(Instrumentor):
    """Instruments the ``litellm`` package (functions and ``Router``)."""

    name = "litellm"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        import litellm

        servers = _servers.ServerTable(handler.settings.provider_hosts)
        self._routes = _Routes(getattr(litellm, "get_llm_provider", None), servers)
        self._traced = _TracedCalls()
        readers: dict[str, _Reader] = {
            "chat": ChatReader(handler, self._routes, self._traced),
            "embeddings": EmbeddingsReader(handler, self._routes, self._traced),
        }
        targets: list[Target] = [
            (module, None, function, readers[kind]) for module in _MODULES for function, kind in _FUNCTIONS
        ]
        targets.extend(
            (module, cls, method, _NativeOTelGate(self._traced, module, cls, position, method))
            for module, cls, method, position in _OTEL_LOGGERS
        )
        return targets

    def forget(self) -> None:
        for attribute in ("_routes", "_traced"):
            cache = getattr(self, attribute, None)
            if cache is not None:
                cache.clear()


# --- routing: provider, model, server ----------------------------------------------------------------


class _Route(NamedTuple):
    provider: str  # gen_ai.provider.name
    model: str | None  # without LiteLLM's prefix
    api_base: str | None  # the provider's default base, as LiteLLM knows it


class _Routes:
    """(model, custom_llm_provider, api_base) -> ``_Route``, as LiteLLM routes it: ``get_llm_provider`` costs
    ~12 µs and the same few routes repeat, so it runs once per route."""

    _LIMIT = 1024  # distinct routes kept; beyond that (an application inventing models) looked up each time

    def __init__(self, lookup: Any, servers: _servers.ServerTable | None = None) -> None:
        self._lookup = lookup
        self._servers = servers or _servers.ServerTable()
        self._cache: dict[tuple[Any, Any, Any], _Route] = {}
        self._generation = _servers.generation()

    def clear(self) -> None:
        self._cache.clear()

    def route(self, model: Any, provider: Any, api_base: Any) -> _Route:
        generation = _servers.generation()
        if generation != self._generation:  # a server learned or named since: look the routes up again
            self._cache.clear()
            self._generation = generation
        key = (model, provider, api_base)
        try:
            cached = self._cache.get(key)
        except TypeError:  # an unhashable argument: LiteLLM will refuse it; name what we can
            return self._fallback(model, provider)
        if cached is not None:
            return cached
        route = self._resolve(model, provider, api_base)
        if len(self._cache) < self._LIMIT:
            self._cache[key] = route
        return route

    def _resolve(self, model: Any, provider: Any, api_base: Any) -> _Route:
        if not isinstance(model, str) or self._lookup is None or _authenticating(model, provider):
            return self._fallback(model, provider)
        try:
            stripped, routed, _key, base = self._lookup(
                model=model, custom_llm_provider=string(provider), api_base=string(api_base)
            )
        except Exception:  # an unknown model: LiteLLM's call will fail the same way
            return self._fallback(model, provider)
        if not isinstance(routed, str) or not routed:
            return self._fallback(model, None)
        base = string(base)
        name = self._compatible_server(routed, string(api_base) or base) or _provider_name(routed)
        return _Route(name, string(stripped) or model, base)

    def _compatible_server(self, routed: str, base: str | None) -> str | None:
        """An OpenAI-compatible route's server, named by its base URL as the openai client's would be."""
        if routed not in _OPENAI_COMPATIBLE or not base:
            return None
        try:
            parts = urlsplit(base)
            host, path = parts.hostname, parts.path or ""
            port = parts.port or _servers.DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            return None
        servers = self._servers
        return servers.user_provider(host, port, path) or servers.known_provider(host, port, path)

    @staticmethod
    def _fallback(model: Any, provider: Any) -> _Route:
        """The prefix LiteLLM routes by (``groq/...``) when it cannot say."""
        model = string(model)
        routed = string(provider)
        if routed is None and model and "/" in model:
            routed, model = model.split("/", 1)
        return _Route(_provider_name(routed or sc.PROVIDER_LITELLM), model, None)


def _authenticating(model: str, provider: Any) -> bool:
    declared = string(provider) or (model.split("/", 1)[0] if "/" in model else None)
    return declared in _AUTHENTICATING


def _answered_by(record: Invocation, model: Any) -> str | None:
    """The response's model without LiteLLM's prefix (older releases answer ``groq/llama-3.1-8b``)."""
    if not isinstance(model, str):
        return None
    prefix, _, rest = model.partition("/")
    if rest and (prefix == record.provider or _PROVIDERS.get(prefix) == record.provider):
        return rest
    return model


def _provider_name(litellm_id: str) -> str:
    name = _PROVIDERS.get(litellm_id)
    if name is not None:
        return name
    if litellm_id.startswith("vertex_ai"):  # vertex_ai-language-models, vertex_ai-anthropic_models, ...
        return sc.PROVIDER_GCP_VERTEX_AI
    return litellm_id


def _server(
    kwargs: Mapping[str, Any], provider: str, routed_base: str | None
) -> tuple[str | None, int | None]:
    """Where the call goes: the call's base URL, the SDK client it passes, LiteLLM's default base for the
    provider, or the provider's public host."""
    base = string(kwargs.get("api_base")) or string(kwargs.get("base_url"))
    if base:
        return host_and_port(base)
    client = kwargs.get("client")
    if client is not None:
        url = getattr(client, "base_url", None)
        host = getattr(url, "host", None)
        if isinstance(host, str) and host:
            port = getattr(url, "port", None) or (443 if getattr(url, "scheme", None) == "https" else 80)
            return host, port
    if routed_base:
        return host_and_port(routed_base)
    return _DEFAULT_HOSTS.get(provider, (None, None))


# --- LiteLLM's own OpenTelemetry callback ------------------------------------------------------------


class _TracedCalls:
    """The ``litellm_call_id`` of the calls we traced, for LiteLLM's logging callbacks, which run after the
    call (on a thread, a task, or when a stream ends). Bounded: the oldest ids go first."""

    _LIMIT = 10_000

    def __init__(self) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, call_id: Any) -> None:
        if isinstance(call_id, str):
            self._ids[call_id] = None
            if len(self._ids) > self._LIMIT:
                with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                    self._ids.popitem(last=False)

    def __contains__(self, call_id: Any) -> bool:
        return isinstance(call_id, str) and call_id in self._ids

    def clear(self) -> None:
        self._ids.clear()


class _NativeOTelGate:
    """Wraps a logging method of LiteLLM's OpenTelemetry logger: a call we traced is passed over.

    ``log_success_event(kwargs, response_obj, start_time, end_time)`` and its siblings get the call's details
    as ``kwargs``, ``litellm_call_id`` among them. Only the ``otel`` logger itself is gated: its subclasses
    export to other backends (Arize, Langfuse) the application chose on purpose. On the LiteLLM proxy the
    success method also ends the proxy's request span: that part still runs.
    """

    def __init__(self, traced: _TracedCalls, module: str, cls: str, position: int, method: str) -> None:
        self.traced = traced
        self._where = (module, cls)
        self._position = position
        self._success = method.endswith("success_event")
        self._otel_class: Any = None

    def _ours(self, instance: Any, args: Any, kwargs: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The call's details when it is a call we traced, else None."""
        try:
            if self._otel_class is None:
                module, cls = self._where
                self._otel_class = getattr(importlib.import_module(module), cls)
            if type(instance) is not self._otel_class:
                return None
            details = args[self._position] if len(args) > self._position else kwargs.get("kwargs")
            if isinstance(details, Mapping) and details.get(_CALL_ID) in self.traced:
                return details
        except Exception:
            logger.debug("otel_genai: could not read a LiteLLM logging call", exc_info=True)
        return None

    def _passed_over(self, instance: Any, details: Mapping[str, Any], args: Any, kwargs: Any) -> None:
        if not self._success:
            return
        end_proxy_span = getattr(instance, "_end_proxy_span_from_kwargs", None)
        if end_proxy_span is None:
            return
        end_time = args[3] if len(args) > 3 else kwargs.get("end_time")
        try:
            end_proxy_span(details, end_time)
        except Exception:
            logger.debug("otel_genai: could not end LiteLLM's proxy request span", exc_info=True)

    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        details = self._ours(instance, args, kwargs)
        if details is None:
            return wrapped(*args, **kwargs)
        self._passed_over(instance, details, args, kwargs)
        return None

    async def async_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        details = self._ours(instance, args, kwargs)
        if details is None:
            return await wrapped(*args, **kwargs)
        self._passed_over(instance, details, args, kwargs)
        return None


# --- readers -----------------------------------------------------------------------------------------


class _Reader(CallReader):
    """What LiteLLM's functions share: the route, the call id, and one span for everything inside."""

    def __init__(self, handler: TelemetryHandler, routes: _Routes, traced: _TracedCalls) -> None:
        super().__init__(handler)
        self.routes = routes
        self.traced = traced

    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if self.retired or self.handler.owning_model_call() is not None:
            return wrapped(*args, **kwargs)  # LiteLLM calling itself inside a call we trace
        _with_call_id(kwargs)
        return traced_call(self, wrapped, instance, args, kwargs)

    async def async_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if self.retired or self.handler.owning_model_call() is not None:
            return await wrapped(*args, **kwargs)
        _with_call_id(kwargs)
        return await traced_async_call(self, wrapped, instance, args, kwargs)

    def calling(self, record: Invocation) -> Any:
        return self.handler.owning(record)

    def _route(self, record: Invocation, kwargs: Mapping[str, Any]) -> _Route:
        route = self.routes.route(
            kwargs.get("model"),
            kwargs.get("custom_llm_provider"),
            kwargs.get("api_base") or kwargs.get("base_url"),
        )
        record.provider = route.provider
        record.request_model = route.model
        record.server_address, record.server_port = _server(kwargs, route.provider, route.api_base)
        self.traced.add(kwargs.get(_CALL_ID))
        return route

    def on_error(self, record: Invocation, error: BaseException) -> None:
        record.error_type = _error_type(error)


def _with_call_id(kwargs: dict[str, Any]) -> None:
    """Name the call as LiteLLM would (``utils.client`` sets a uuid4 when none is given), so that its logging
    callbacks can be told the call is ours. wrapt hands us a fresh dict: the application's is untouched."""
    if _CALL_ID not in kwargs:
        kwargs[_CALL_ID] = str(uuid.uuid4())


def _error_type(error: BaseException) -> str | None:
    """The provider's own code (``rate_limit_exceeded``, ``rate_limit_error``) from the body LiteLLM kept on
    its exception or on the provider error it was raised from, else the code LiteLLM gives its exceptions
    (the HTTP status, ``"429"``); None: the exception's type."""
    cause: BaseException | None = error
    for _ in range(_ERROR_CHAIN_DEPTH):
        if cause is None:
            break
        code = _body_code(getattr(cause, "body", None)) or _body_code(
            _read_body(getattr(cause, "response", None))
        )
        if code:
            return code
        cause = cause.__cause__ or cause.__context__
    code = getattr(error, "code", None)
    if isinstance(code, str) and code:
        return code
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return str(status)
    return None


_ERROR_CHAIN_DEPTH = 4
_ERROR_BODY_LIMIT = 65_536


def _body_code(body: Any) -> str | None:
    """``{"code": ...}`` (OpenAI's error object), ``{"error": {"code" | "type": ...}}`` (the envelopes)."""
    if not isinstance(body, Mapping):
        return None
    code = body.get("code")
    if isinstance(code, str) and code:
        return code
    inner = body.get("error")
    if isinstance(inner, Mapping):
        for key in ("code", "type"):
            code = inner.get(key)
            if isinstance(code, str) and code:
                return code
    return None


def _read_body(response: Any) -> Any:
    """The JSON of an HTTP error response already read (never reads one that is not)."""
    if response is None:
        return None
    try:
        content = response.content  # httpx raises ResponseNotRead rather than reading
    except Exception:
        return None
    if not isinstance(content, bytes) or not content or len(content) > _ERROR_BODY_LIMIT:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _reported_cost(record: Invocation, hidden: Any) -> None:
    """LiteLLM's price of the call (``_hidden_params["response_cost"]``, USD), when it priced it."""
    cost = hidden.get("response_cost") if isinstance(hidden, Mapping) else None
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and math.isfinite(cost) and cost >= 0:
        record.reported_cost = float(cost)
        record.reported_cost_currency = "USD"


def _hidden(response: Any) -> Any:
    return getattr(response, "_hidden_params", None)


def _reasoning(model: Any) -> Any:
    """``reasoning_content``: LiteLLM declares it on ``Message`` / ``Delta`` (kept in ``__dict__``); other
    shapes keep it among their extras."""
    value = getattr(model, "__dict__", {}).get("reasoning_content")
    return value if value is not None else extra_field(model, "reasoning_content")


def _cache_writes(record: Inference, usage: Any) -> None:
    """Anthropic-style cache writes, where LiteLLM keeps them (``cache_write_tokens`` is read already)."""
    if usage is None or record.cache_write_input_tokens is not None:
        return
    details = field(usage, "prompt_tokens_details")
    written = field(details, "cache_creation_tokens") if details is not None else None
    if written is None:  # older releases: a property of Usage
        written = getattr(usage, "cache_creation_input_tokens", None)
    if isinstance(written, int) and not isinstance(written, bool) and written:
        record.cache_write_input_tokens = written


def _output_type(response_format: Any) -> str | None:
    if response_format is None:
        return None
    if isinstance(response_format, type):  # a pydantic model
        return "json"
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind in ("json_object", "json_schema"):
        return "json"
    if kind == "text":
        return "text"
    return None


class ChatReader(_Reader):
    """``completion`` / ``acompletion``: OpenAI-shaped requests and ``ModelResponse``s."""

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = Inference(operation=sc.OPERATION_CHAT, provider=None)
        self._route(record, kwargs)
        get = kwargs.get
        read_sampling(record, get)
        record.top_k = number(get("top_k"))
        record.stream = get("stream") is True
        record.output_type = _output_type(get("response_format"))
        record.reasoning_level = string(get("reasoning_effort"))
        messages = get("messages")
        if isinstance(messages, (list, tuple)) and messages:
            record.instructions = partial(system_messages, messages)
        record.tool_schemas = get("tools") or get("functions")
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        record.input_messages = chat_input_messages(kwargs.get("messages"))
        record.tool_definitions = tool_definitions(kwargs.get("tools"), self.handler.tool_definition_details)

    def on_result(self, record: Inference, result: Any) -> Any:
        stream_type = _stream_type()
        if stream_type is not None and isinstance(result, stream_type):
            return _StreamProxy(result, _StreamAccumulator(self.handler, record))
        return super().on_result(record, result)

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        record.response_model = _answered_by(record, getattr(response, "model", None))
        if record.provider in _OPENAI_PROVIDERS:
            read_response_meta(record, response)
        usage = getattr(response, "usage", None)
        read_chat_usage(record, usage)
        _cache_writes(record, usage)
        _reported_cost(record, _hidden(response))
        choices = getattr(response, "choices", None) or ()
        read_chat_choices(record, choices, self.handler.wants_content(record), _reasoning)


_STREAM_TYPE: list[Any] = []


def _stream_type() -> Any:
    """LiteLLM's ``CustomStreamWrapper`` (imported once, when the first result is read)."""
    if not _STREAM_TYPE:
        import litellm

        _STREAM_TYPE.append(getattr(litellm, "CustomStreamWrapper", None))
    return _STREAM_TYPE[0]


class _StreamAccumulator(ChatStreamAccumulator):
    """LiteLLM's chunks are OpenAI's (``ModelResponseStream``), plus what LiteLLM adds: the model that
    answered and the call's price in ``_hidden_params``, and ``reasoning_content`` as a declared field."""

    __slots__ = ("usage_chunk",)

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.usage_chunk: Any = None

    def on_chunk(self, chunk: Any) -> None:
        super().on_chunk(chunk)
        if self.usage is not None and self.usage_chunk is None:  # the chunk whose usage was just read
            self.usage_chunk = chunk
        if self.capture:
            for choice in chunk.choices:
                reasoning = getattr(choice.delta, "__dict__", {}).get("reasoning_content")
                if reasoning:
                    self.choices[choice.index].reasoning.append(reasoning)

    def on_end(self) -> None:
        super().on_end()
        record = self.record
        if record.provider not in _OPENAI_PROVIDERS:
            for attributes in (record.response_attributes, record.metric_attributes):
                attributes.pop(sc.OPENAI_RESPONSE_SERVICE_TIER, None)
                attributes.pop(sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT, None)
        hidden = _hidden(self.first)
        if isinstance(hidden, Mapping):
            answered = hidden.get("provider_response_model")
            if isinstance(answered, str) and answered:
                record.response_model = answered  # the chunks repeat the model asked for
        record.response_model = _answered_by(record, record.response_model)
        _cache_writes(record, self.usage)
        if self.usage_chunk is not None and record.reported_cost is None:  # ``usage.cost`` is read already
            hidden = _hidden(self.usage_chunk)
            # before 1.7x every chunk repeats the stream's placeholder ``response_cost: 0.0``: not a price
            if isinstance(hidden, Mapping) and hidden.get("response_cost"):
                _reported_cost(record, hidden)


class _StreamProxy(AsyncStreamMethods, SyncStreamProxy):
    """A ``CustomStreamWrapper`` (still one to ``isinstance``), iterated with ``for`` or ``async for``: it is
    both, whichever function returned it, and its ``close()`` is synchronous and ``aclose()`` a coroutine."""

    # ``close`` / ``aclose`` only where the release has them (``close()`` arrived in 1.10x): an application
    # that asks ``hasattr(stream, "close")`` gets the same answer as without us
    @property
    def close(self) -> Any:
        close = self.__wrapped__.close
        accumulator = self._self_accumulator

        def closing() -> Any:
            try:
                return close()
            finally:
                accumulator.finish()

        return closing

    @property
    def aclose(self) -> Any:
        aclose = self.__wrapped__.aclose
        accumulator = self._self_accumulator

        async def closing() -> Any:
            try:
                return await aclose()
            finally:
                accumulator.finish()

        return closing


class EmbeddingsReader(_Reader):
    """``embedding`` / ``aembedding``: an ``EmbeddingResponse``."""

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        record = Embedding(operation=sc.OPERATION_EMBEDDINGS, provider=None)
        self._route(record, kwargs)
        encoding = string(kwargs.get("encoding_format"))
        if encoding:
            record.encoding_formats = [encoding]
        record.dimension_count = number(kwargs.get("dimensions"))
        return record

    def read(self, record: Embedding, response: Any) -> None:
        record.response_model = _answered_by(record, getattr(response, "model", None))
        usage = getattr(response, "usage", None)
        if usage is not None:
            record.input_tokens = field(usage, "prompt_tokens")
        _reported_cost(record, _hidden(response))
        if record.dimension_count is None:
            data = getattr(response, "data", None)
            if data:
                vector = field(data[0], "embedding")
                if isinstance(vector, list):
                    record.dimension_count = len(vector)
