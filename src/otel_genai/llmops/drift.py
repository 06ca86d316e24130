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
from otel_genai.telemetry.records import Embedding, Inference, Invocation, Retrieval

# Routing prefixes that do not change the model: Gemini's "models/", Vertex publisher paths, Bedrock
# inference profiles ("us.", "global.") and ARNs.
_ROUTING = re.compile(
    r"^(?:arn:aws[\w-]*:bedrock:[^/]*/|models/|publishers/[^/]+/models/|projects/.+/models/|"
    r"(?:us|eu|apac|global|us-gov|jp|au|ca)\.)"
)
# What a provider appends to name one version of a model: a date, a numeric revision, Bedrock's "-v2:0".
_VERSION_SUFFIX = re.compile(
    r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest|v\d+(?::\d+)?|\d{2}-\d{4}))+(?::\d+)?$"
)
_SEPARATORS = re.compile(r"[^0-9a-z]")


@lru_cache(maxsize=512)
def _unrouted(model: str) -> str:
    """The model's name without routing prefixes, lower case."""
    name = model.strip().lower()
    while True:
        stripped = _ROUTING.sub("", name, count=1)
        if stripped == name:
            return name
        name = stripped


@lru_cache(maxsize=512)
def _base(model: str) -> str:
    """The model's name without routing prefixes or a version suffix."""
    return _VERSION_SUFFIX.sub("", _unrouted(model))


@lru_cache(maxsize=512)
def _squashed(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def drift_kinds(release: Any, record: Invocation) -> list[str]:
    """The kinds of drift of this call from ``release`` (a ``manifest.Release``), in a stable order."""
    kinds: list[str] = []
    if isinstance(record, Inference):
        model = release.model
        if model is None:
            return kinds
        name, pinned = model.name, model.pinned_version
        if name:
            if record.response_model and not _answered_by_pin(record.response_model, name, pinned):
                kinds.append(sc.DRIFT_MODEL_VERSION)
            other_model = record.request_model and not _requested_pin(record.request_model, name, pinned)
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
        if wanted and record.request_model and _base(record.request_model) != _base(wanted):
            kinds.append(sc.DRIFT_EMBEDDING_MODEL)
    elif isinstance(record, Retrieval):
        top_k = release.retrieval.top_k if release.retrieval is not None else None
        if top_k is not None and record.top_k is not None and record.top_k != top_k:
            kinds.append(sc.DRIFT_TOP_K)
    return kinds


def _pin(name: str, pinned_version: str | None) -> str | None:
    """The version the manifest pins: ``pinned_version``, or the version in a dated ``name`` itself."""
    if pinned_version:
        return pinned_version
    unrouted = _unrouted(name)
    return unrouted if unrouted != _base(name) else None


def _answered_by_pin(response_model: str, name: str, pinned_version: str | None) -> bool:
    if _base(response_model) != _base(name):
        return False
    pin = _pin(name, pinned_version)
    return pin is None or _squashed(pin) in _squashed(response_model)


def _requested_pin(request_model: str, name: str, pinned_version: str | None) -> bool:
    """The request named the manifest's model: its bare name (the answer then tells the version), or the
    pinned version of it."""
    if _base(request_model) != _base(name):
        return False
    if _unrouted(request_model) == _base(request_model):
        return True
    pin = _pin(name, pinned_version)
    return pin is None or _squashed(pin) in _squashed(request_model)
