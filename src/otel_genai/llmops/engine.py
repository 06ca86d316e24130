"""What the ``TelemetryHandler`` asks of the LLMOps layer as a span starts and ends.

``begin`` reads the request's scope (one context lookup; upstream baggage when we opened none) and hands
the handler the release, prompt and attribution attributes, worked out once per scope, not per call.
``end`` adds what only the response tells: cost, drift, the prompt and tool fingerprints, and the prompt
variables when content is captured. The results stay on the record (``record.scope``, ``record.outcome``)
for ``GenAIMetrics``, which puts release, tenant, feature and prompt on the metrics and records the cost
and drift instruments.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import baggage as otel_baggage
from opentelemetry import context as otel_context

from otel_genai import semconv as sc
from otel_genai.llmops.attribution import (
    DIMENSION_FEATURE,
    DIMENSION_PROMPT,
    DIMENSION_PROMPT_VERSION,
    DIMENSION_TENANT,
    AttributionPolicy,
    Pseudonymizer,
    metric_values,
)
from otel_genai.llmops.drift import drift_kinds
from otel_genai.llmops.fingerprint import instructions_fingerprint, tools_fingerprint
from otel_genai.llmops.scope import (
    BAGGAGE_FEATURE,
    BAGGAGE_SESSION,
    BAGGAGE_TENANT,
    BAGGAGE_USER_PSEUDO,
    BAGGAGE_USER_RAW,
    SCOPE_KEY,
    Scope,
    scope_from_baggage,
)
from otel_genai.telemetry.content import truncated
from otel_genai.telemetry.records import Embedding, Inference, Invocation, Retrieval, is_database_call

if TYPE_CHECKING:
    from otel_genai._config import Settings
    from otel_genai.llmops.prices import Cost, PriceTable

logger = logging.getLogger("otel_genai")


@dataclass(slots=True)
class Derived:
    """A scope's attributes under one engine's settings, worked out once per scope."""

    release: Any  # manifest.Release | None
    span: dict[str, Any]  # every GenAI span: release and attribution
    model_span: dict[str, Any]  # model calls: the above and the prompt's name and version
    metric: dict[str, Any]  # every GenAI metric: the release's feature and version
    spend: dict[str, Any]  # token and cost metrics, besides the above: tenant, feature, prompt (bounded)
    prompt_variables: tuple[tuple[str, Any], ...] | None


@dataclass(slots=True)
class Outcome:
    """What ``end`` worked out for the metrics: the call's cost and drift."""

    cost: Cost | None
    drift: list[str]


