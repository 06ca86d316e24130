"""All configuration, resolved in one place.

Precedence: keyword arguments > ``OTEL_GENAI_*`` > the standard ``OTEL_*`` variables > defaults.
OpenTelemetry's own variables are used wherever one exists; ``OTEL_GENAI_*`` only for what is ours.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from otel_genai.llmops.attribution import AttributionPolicy
from otel_genai.redaction.policy import ENV_REDACTION, RedactionPolicy
from otel_genai.telemetry.content import CaptureMode

logger = logging.getLogger("otel_genai")

ENV_CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENV_MAX_CONTENT_LENGTH = "OTEL_GENAI_MAX_CONTENT_LENGTH"
ENV_TOOL_DEFINITION_DETAILS = "OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS"
ENV_CHUNK_TIMING_METRIC = "OTEL_GENAI_CHUNK_TIMING_METRIC"
ENV_RETRIEVAL_DOCUMENT_IDS = "OTEL_GENAI_RETRIEVAL_DOCUMENT_IDS"
ENV_TRACES_EXPORTER = "OTEL_TRACES_EXPORTER"
ENV_METRICS_EXPORTER = "OTEL_METRICS_EXPORTER"
ENV_LOGS_EXPORTER = "OTEL_LOGS_EXPORTER"
ENV_DISABLED_INSTRUMENTATIONS = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
ENV_RELEASE = "OTEL_GENAI_RELEASE"
ENV_PRICES = "OTEL_GENAI_PRICES"
ENV_PROPAGATE_CONTEXT = "OTEL_GENAI_PROPAGATE_CONTEXT"
ENV_PROVIDER_HOSTS = "OTEL_GENAI_PROVIDER_HOSTS"
ENV_EVALUATORS = "OTEL_GENAI_EVALUATORS"
ENV_EVALUATION_SAMPLE_RATE = "OTEL_GENAI_EVALUATION_SAMPLE_RATE"

DEFAULT_MAX_CONTENT_LENGTH = 32_768
EXPORTER_NAMES = ("otlp", "console", "none")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """What ``instrument()`` and every instrumentor run with."""

    service_name: str | None = None
    # span exporters by name ("otlp", "console") or SpanExporter instances; empty means none
    span_exporters: tuple[Any, ...] = ("otlp",)
    metric_exporters: tuple[str, ...] = ("otlp",)
    log_exporters: tuple[str, ...] = ("otlp",)
    capture_mode: CaptureMode = CaptureMode.NO_CONTENT
    max_content_length: int | None = DEFAULT_MAX_CONTENT_LENGTH
    tool_definition_details: bool = False
    # gen_ai.client.operation.time_per_output_chunk: one histogram record per streamed chunk
    chunk_timing_metric: bool = True
    # document IDs in gen_ai.retrieval.documents (not content; off for users who consider them sensitive)
    retrieval_document_ids: bool = True
    # the policy the redacting processors use when content is captured; None = redaction off
    redaction: RedactionPolicy | None = field(default_factory=RedactionPolicy)
    # the release manifests (llmops.manifest.Release): instrument(release=...) or OTEL_GENAI_RELEASE
    releases: tuple[Any, ...] = ()
    # llmops.prices.PriceTable with the overrides (instrument(prices=...), OTEL_GENAI_PRICES) before the
    # shipped table; None: the shipped table alone
    prices: Any = None
    attribution: AttributionPolicy = field(default_factory=AttributionPolicy)
    instrumentors: tuple[str, ...] | None = None
    disabled_instrumentors: frozenset[str] = field(default_factory=frozenset)
    # carry the OpenTelemetry context into ThreadPoolExecutor / Thread work (``_context.py``)
    propagate_context: bool = True
    # the application's OpenAI-compatible servers: (host pattern, gen_ai.provider.name), before the built-in
    # table (``instrumentation/_servers.py``)
    provider_hosts: tuple[tuple[str, str], ...] = ()
    # online evaluators (built-in names or Evaluator objects) and the share of model calls they judge
    evaluators: tuple[Any, ...] = ()
    evaluation_sample_rate: float = 1.0

    def wants(self, name: str) -> bool:
        """Whether the instrumentor called ``name`` should be turned on."""
        if name in self.disabled_instrumentors:
            return False
        return self.instrumentors is None or name in self.instrumentors


def parse_capture_mode(value: Any) -> CaptureMode:
    """``True``/``False``, a ``CaptureMode`` or a mode name (any case); anything else is NO_CONTENT."""
    if isinstance(value, CaptureMode):
        return value
    if isinstance(value, bool):
        return CaptureMode.SPAN_ONLY if value else CaptureMode.NO_CONTENT
    if value is None:
        return CaptureMode.NO_CONTENT
    text = str(value).strip().upper()
    if not text:
        return CaptureMode.NO_CONTENT
    try:
        return CaptureMode(text)
    except ValueError:
        logger.warning(
            "%s=%r is not one of %s; content is not captured",
            ENV_CAPTURE_CONTENT,
            value,
            ", ".join(m.value for m in CaptureMode),
        )
        return CaptureMode.NO_CONTENT


def parse_redaction(value: Any, env: Mapping[str, str]) -> RedactionPolicy | None:
    """``redaction=``: a RedactionPolicy, True (defaults) or False (off); unset reads OTEL_GENAI_REDACTION
    (default on). Turning it off with content capture on exports raw content, so it is logged."""
    if isinstance(value, RedactionPolicy):
        return value
    if value is None:
        raw = env.get(ENV_REDACTION, "").strip().lower()
        value = raw not in ("0", "false", "no", "off") if raw else True
    if not isinstance(value, bool):
        raise TypeError(f"redaction must be a RedactionPolicy, True or False, not {value!r}")
    return RedactionPolicy() if value else None


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in (value or "").split(",") if part.strip())


def _exporter_names(env: Mapping[str, str], variable: str, default: tuple[str, ...]) -> tuple[str, ...]:
    names = _names(env.get(variable))
    if not names:
        return default
    known = tuple(n for n in names if n in EXPORTER_NAMES and n != "none")
    unknown = [n for n in names if n not in EXPORTER_NAMES]
    if unknown:
        logger.warning("%s: exporters %s are not supported here; ignoring them", variable, unknown)
    return known


def _exporter_specs(exporter: Any) -> tuple[Any, ...]:
    """``exporter=``: a name, names joined by commas (as in ``OTEL_TRACES_EXPORTER``), a SpanExporter,
    or a sequence of those. ``"none"`` means no exporter."""
    if isinstance(exporter, str):
        items: list[Any] = [part.strip().lower() for part in exporter.split(",") if part.strip()]
    elif isinstance(exporter, (list, tuple)):
        items = [item.strip().lower() if isinstance(item, str) else item for item in exporter]
    else:
        items = [exporter]
    if not items:
        raise ValueError(f"exporter must be one of {EXPORTER_NAMES} or a SpanExporter, not {exporter!r}")
    for item in items:
        if isinstance(item, str) and item not in EXPORTER_NAMES:
            raise ValueError(f"exporter must be one of {EXPORTER_NAMES} or a SpanExporter, not {item!r}")
    return tuple(item for item in items if item != "none")


def _positive_int(value: str | None, default: int | None) -> int | None:
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        logger.warning("%s=%r is not an integer; using %s", ENV_MAX_CONTENT_LENGTH, value, default)
        return default
    return number if number > 0 else None


def resolve(
    *,
    service_name: str | None = None,
    exporter: Any = None,
    capture_content: Any = None,
    redaction: Any = None,
    release: Any = None,
    prices: Any = None,
    attribution: AttributionPolicy | None = None,
    instrumentors: Sequence[str] | None = None,
    propagate_context: bool | None = None,
    provider_hosts: Mapping[str, str] | None = None,
    evaluators: Sequence[Any] | None = None,
    evaluation_sample_rate: float | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Turn ``instrument()``'s arguments and the environment into one ``Settings``.

    A bad release manifest or price file given as an argument raises (``ManifestError`` /
    ``PriceFileError``, naming the field); one named by an environment variable is logged as an error and
    left out, so that a zero-code start never stops the application.
    """
    env = os.environ if env is None else env
    releases = _releases(release, env)
    price_table = _price_table(prices, env)
    if attribution is None:
        attribution = AttributionPolicy.from_env(env)
    elif not isinstance(attribution, AttributionPolicy):
        raise TypeError(f"attribution must be an AttributionPolicy, not {attribution!r}")

    if exporter is None:
        span_exporters: tuple[Any, ...] = _exporter_names(env, ENV_TRACES_EXPORTER, ("otlp",))
    else:
        span_exporters = _exporter_specs(exporter)
    metric_default = ("otlp",) if "otlp" in span_exporters else ()
    # Metrics and events follow the trace exporter unless their own OTEL_*_EXPORTER says otherwise.
    metric_exporters = _exporter_names(env, ENV_METRICS_EXPORTER, metric_default)
    log_exporters = _exporter_names(env, ENV_LOGS_EXPORTER, metric_default)

    if capture_content is None:
        capture_mode = parse_capture_mode(env.get(ENV_CAPTURE_CONTENT))
    else:
        capture_mode = parse_capture_mode(capture_content)

    return Settings(
        service_name=service_name,
        span_exporters=span_exporters,
        metric_exporters=metric_exporters,
        log_exporters=log_exporters,
        capture_mode=capture_mode,
        max_content_length=_positive_int(env.get(ENV_MAX_CONTENT_LENGTH), DEFAULT_MAX_CONTENT_LENGTH),
        tool_definition_details=env.get(ENV_TOOL_DEFINITION_DETAILS, "").strip().lower() in _TRUE,
        chunk_timing_metric=env.get(ENV_CHUNK_TIMING_METRIC, "true").strip().lower() in _TRUE,
        retrieval_document_ids=env.get(ENV_RETRIEVAL_DOCUMENT_IDS, "true").strip().lower() in _TRUE,
        redaction=parse_redaction(redaction, env),
        releases=releases,
        prices=price_table,
        attribution=attribution,
        instrumentors=tuple(n.lower() for n in instrumentors) if instrumentors is not None else None,
        disabled_instrumentors=frozenset(_names(env.get(ENV_DISABLED_INSTRUMENTATIONS))),
        propagate_context=_propagate_context(propagate_context, env),
        provider_hosts=_provider_hosts(provider_hosts, env),
        evaluators=_evaluators(evaluators, env),
        evaluation_sample_rate=_sample_rate(evaluation_sample_rate, env),
    )


