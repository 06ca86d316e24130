"""Who a call is for, safely: pseudonymous user ids and metric attributes of bounded cardinality.

A user id is personal data, so it leaves the process only as ``enduser.pseudo.id``: an HMAC-SHA256 of the
id under a secret the operator configures (``OTEL_GENAI_USER_ID_SECRET``). The same user gets the same
pseudo id in every service that shares the secret; nobody without it can reverse or recompute it (a plain
hash of ``u-17`` is reversed by trying ids). Without a secret a random per-process key is used (stable
within one process only) and a warning says so. ``OTEL_GENAI_RAW_USER_IDS=true`` opts in to the raw id as
``enduser.id`` instead.

Metrics carry tenant, feature and prompt so spend can be grouped by them, but every distinct value is a new
time series in the backend. An explicit allow-list per dimension, or else the first N values a process sees
(``OTEL_GENAI_METRIC_VALUE_LIMIT``, default 100), keeps that bounded: other values are counted as
``_other``. Spans always carry the real values.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from otel_genai import semconv as sc

logger = logging.getLogger("otel_genai")

ENV_USER_ID_SECRET = "OTEL_GENAI_USER_ID_SECRET"
ENV_RAW_USER_IDS = "OTEL_GENAI_RAW_USER_IDS"
ENV_METRIC_VALUE_LIMIT = "OTEL_GENAI_METRIC_VALUE_LIMIT"
# comma-separated allow-lists, one per dimension
ENV_METRIC_TENANTS = "OTEL_GENAI_METRIC_TENANTS"
ENV_METRIC_FEATURES = "OTEL_GENAI_METRIC_FEATURES"
ENV_METRIC_PROMPTS = "OTEL_GENAI_METRIC_PROMPTS"

DIMENSION_TENANT = "tenant"
DIMENSION_FEATURE = "feature"
DIMENSION_PROMPT = "prompt"
DIMENSION_PROMPT_VERSION = "prompt_version"  # "name@version"; no allow-list, the first N only
DEFAULT_METRIC_VALUE_LIMIT = 100
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class AttributionPolicy:
    """How callers are attributed: ``instrument(attribution=AttributionPolicy(...))``, else the variables
    above (``from_env``)."""

    # the HMAC key for user ids; None: a random key per process (pseudo ids then differ across processes)
    user_id_secret: str | bytes | None = None
    # export the application's user id as is (``enduser.id``), on spans and in baggage
    raw_user_ids: bool = False
    # per dimension ("tenant", "feature", "prompt"), the values metrics may carry; others become "_other"
    metric_allow_list: Mapping[str, Iterable[str]] = field(default_factory=dict)
    # without an allow-list for a dimension: the first this many distinct values, then "_other"
    metric_value_limit: int = DEFAULT_METRIC_VALUE_LIMIT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AttributionPolicy:
        allow: dict[str, list[str]] = {}
        for dimension, variable in (
            (DIMENSION_TENANT, ENV_METRIC_TENANTS),
            (DIMENSION_FEATURE, ENV_METRIC_FEATURES),
            (DIMENSION_PROMPT, ENV_METRIC_PROMPTS),
        ):
            values = [part.strip() for part in env.get(variable, "").split(",") if part.strip()]
            if values:
                allow[dimension] = values
        limit = DEFAULT_METRIC_VALUE_LIMIT
        raw_limit = env.get(ENV_METRIC_VALUE_LIMIT, "").strip()
        if raw_limit:
            try:
                limit = max(0, int(raw_limit))
            except ValueError:
                logger.warning("%s=%r is not an integer; using %d", ENV_METRIC_VALUE_LIMIT, raw_limit, limit)
        return cls(
            user_id_secret=env.get(ENV_USER_ID_SECRET) or None,
            raw_user_ids=env.get(ENV_RAW_USER_IDS, "").strip().lower() in _TRUE,
            metric_allow_list=allow,
            metric_value_limit=limit,
        )


class Pseudonymizer:
    """``enduser.pseudo.id`` = hex HMAC-SHA256(secret, user id), first 32 characters (128 bits)."""

    def __init__(self, secret: str | bytes | None) -> None:
        if secret is None:
            self.ephemeral = True
            self._key = secrets.token_bytes(32)
        else:
            self.ephemeral = False
            self._key = secret.encode() if isinstance(secret, str) else bytes(secret)
        self._warned = False
        self._cache: dict[str, str] = {}

    def __call__(self, user: str) -> str:
        pseudo = self._cache.get(user)
        if pseudo is None:
            if self.ephemeral and not self._warned:
                self._warned = True
                logger.warning(
                    "otel_genai: user ids are pseudonymised with a random per-process key because %s is "
                    "not set: enduser.pseudo.id will differ between processes and restarts",
                    ENV_USER_ID_SECRET,
                )
            pseudo = hmac.new(self._key, user.encode(), hashlib.sha256).hexdigest()[:32]
            if len(self._cache) >= 4096:
                self._cache.clear()
            self._cache[user] = pseudo
        return pseudo


class MetricValues:
    """Bounds the values of one metric dimension: the allow-list, or the first ``limit`` values seen."""

    def __init__(self, allowed: Iterable[str] | None, limit: int) -> None:
        self._fixed = frozenset(allowed) if allowed is not None else None
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if self._fixed is not None:
            return value if value in self._fixed else sc.METRIC_VALUE_OTHER
        if value in self._seen:
            return value
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        return sc.METRIC_VALUE_OTHER


def metric_values(policy: AttributionPolicy) -> dict[str, MetricValues]:
    """One bound per dimension."""
    return {
        dimension: MetricValues(policy.metric_allow_list.get(dimension), policy.metric_value_limit)
        for dimension in (DIMENSION_TENANT, DIMENSION_FEATURE, DIMENSION_PROMPT, DIMENSION_PROMPT_VERSION)
    }