class LLMOps:
    """Release, prompt, attribution, cost and drift for one ``TelemetryHandler``."""

    def __init__(self, settings: Settings) -> None:
        from otel_genai.llmops.prices import PriceTable

        self.releases: dict[str, Any] = {release.feature: release for release in settings.releases}
        # the release of calls that select none: the only one loaded (several: a call must select one)
        self.default_release = settings.releases[0] if len(settings.releases) == 1 else None
        self.prices: PriceTable = settings.prices or PriceTable.load(None)
        policy: AttributionPolicy = settings.attribution
        self.raw_user_ids = policy.raw_user_ids
        self.pseudonymize = Pseudonymizer(policy.user_id_secret)
        self._metric_values = metric_values(policy)
        self._max_content_length = settings.max_content_length
        self._default = self._derive_uncached(None)
        self._baggage_scopes: dict[tuple[Any, ...], Scope] = {}
        self._lock = threading.Lock()

    # --- span start --------------------------------------------------------------------------------

    def begin(self, record: Invocation, current: otel_context.Context | None = None) -> dict[str, Any] | None:
        """The request's scope onto the record; the attributes its span starts with (None: nothing).
        ``current``: the context the call runs in, when the caller has it already."""
        if is_database_call(record):
            return None  # a store call is a database operation, not a GenAI one: its retrieval carries these
        if current is None:
            current = otel_context.get_current()
        scope = current.get(SCOPE_KEY)
        if scope is None:
            entries = otel_baggage.get_all(current)
            if entries:
                scope = self._baggage_scope(entries)
        derived = self._default if not isinstance(scope, Scope) else self.derive(scope)
        if derived is None:
            return None
        record.scope = derived
        return derived.model_span if isinstance(record, Inference) else derived.span

    @staticmethod
    def default_data_source(record: Retrieval) -> bool:
        """The manifest's index as the retrieval's data source, when it knows none better (none of its own
        and none adopted from the store calls under it: the handler calls this after adoption); whether
        it was set."""
        derived: Derived | None = record.scope
        release = derived.release if derived is not None else None
        if record.data_source_id is not None or release is None or release.retrieval is None:
            return False
        if record.reranker:
            return False
        record.data_source_id = release.retrieval.index
        return record.data_source_id is not None

    def derive(self, scope: Scope) -> Derived | None:
        """The scope's attributes under this engine (cached on the scope)."""
        key = id(self)
        derived = scope.derived.get(key)
        if derived is None and key not in scope.derived:
            derived = self._derive_uncached(scope)
            scope.derived[key] = derived
        return derived

    def _derive_uncached(self, scope: Scope | None) -> Derived | None:
        release = self.default_release
        if scope is not None and scope.feature is not None:
            release = self.releases.get(scope.feature, release)
        span: dict[str, Any] = dict(release.attributes()) if release is not None else {}
        metric: dict[str, Any] = {}
        if release is not None:
            metric[sc.OTEL_GENAI_RELEASE_FEATURE] = release.feature
            metric[sc.OTEL_GENAI_RELEASE_VERSION] = release.version
        spend: dict[str, Any] = {}
        prompt_name = scope.prompt_name if scope is not None else None
        prompt_version = scope.prompt_version if scope is not None else None
        if prompt_name is None and release is not None and release.prompt is not None:
            prompt_name, prompt_version = release.prompt.name, release.prompt.version
        if scope is not None:
            if scope.tenant:
                span[sc.OTEL_GENAI_TENANT_ID] = scope.tenant
                spend[sc.OTEL_GENAI_TENANT_ID] = self._metric_values[DIMENSION_TENANT](scope.tenant)
            if scope.feature:
                span[sc.OTEL_GENAI_FEATURE] = scope.feature
                spend[sc.OTEL_GENAI_FEATURE] = self._metric_values[DIMENSION_FEATURE](scope.feature)
            if scope.session:
                span[sc.SESSION_ID] = scope.session
            user_key, user_value = self._user(scope)
            if user_value:
                span[user_key] = user_value
        model_span = dict(span)
        if prompt_name:
            model_span[sc.GEN_AI_PROMPT_NAME] = prompt_name
            bounded = self._metric_values[DIMENSION_PROMPT](prompt_name)
            spend[sc.GEN_AI_PROMPT_NAME] = bounded
            if prompt_version:
                model_span[sc.GEN_AI_PROMPT_VERSION] = prompt_version
                if bounded != sc.METRIC_VALUE_OTHER:  # versions bounded too: one per deploy adds up
                    known = self._metric_values[DIMENSION_PROMPT_VERSION](f"{prompt_name}@{prompt_version}")
                    spend[sc.GEN_AI_PROMPT_VERSION] = (
                        prompt_version if known != sc.METRIC_VALUE_OTHER else known
                    )
        variables = scope.prompt_variables if scope is not None and prompt_name else None
        if not (model_span or metric or spend or variables):
            return None
        return Derived(release, span, model_span, metric, spend, variables or None)

    def _user(self, scope: Scope) -> tuple[str, str | None]:
        """The user attribute: the pseudo id (an HMAC of the raw id), or the raw id when opted in."""
        if scope.user:
            if self.raw_user_ids:
                return sc.ENDUSER_ID, scope.user
            return sc.ENDUSER_PSEUDO_ID, self.pseudonymize(scope.user)
        return sc.ENDUSER_PSEUDO_ID, scope.user_pseudo

    def _baggage_scope(self, entries: Mapping[str, object]) -> Scope | None:
        """The scope upstream baggage describes, one object per distinct set of entries (so its derived
        attributes are computed once)."""
        key = tuple(entries.get(name) for name in (BAGGAGE_TENANT, BAGGAGE_FEATURE, BAGGAGE_SESSION,
                                                    BAGGAGE_USER_PSEUDO, BAGGAGE_USER_RAW))  # fmt: skip
        scope = self._baggage_scopes.get(key)
        if scope is None:
            scope = scope_from_baggage(entries)
            if scope is None:
                return None
            with self._lock:
                if len(self._baggage_scopes) >= 1024:
                    self._baggage_scopes.clear()
                self._baggage_scopes[key] = scope
        return scope

    def write_baggage(self, scope: Scope, context: otel_context.Context) -> otel_context.Context:
        """Carry the scope's attribution on as W3C baggage (never a raw user id unless opted in)."""
        entries = (
            (BAGGAGE_TENANT, scope.tenant),
            (BAGGAGE_FEATURE, scope.feature),
            (BAGGAGE_SESSION, scope.session),
        )
        for name, value in entries:
            if value:
                context = otel_baggage.set_baggage(name, value, context)
        user_key, user_value = self._user(scope)
        if user_value:
            context = otel_baggage.set_baggage(user_key, user_value, context)
        if user_key != BAGGAGE_USER_RAW and otel_baggage.get_baggage(BAGGAGE_USER_RAW, context) is not None:
            context = otel_baggage.remove_baggage(
                BAGGAGE_USER_RAW, context
            )  # pseudonymised here: not further
        return context

    # --- span end ----------------------------------------------------------------------------------

    def end(self, record: Invocation, recording: bool, content: bool) -> dict[str, Any] | None:
        """Cost and drift onto the record (for the metrics); with ``recording``, the span attributes too:
        those, the fingerprints, and the prompt variables when ``content`` goes on spans."""
        cost = None
        if isinstance(record, (Inference, Embedding)) and not record.error_type:
            cost = self.prices.cost_of(record)
        derived: Derived | None = record.scope
        release = derived.release if derived is not None else None
        drift = drift_kinds(release, record) if release is not None else []
        if cost is not None or drift:
            record.outcome = Outcome(cost, drift)
        if not recording:
            return None
        attributes: dict[str, Any] = {}
        if cost is not None:
            self._add_cost(cost, attributes)
        if drift:
            attributes[sc.OTEL_GENAI_RELEASE_DRIFT] = drift
        if isinstance(record, Inference):
            self._add_fingerprints(record, attributes)
            if content and derived is not None and derived.prompt_variables:
                self._add_variables(derived.prompt_variables, attributes)
        return attributes

    def event_attributes(self, record: Invocation) -> dict[str, Any]:
        """What the inference details event adds (the event modes): the release, attribution and prompt,
        the cost, and the prompt variables (the event carries content)."""
        attributes: dict[str, Any] = {}
        derived: Derived | None = record.scope
        if derived is not None:
            attributes.update(derived.model_span if isinstance(record, Inference) else derived.span)
            if derived.prompt_variables and isinstance(record, Inference):
                self._add_variables(derived.prompt_variables, attributes)
        outcome: Outcome | None = record.outcome
        if outcome is not None and outcome.cost is not None:
            self._add_cost(outcome.cost, attributes)
        return attributes

    def _add_variables(self, variables: tuple[tuple[str, Any], ...], attributes: dict[str, Any]) -> None:
        limit = self._max_content_length
        for name, value in variables:
            text = value if isinstance(value, str) else str(value)
            # cut like every other content (OTEL_GENAI_MAX_CONTENT_LENGTH), with the same marker
            attributes[sc.GEN_AI_PROMPT_VARIABLE_PREFIX + name] = truncated(text, limit) if limit else text

    @staticmethod
    def _add_cost(cost: Cost, attributes: dict[str, Any]) -> None:
        attributes[sc.GEN_AI_USAGE_COST_AMOUNT] = cost.amount
        attributes[sc.GEN_AI_USAGE_COST_CURRENCY] = cost.currency
        attributes[sc.GEN_AI_USAGE_COST_SOURCE] = cost.source
        if cost.table:
            attributes[sc.OTEL_GENAI_USAGE_COST_PRICE_TABLE] = cost.table

    @staticmethod
    def _add_fingerprints(record: Inference, attributes: dict[str, Any]) -> None:
        if record.instructions is not None:
            fingerprint = instructions_fingerprint(record.instructions)
            if fingerprint:
                attributes[sc.OTEL_GENAI_PROMPT_FINGERPRINT] = fingerprint
        if record.tool_schemas is not None:
            fingerprint = tools_fingerprint(record.tool_schemas)
            if fingerprint:
                attributes[sc.OTEL_GENAI_TOOL_DEFINITIONS_FINGERPRINT] = fingerprint


def current_engine() -> LLMOps:
    """The engine of ``instrument()``'s handler, else of the handler decorators use without it."""
    from otel_genai._setup import active_handler

    return active_handler().llmops