def _evaluators(value: Sequence[Any] | None, env: Mapping[str, str]) -> tuple[Any, ...]:
    """``evaluators=`` (built-in names or objects with ``name`` and ``evaluate``; an unknown name raises) >
    ``OTEL_GENAI_EVALUATORS`` (names joined by commas; an unknown one is logged and left out)."""
    from otel_genai.evaluation.evaluators import BUILT_IN

    if value is not None:
        for item in value:
            if isinstance(item, str) and item not in BUILT_IN:
                raise ValueError(f"evaluators: {item!r} is not one of {', '.join(BUILT_IN)}")
            if not isinstance(item, str) and not callable(getattr(item, "evaluate", None)):
                raise TypeError(f"evaluators: {item!r} has no evaluate(answer) method")
        return tuple(value)
    names = _names(env.get(ENV_EVALUATORS))
    unknown = [name for name in names if name not in BUILT_IN]
    if unknown:
        logger.warning("%s: %s are not built-in evaluators; ignoring them", ENV_EVALUATORS, unknown)
    return tuple(name for name in names if name in BUILT_IN)


def _sample_rate(value: float | None, env: Mapping[str, str]) -> float:
    """The share of model calls the online evaluators judge, in [0, 1] (default 1)."""
    raw: Any = value if value is not None else env.get(ENV_EVALUATION_SAMPLE_RATE, "").strip() or 1.0
    try:
        rate = float(raw)
    except (TypeError, ValueError):
        logger.warning("%s=%r is not a number; evaluating every call", ENV_EVALUATION_SAMPLE_RATE, raw)
        return 1.0
    if not 0.0 <= rate <= 1.0:
        if value is not None:
            raise ValueError(f"evaluation_sample_rate must be in [0, 1], not {value!r}")
        logger.warning("%s=%r is not in [0, 1]; evaluating every call", ENV_EVALUATION_SAMPLE_RATE, raw)
        return 1.0
    return rate


