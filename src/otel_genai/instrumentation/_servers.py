"""Which provider an OpenAI-compatible server is: one table of data, the application's own entries, a name
given to one client, and what a server's answers give away.

Groq, DeepSeek, xAI, Perplexity, Mistral, Gemini, Azure AI Inference, OpenRouter, Together and local servers
(Ollama, vLLM) all answer the OpenAI API, so applications reach them with the ``openai`` client and another
``base_url``. ``gen_ai.provider.name`` must still say who answered (it splits cost, latency and errors per
provider, and prices a call), so the base URL is looked up here, in this order:

1. a name given to the client itself: ``otel_genai.set_provider_name(client, "vllm")``;
2. the application's entries: ``instrument(provider_hosts={"llm.internal:8000": "vllm"})`` or
   ``OTEL_GENAI_PROVIDER_HOSTS="llm.internal:8000=vllm,*.corp.example=mistral_ai"``;
3. ``KNOWN_SERVERS`` below (the provider module's own checks, e.g. an ``AzureOpenAI`` client class, come
   between 2 and 3);
4. what an earlier answer from the same host and port said (``recognized_server``): Ollama's
   ``system_fingerprint`` is ``fp_ollama``, vLLM's choices carry ``stop_reason``. The call that teaches it
   has its provider corrected as its span ends; later calls start with it;
5. otherwise the client's own provider (``openai``), with ``server.address`` saying where the call went.

A pattern is ``host[:port][/path]``, the host a glob (``*.openai.azure.com``); the path, when given, is a
prefix of the base URL's path (one host serving two APIs). The lookup runs once per client and base URL
(``StainlessSDK.endpoint`` caches it), not per call.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from otel_genai import semconv as sc

logger = logging.getLogger("otel_genai")

# (pattern, gen_ai.provider.name), first match wins: more specific patterns of a host come first.
KNOWN_SERVERS: tuple[tuple[str, str], ...] = (
    ("api.openai.com", sc.PROVIDER_OPENAI),
    ("*.openai.azure.com", sc.PROVIDER_AZURE_OPENAI),
    ("*.cognitiveservices.azure.com", sc.PROVIDER_AZURE_OPENAI),
    ("*.services.ai.azure.com/openai", sc.PROVIDER_AZURE_OPENAI),  # Azure AI Foundry's OpenAI route
    ("*.services.ai.azure.com", sc.PROVIDER_AZURE_AI_INFERENCE),  # ... and its model inference route
    ("*.models.ai.azure.com", sc.PROVIDER_AZURE_AI_INFERENCE),  # serverless deployments
    ("*.inference.ai.azure.com", sc.PROVIDER_AZURE_AI_INFERENCE),  # models.inference.ai.azure.com too
    ("api.groq.com", sc.PROVIDER_GROQ),
    ("api.deepseek.com", sc.PROVIDER_DEEPSEEK),
    ("api.x.ai", sc.PROVIDER_X_AI),
    ("api.perplexity.ai", sc.PROVIDER_PERPLEXITY),
    ("api.mistral.ai", sc.PROVIDER_MISTRAL_AI),
    ("generativelanguage.googleapis.com", sc.PROVIDER_GCP_GEMINI),  # Gemini's /v1beta/openai/
    ("aiplatform.googleapis.com", sc.PROVIDER_GCP_VERTEX_AI),  # Vertex AI's .../endpoints/openapi
    ("*-aiplatform.googleapis.com", sc.PROVIDER_GCP_VERTEX_AI),
    ("api.cohere.ai", sc.PROVIDER_COHERE),  # Cohere's /compatibility/v1
    ("api.cohere.com", sc.PROVIDER_COHERE),
    ("api.anthropic.com", sc.PROVIDER_ANTHROPIC),  # Anthropic's OpenAI SDK compatibility
    ("bedrock-runtime.*.amazonaws.com", sc.PROVIDER_AWS_BEDROCK),  # Bedrock's /openai/v1
    ("bedrock-mantle.*.api.aws", sc.PROVIDER_AWS_BEDROCK),
    ("*.ml.cloud.ibm.com", sc.PROVIDER_IBM_WATSONX_AI),
    ("openrouter.ai", sc.PROVIDER_OPENROUTER),
    ("api.together.xyz", sc.PROVIDER_TOGETHER_AI),
    ("api.together.ai", sc.PROVIDER_TOGETHER_AI),
    ("api.fireworks.ai", sc.PROVIDER_FIREWORKS_AI),
    ("api.cerebras.ai", sc.PROVIDER_CEREBRAS),
    ("*:11434", sc.PROVIDER_OLLAMA),  # Ollama's port, wherever it runs
)

# Changes whenever a name, an entry or a recognized server changes: caches of looked-up providers compare it.
_generation = 0
_lock = threading.Lock()
_named: WeakKeyDictionary[Any, str] = WeakKeyDictionary()
_recognized: dict[tuple[str | None, int | None], str] = {}
_RECOGNIZED_LIMIT = 256
DEFAULT_PORTS = {"https": 443, "http": 80}
_OPENAI_HOST = "api.openai.com"
_warned: set[str] = set()  # malformed OTEL_GENAI_PROVIDER_HOSTS entries already reported


def generation() -> int:
    """A number that changes whenever a lookup could answer differently."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


