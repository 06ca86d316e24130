"""Drift: what a call did differently from its release manifest.

The failure this catches is silent: the provider changes the model behind a pinned name, or a code path
calls another model or temperature than the release was evaluated with. Each kind is checked only when the
manifest names that value; a call that matches has no drift attribute at all.

- ``model_version``: the answering model (``gen_ai.response.model``) is not the pinned one. With a
  ``pinned_version`` the answer must name that version (``gpt-4o-mini-2024-07-18`` for ``2024-07-18``,
  ``claude-...-20241022`` for ``20241022``; separators ignored); without one, it must be a version of the
  named model.
- ``model``: the request named another model than the manifest (its bare name, or the name with the pinned
  version, are both the manifest's), or another provider.
- ``temperature`` / ``max_tokens``: the request sent another value, or none (then the provider's default
  applies, which is not what the release was evaluated with).
- ``top_k``: a retrieval asked for another number of documents than ``retrieval.top_k``.
- ``embedding_model``: an embeddings call used another model than ``retrieval.embedding_model`` (queries
  embedded with another model than the index was built with retrieve nonsense).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from otel_genai import semconv as sc
from otel_genai.llmops.prices import unrouted
from otel_genai.telemetry.records import Embedding, Inference, Invocation, Retrieval

# What a provider appends to name one version of a model: a date (2024-07-18, 20241022), an OpenAI
# four-digit snapshot (0613), a numeric revision (001), Bedrock's "-v2:0", or an alias ("latest",
# Anthropic's "-0" for a major version's first snapshot).
_VERSION_SUFFIX = re.compile(
    r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|\d{2}-\d{4}|latest|v\d+(?::\d+)?|0))+(?::\d+)?$"
)
_ALIASES = {"latest", "0"}  # a version suffix that names no snapshot
_SEPARATORS = re.compile(r"[^0-9a-z]")
_TOKENS = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=512)
def _unrouted(model: str) -> str:
    """The model's name without routing (``prices.unrouted``), nor a ``global.`` inference profile."""
    return unrouted(model).removeprefix("global.")


@lru_cache(maxsize=512)
def _split(model: str) -> tuple[str, tuple[str, ...]]:
    """The name without routing prefixes or version suffix, and the version's tokens (none for an
    alias)."""
    name = _unrouted(model)
    match = _VERSION_SUFFIX.search(name)
    if match is None:
        return name, ()
    tokens = tuple(_TOKENS.findall(match.group(0)))
    return name[: match.start()], () if set(tokens) <= _ALIASES else tokens


def _base(model: str) -> str:
    return _split(model)[0]


def _is_pinned_by(version: tuple[str, ...], pin: tuple[str, ...]) -> bool:
    """The version names the pin: its tokens in a row (``20241022`` in ``20241022 v2 0``), or the same
    digits written another way (``2024-07-18`` and ``20240718``)."""
    if not version:
        return False
    width = len(pin)
    if any(version[i : i + width] == pin for i in range(len(version) - width + 1)):
        return True
    return "".join(version).startswith("".join(pin))


def drift_kinds(release: Any, record: Invocation) -> list[str]:
    """The kinds of drift of this call from ``release`` (a ``manifest.Release``), in a stable order."""
    kinds: list[str] = []
    if isinstance(record, Inference):
        model = release.model
        if model is None:
            return kinds
        name = model.name
        if name:
            pin = _pin(name, model.pinned_version)
            if record.response_model and not _answered_by(record.response_model, name, pin):
                kinds.append(sc.DRIFT_MODEL_VERSION)
            # Azure OpenAI names a deployment in the request: only the answer says which model it is
            other_model = (
                record.request_model
                and record.provider != sc.PROVIDER_AZURE_OPENAI
                and not _requested(record.request_model, name, pin)
            )
            other_provider = model.provider and record.provider and record.provider != model.provider
            if other_model or other_provider:
                kinds.append(sc.DRIFT_MODEL)
        if model.temperature is not None and (
            record.temperature is None or abs(record.temperature - model.temperature) > 1e-9
        ):
            kinds.append(sc.DRIFT_TEMPERATURE)
        if model.max_tokens is not None and record.max_tokens != model.max_tokens:
            kinds.append(sc.DRIFT_MAX_TOKENS)
    elif isinstance(record, Embedding):
        wanted = release.retrieval.embedding_model if release.retrieval is not None else None
        # the version matters here (titan-embed-text-v1 and -v2 vectors do not mix)
        if wanted and record.request_model and _unrouted(record.request_model) != _unrouted(wanted):
            kinds.append(sc.DRIFT_EMBEDDING_MODEL)
    elif isinstance(record, Retrieval) and not record.reranker:
        top_k = release.retrieval.top_k if release.retrieval is not None else None
        if top_k is not None and record.top_k is not None and record.top_k != top_k:
            kinds.append(sc.DRIFT_TOP_K)
    return kinds


def _pin(name: str, pinned_version: str | None) -> tuple[str, ...]:
    """The version the manifest pins, as tokens: ``pinned_version``, or a dated ``name``'s own version."""
    if pinned_version:
        return tuple(_TOKENS.findall(pinned_version.lower()))
    return _split(name)[1]


def _answered_by(response_model: str, name: str, pin: tuple[str, ...]) -> bool:
    """The answering model is the manifest's, in the pinned version when one is pinned."""
    base, version = _split(response_model)
    return base == _base(name) and (not pin or _is_pinned_by(version, pin))


def _requested(request_model: str, name: str, pin: tuple[str, ...]) -> bool:
    """The request named the manifest's model: its bare name or an alias (the answer then tells the
    version), or the pinned version of it."""
    base, version = _split(request_model)
    return base == _base(name) and (not version or not pin or _is_pinned_by(version, pin))
