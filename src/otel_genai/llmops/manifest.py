"""The release manifest: what a deployed LLM feature is (model, prompt, retrieval), loaded and validated.

A release is versioned as a whole, and the failures that hurt are silent ones, so loading is strict: every
unknown key is an error with a "did you mean", every bad value names its field path and the file, and all
errors of a manifest are reported at once. Loading happens once, at ``instrument()``; the request path only
reads the frozen ``Release`` and its precomputed ``attributes()``.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_genai.semconv import OTEL_GENAI_RELEASE_PREFIX

__all__ = [
    "ManifestError",
    "ModelPin",
    "PromptPin",
    "Release",
    "RetrievalPin",
    "load_releases",
    "releases_from_env",
]

LabelValue = str | bool | int | float


class ManifestError(ValueError):
    """A manifest that cannot be used; one line per problem: ``<source>: <field.path>: <what is wrong>``."""


@dataclass(frozen=True, slots=True)
class ModelPin:
    provider: str | None = None
    name: str | None = None
    pinned_version: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class PromptPin:
    template_ref: str | None = None  # "prompts/summarizer@v7"
    guardrails: str | None = None

    @property
    def name(self) -> str | None:
        """The template reference before its last ``@`` (the whole reference if it has none)."""
        return (
            None if self.template_ref is None else self.template_ref.rpartition("@")[0] or self.template_ref
        )

    @property
    def version(self) -> str | None:
        """The template reference after its last ``@``, or None."""
        if self.template_ref is None or "@" not in self.template_ref:
            return None
        return self.template_ref.rpartition("@")[2] or None


@dataclass(frozen=True, slots=True)
class RetrievalPin:
    index: str | None = None
    embedding_model: str | None = None
    top_k: int | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """One feature's release. Hashable (labels are left out of the hash, not out of equality)."""

    feature: str
    version: str
    model: ModelPin | None = None
    prompt: PromptPin | None = None
    retrieval: RetrievalPin | None = None
    rollback_to: str | None = None
    labels: Mapping[str, LabelValue] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    source: str | None = None
    _attributes: Mapping[str, AttributeValue] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))
        object.__setattr__(self, "_attributes", MappingProxyType(dict(self._flatten())))

    def attributes(self) -> dict[str, AttributeValue]:
        """Every value set, as ``otel_genai.release.*`` attributes (computed once; a fresh dict per call)."""
        return dict(self._attributes)

    def _flatten(self) -> Iterator[tuple[str, AttributeValue]]:
        yield OTEL_GENAI_RELEASE_PREFIX + "feature", self.feature
        yield OTEL_GENAI_RELEASE_PREFIX + "version", self.version
        for section, pin in (("model", self.model), ("prompt", self.prompt), ("retrieval", self.retrieval)):
            for pin_field in fields(pin) if pin is not None else ():
                value = getattr(pin, pin_field.name)
                if value is not None:
                    yield f"{OTEL_GENAI_RELEASE_PREFIX}{section}.{pin_field.name}", value
        if self.rollback_to is not None:
            yield OTEL_GENAI_RELEASE_PREFIX + "rollback_to", self.rollback_to
        for key, value in self.labels.items():
            yield f"{OTEL_GENAI_RELEASE_PREFIX}labels.{key}", value


# --- loading ---------------------------------------------------------------------------------------------


def load_releases(spec: object) -> tuple[Release, ...]:
    """Releases from a path (YAML or JSON), a mapping shaped like a file, a ``Release``, or a list/tuple
    of those.

    Raises ``ManifestError`` listing every problem found, in every document given.
    """
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if not specs:
        raise ManifestError("no release manifest given")
    errors: list[str] = []
    releases: list[tuple[str, Release]] = []  # (field path, release)
    for item in specs:
        if isinstance(item, Release):
            releases.append(("release", item))
        elif isinstance(item, Mapping):
            releases += _releases_in(item, "<dict>", errors)
        elif isinstance(item, (str, os.PathLike)):
            source = os.fsdecode(item)
            document = _read(source, errors)
            if document is not None:
                releases += _releases_in(document, source, errors)
        else:
            errors.append(f"expected a manifest path or mapping, got {type(item).__name__}")
    first_by_feature: dict[str, Release] = {}
    for path, release in releases:
        first = first_by_feature.setdefault(release.feature, release)
        if first is not release:
            errors.append(
                f"{release.source}: {path}.feature: {release.feature!r} is already the feature of a "
                f"release in {first.source} (one release per feature)"
            )
    if errors:
        raise ManifestError("\n".join(errors))
    return tuple(release for _, release in releases)