def set_provider_name(client: Any, name: str) -> Any:
    """Name the provider behind one client: every call it makes gets ``gen_ai.provider.name = name``
    (overriding the base URL table). Returns the client, so it can wrap its construction::

        client = otel_genai.set_provider_name(OpenAI(base_url="http://gpu-7:8000/v1"), "vllm")

    The name belongs to this client object: a copy (``client.with_options(...)``, ``client.copy()``) is a
    new client, which the base URL table names unless it is named too. For every client of a server, use
    ``provider_hosts`` instead.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a provider name must be a non-empty string, not {name!r}")
    with _lock:
        _named[client] = name.strip()
        _changed()
    return client


def named_provider(client: Any) -> str | None:
    """The name ``set_provider_name`` gave this client, if any."""
    if not _named:
        return None
    try:
        return _named.get(client)
    except TypeError:  # a client that cannot be weakly referenced has no name of ours
        return None


class ServerTable:
    """The application's entries, then ``KNOWN_SERVERS``: base URL -> provider name (or None)."""

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self.user = tuple(_parse_pattern(pattern, name) for pattern, name in entries)
        self.known = tuple(_parse_pattern(pattern, name) for pattern, name in KNOWN_SERVERS)

    def user_provider(self, host: str | None, port: int | None, path: str) -> str | None:
        return _first_match(self.user, host, port, path)

    def known_provider(self, host: str | None, port: int | None, path: str) -> str | None:
        return _first_match(self.known, host, port, path) or _recognized.get((host, port))


_Entry = tuple[str, int | None, str, str]  # (host glob, port, path prefix, provider)


def _parse_pattern(pattern: str, provider: str) -> _Entry:
    """``host[:port][/path]``; a scheme pasted with it (``http://llm.internal:8000/v1``) is ignored, an
    IPv6 host is written in brackets (``[fd00::7]:8000``)."""
    text = pattern.strip().split("://", 1)[-1]
    host, _, path = text.partition("/")
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        host, port = address, rest.removeprefix(":")
    else:
        host, _, port = host.partition(":")
    return (host.lower() or "*", int(port) if port.isdigit() else None, f"/{path}" if path else "", provider)


def _first_match(entries: tuple[_Entry, ...], host: str | None, port: int | None, path: str) -> str | None:
    if not entries or not host:
        return None
    host = host.lower()
    for pattern, entry_port, prefix, provider in entries:
        if entry_port is not None and entry_port != port:
            continue
        if prefix and not path.startswith(prefix):
            continue
        if pattern == host or fnmatch.fnmatchcase(host, pattern):
            return provider
    return None


def parse_provider_hosts(value: Any) -> tuple[tuple[str, str], ...]:
    """``provider_hosts=`` (a mapping pattern -> name) or ``OTEL_GENAI_PROVIDER_HOSTS`` (``pattern=name``
    pairs joined by commas) as entries. A malformed pair in the variable is logged and skipped; in the
    argument it raises, naming it."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        pairs = list(value.items())
        for pattern, name in pairs:
            if not isinstance(pattern, str) or not isinstance(name, str) or not pattern or not name.strip():
                raise ValueError(f"provider_hosts: {pattern!r}: {name!r} is not a host pattern and a name")
        return tuple((pattern, name.strip()) for pattern, name in pairs)
    entries = []
    for item in str(value).split(","):
        pattern, sep, name = item.strip().partition("=")
        if not item.strip():
            continue
        if not sep or not pattern.strip() or not name.strip():
            if item.strip() not in _warned:  # settings are resolved once per instrumentor under zero-code
                _warned.add(item.strip())
                logger.warning(
                    "OTEL_GENAI_PROVIDER_HOSTS: %r is not host=provider; ignoring it", item.strip()
                )
            continue
        entries.append((pattern.strip(), name.strip()))
    return tuple(entries)


# --- what an answer gives away --------------------------------------------------------------------------


def answered_by(response: Any, choices: Any = None) -> str | None:
    """The local server an OpenAI-shaped answer (a response or a stream chunk) comes from, if it says:
    Ollama by its ``system_fingerprint``; vLLM by the fields it adds (``stop_reason`` on a choice,
    ``prompt_logprobs`` / ``kv_transfer_params`` on the response), which no other server sends."""
    if getattr(response, "system_fingerprint", None) == "fp_ollama":
        return sc.PROVIDER_OLLAMA
    extra = _extras(response)
    if "kv_transfer_params" in extra or "prompt_logprobs" in extra:
        return sc.PROVIDER_VLLM
    for choice in choices if choices is not None else getattr(response, "choices", None) or ():
        if "stop_reason" in _extras(choice):
            return sc.PROVIDER_VLLM
    return None


def _extras(model: Any) -> Mapping[str, Any]:
    extra = getattr(model, "__pydantic_extra__", None)
    return extra if isinstance(extra, Mapping) else {}


def recognize(record: Any, response: Any, choices: Any = None) -> None:
    """Correct an openai client call's provider from its answer when nothing named the server (the record
    still has the fallback, ``openai``, and did not go to OpenAI), and remember it for the host and port."""
    if record.provider != sc.PROVIDER_OPENAI or record.server_address == _OPENAI_HOST:
        return
    learned = answered_by(response, choices)
    if learned is None or learned == record.provider:
        return
    record.provider = learned
    record.response_attributes[sc.GEN_AI_PROVIDER_NAME] = learned
    key = (record.server_address, record.server_port)
    with _lock:
        if key not in _recognized and len(_recognized) < _RECOGNIZED_LIMIT:
            _recognized[key] = learned
            _changed()


def forget_recognized() -> None:
    """Forget what answers taught (tests; an application that moved a server)."""
    with _lock:
        _recognized.clear()
        _changed()