def _provider_hosts(value: Mapping[str, str] | None, env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``provider_hosts=`` (raises on a malformed entry) > ``OTEL_GENAI_PROVIDER_HOSTS`` (logs and skips)."""
    from otel_genai.instrumentation._servers import parse_provider_hosts

    if value is not None:
        return parse_provider_hosts(dict(value))
    return parse_provider_hosts(env.get(ENV_PROVIDER_HOSTS) or None)


def _propagate_context(value: bool | None, env: Mapping[str, str]) -> bool:
    """``propagate_context=`` > ``OTEL_GENAI_PROPAGATE_CONTEXT`` > ``threading`` in
    ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` (the official threading instrumentor's name) > on."""
    if value is not None:
        return bool(value)
    raw = env.get(ENV_PROPAGATE_CONTEXT, "").strip().lower()
    if raw:
        return raw in _TRUE
    return "threading" not in _names(env.get(ENV_DISABLED_INSTRUMENTATIONS))


def _releases(release: Any, env: Mapping[str, str]) -> tuple[Any, ...]:
    from otel_genai.llmops.manifest import ManifestError, load_releases, releases_from_env

    if release is not None:
        return load_releases(release)  # the caller's own argument: an error is theirs to see
    try:
        return releases_from_env(env.get(ENV_RELEASE))
    except ManifestError as error:
        logger.error("otel_genai: %s is not used: %s", ENV_RELEASE, error)
        return ()


def _price_table(prices: Any, env: Mapping[str, str]) -> Any:
    """The price overrides, loaded: ``prices=`` (a file or a mapping; an error raises) or
    ``OTEL_GENAI_PRICES`` (a file; an error is logged and the shipped table used alone)."""
    from otel_genai.llmops.prices import PriceFileError, PriceTable

    if prices is not None:
        return prices if isinstance(prices, PriceTable) else PriceTable.load(prices)
    path = env.get(ENV_PRICES, "").strip()
    if not path:
        return None
    try:
        return PriceTable.load(path)
    except PriceFileError as error:
        logger.error("otel_genai: %s is not used: %s", ENV_PRICES, error)
        return None