def releases_from_env(value: str | None) -> tuple[Release, ...]:
    """``OTEL_GENAI_RELEASE``: one path, or several separated by ``os.pathsep`` or ``,``; empty -> none."""
    paths = [path.strip() for path in (value or "").replace(os.pathsep, ",").split(",")]
    paths = [path for path in paths if path]
    return load_releases(paths) if paths else ()


def _read(source: str, errors: list[str]) -> object:
    """The parsed file, or None with the reason appended to ``errors``."""
    try:
        with open(source, encoding="utf-8-sig") as file:
            text = file.read()
    except FileNotFoundError:
        errors.append(f"{source}: file not found")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{source}: cannot read the file ({getattr(exc, 'strerror', None) or exc})")
        return None
    suffix = os.path.splitext(source)[1].lower()
    as_json = suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith("{"))
    try:
        document = _parse_json(text) if as_json else _parse_yaml(text)
    except json.JSONDecodeError as exc:
        errors.append(f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}")
        return None
    except ValueError as exc:  # YAML syntax, a duplicate key: already worded
        errors.append(f"{source}: {exc}")
        return None
    if document is None:
        errors.append(f"{source}: the file is empty")
    return document


def _parse_json(text: str) -> object:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise ValueError(f"duplicate key {key!r}")
        return dict(pairs)

    return json.loads(text, object_pairs_hook=no_duplicates)


def _parse_yaml(text: str) -> object:
    """``yaml.safe_load`` that rejects a duplicate key (which would silently win) instead of keeping the last.

    PyYAML is imported here, not at module import: most services never read a YAML manifest.
    """
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: list[object] = []
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: overriding is its point
                    continue
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.append(key)
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=StrictLoader)  # a SafeLoader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ValueError(f"{where}not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from None


# --- validation ------------------------------------------------------------------------------------------


class _Invalid(Exception):
    """One value's problem; the caller adds the source and the field path."""


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


# Informal provider names and the ``gen_ai.provider.name`` values spans carry (drift compares with those).
_PROVIDER_NAMES = {
    "google": "gcp.gemini' or 'gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "bedrock": "aws.bedrock",
    "aws": "aws.bedrock",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
    "x-ai": "x_ai",
    "grok": "x_ai",
}


def _provider(value: object) -> str:
    """A ``gen_ai.provider.name``; a common informal name is an error naming the right one (else every call
    would drift). Other names pass: a self-hosted or future provider."""
    text = _text(value)
    right = _PROVIDER_NAMES.get(text.strip().lower())
    if right is not None:
        raise _Invalid(f"{text!r} is not a gen_ai.provider.name: use '{right}'")
    return text


def _text(value: object) -> str:
    """A string; YAML's dates (``2024-07-18``) and integers (``7``) kept as the text the user wrote."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float):
        raise _Invalid(f"expected a string, got {value!r} (quote it: it was read as a number)")
    else:
        raise _Invalid(f"expected a string, got {_describe(value)}")
    if not text.strip():
        raise _Invalid("must not be empty")
    return text


def _temperature(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"expected a number, got {_describe(value)}")
    if not math.isfinite(value) or value < 0:
        raise _Invalid(f"expected a number >= 0, got {value!r}")
    return float(value)


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Invalid(f"expected a positive integer, got {_describe(value)}")
    return value


def _label(value: object) -> LabelValue:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise _Invalid(f"expected a string, number or boolean, got {_describe(value)}")


_Check = Callable[[object], object]  # the value as stored, or _Invalid
_SECTIONS: dict[str, tuple[dict[str, _Check], type]] = {
    "model": (
        {
            "provider": _provider,
            "name": _text,
            "pinned_version": _text,
            "temperature": _temperature,
            "max_tokens": _positive_int,
        },
        ModelPin,
    ),
    "prompt": ({"template_ref": _text, "guardrails": _text}, PromptPin),
    "retrieval": ({"index": _text, "embedding_model": _text, "top_k": _positive_int}, RetrievalPin),
}
_RELEASE_FIELDS = ("feature", "version", *_SECTIONS, "rollback_to", "labels")
_REQUIRED = ("feature", "version")


def _unknown(key: object, known: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "expected one of: " + ", ".join(known)
    return f"unknown field ({hint})"


def _releases_in(document: object, source: str, errors: list[str]) -> list[tuple[str, Release]]:
    """The releases of one document (``release: {...}`` or ``releases: [...]``); problems go to errors."""
    if not isinstance(document, Mapping):
        errors.append(f"{source}: expected a mapping with 'release' or 'releases', got {_describe(document)}")
        return []
    unknown = [key for key in document if key not in ("release", "releases")]
    for key in unknown:
        hint = " (put the release's fields under 'release:')" if key in _RELEASE_FIELDS else ""
        errors.append(f"{source}: {key}: {_unknown(key, ['release', 'releases'])}{hint}")
    if "release" in document and "releases" in document:
        errors.append(f"{source}: use either 'release' or 'releases', not both")
        return []
    if "release" in document:
        bodies: list[tuple[str, object]] = [("release", document["release"])]
    elif "releases" in document:
        items = document["releases"]
        if not isinstance(items, (list, tuple)) or not items:
            errors.append(f"{source}: releases: expected a non-empty list, got {_describe(items)}")
            return []
        bodies = [(f"releases[{index}]", body) for index, body in enumerate(items)]
    else:
        if not unknown:
            errors.append(f"{source}: expected a 'release' (or 'releases') key")
        return []
    releases = ((path, _release(body, path, source, errors)) for path, body in bodies)
    return [(path, release) for path, release in releases if release is not None]


def _release(body: object, path: str, source: str, errors: list[str]) -> Release | None:
    count = len(errors)

    def invalid(where: str, message: str) -> None:
        errors.append(f"{source}: {where}: {message}")

    if not isinstance(body, Mapping):
        invalid(path, f"expected a mapping, got {_describe(body)}")
        return None
    values: dict[str, Any] = {}
    for key, value in body.items():
        where = f"{path}.{key}"
        if key not in _RELEASE_FIELDS:
            invalid(where, _unknown(key, _RELEASE_FIELDS))
        elif value is None:
            continue  # `rollback_to:` with nothing: not set
        elif key in _SECTIONS:
            values[key] = _section(value, where, *_SECTIONS[key], invalid)
        elif key == "labels":
            values[key] = _labels(value, where, invalid)
        else:
            try:
                values[key] = _text(value)
            except _Invalid as exc:
                invalid(where, str(exc))
    for key in _REQUIRED:
        if body.get(key) is None:
            invalid(f"{path}.{key}", "required")
    if len(errors) > count:
        return None
    return Release(**values, source=source)


def _section(
    value: object, path: str, checks: dict[str, _Check], pin: type, invalid: Callable[[str, str], None]
) -> object:
    if not isinstance(value, Mapping):
        invalid(path, f"expected a mapping, got {_describe(value)}")
        return None
    pinned: dict[str, object] = {}
    for key, item in value.items():
        if key not in checks:
            invalid(f"{path}.{key}", _unknown(key, tuple(checks)))
        elif item is not None:
            try:
                pinned[key] = checks[key](item)
            except _Invalid as exc:
                invalid(f"{path}.{key}", str(exc))
    return pin(**pinned)


def _labels(value: object, path: str, invalid: Callable[[str, str], None]) -> dict[str, LabelValue]:
    if not isinstance(value, Mapping):
        invalid(path, f"expected a mapping, got {_describe(value)}")
        return {}
    labels: dict[str, LabelValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            invalid(path, f"label names must be non-empty strings, got {key!r}")
            continue
        try:
            labels[key] = _label(item)
        except _Invalid as exc:
            invalid(f"{path}.{key}", str(exc))
    return labels
