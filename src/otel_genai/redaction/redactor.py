"""Turns a batch of spans or log records into redacted copies. Runs on the processor's worker thread.

Per batch: open every content field (fields.py), collect the distinct text leaves, look each up in a
bounded cache keyed by a hash of the text, analyse only the misses (batched, under a time budget),
replace what was found, and build copies of the items with an audit of what was replaced. A field
that could not be analysed becomes a marker; nothing raw is ever returned.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Status

from otel_genai import semconv
from otel_genai._export import RateLimitedWarning
from otel_genai.redaction.engine import Finding, shared_detector
from otel_genai.redaction.fields import TEXT, Field, layout_for, open_field
from otel_genai.redaction.policy import (
    DROPPED_MARKER,
    FAILED_MARKER,
    STRIPPED_MARKER,
    Operator,
    RedactionPolicy,
)

logger = logging.getLogger("otel_genai")

# A span's status description is content too (an error message quoting the prompt): its location.
STATUS = "status"
STATUS_DESCRIPTION = "description"
# One analysis call covers at most this much text, so the time budget means the same at any batch size.
ANALYSIS_CHUNK_CHARS = 32_000
_DELETE = object()
# stripped, these keep a marker rather than disappear (their absence would read as "no message")
_KEEP_AS_MARKER = frozenset({semconv.EXCEPTION_MESSAGE, semconv.EXCEPTION_STACKTRACE, "body"})


class _Failed:
    """Analysis of a text did not finish: why (an exception type, or "timeout")."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Instruments(NamedTuple):
    entities: Any
    failures: Any
    degraded: Any


@dataclasses.dataclass
class _Audit:
    entities: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failed: int = 0
    binary: int = 0


class Redactor:
    """Policy + detector + cache; turns items into redacted copies."""

    def __init__(
        self,
        policy: RedactionPolicy,
        *,
        detector: Any = None,
        meter_provider: Any = None,
    ) -> None:
        self.policy = policy
        self._detector = detector
        self._cache: collections.OrderedDict[tuple[bytes, bool], tuple[Finding, ...]] = (
            collections.OrderedDict()
        )
        self.warn = RateLimitedWarning()
        self._meter_provider = meter_provider
        self._instruments: _Instruments | None = None
        self._classify = policy.key_classifier() if policy.sensitive_keys else None

    # --- public -------------------------------------------------------------------------------------

    @property
    def detector(self) -> Any:
        if self._detector is None:
            self._detector = shared_detector(self.policy)
        return self._detector

    def redact_spans(self, spans: Sequence[ReadableSpan], *, ner: bool = True) -> list[ReadableSpan]:
        return self._redact(spans, _SPANS, ner=ner)

    def redact_logs(self, records: Sequence[Any], *, ner: bool = True) -> list[Any]:
        return self._redact(records, _LOGS, ner=ner)

    def strip_spans(self, spans: Sequence[ReadableSpan], reason: str) -> list[ReadableSpan]:
        return [self._strip(span, _SPANS, reason) for span in spans]

    def strip_logs(self, records: Sequence[Any], reason: str) -> list[Any]:
        return [self._strip(record, _LOGS, reason) for record in records]

    def count_degraded(self, count: int, reason: str, mode: str) -> None:
        if count:
            self._metrics().degraded.add(
                count, {semconv.OTEL_GENAI_REDACTION_REASON: reason, semconv.OTEL_GENAI_REDACTION_MODE: mode}
            )

    # --- the batch ----------------------------------------------------------------------------------

    def _redact(self, items: Sequence[Any], kind: _Kind, *, ner: bool) -> list[Any]:
        opened: list[list[tuple[Any, str, Field]]] = []
        for item in items:
            fields = []
            for location, key, value, layout in kind.content(item, self.policy):
                field = open_field(value, layout, self._classify)
                if field is not None:
                    fields.append((location, key, field))
            opened.append(fields)
        texts = {text for fields in opened for _, _, field in fields for text in field.texts()}
        results = self._analyse(texts, ner=ner)
        engine = self._engine_label(ner)
        out = []
        for item, fields in zip(items, opened, strict=True):
            if not fields:
                out.append(item)
                continue
            audit = _Audit()
            changes: dict[tuple[Any, str], Any] = {}
            for location, key, field in fields:
                new_value = self._apply(field, results, audit)
                if field.changed or new_value is _DELETE:
                    changes[(location, key)] = new_value
            out.append(kind.rebuild(item, changes, _audit_attributes(audit, engine)))
            self._record(audit)
        return out

    def _apply(self, field: Field, results: dict[str, Any], audit: _Audit) -> Any:
        """The field's redacted value, or _DELETE when the policy drops it."""
        audit.binary += field.binary_parts
        for leaf in field.leaves:
            if leaf.nested is not None:  # a JSON document in a string (never dropped whole)
                nested = self._apply(leaf.nested, results, audit)
                if leaf.nested.changed:
                    field.set(leaf, nested)
                continue
            if leaf.forced is not None:  # under a sensitive key: replaced whole, unanalysed
                audit.entities[leaf.forced] += 1
                drop = self.policy.operator_for(leaf.forced) is Operator.DROP
                field.set(leaf, DROPPED_MARKER if drop else self.policy.replacement(leaf.forced, leaf.text))
                continue
            found = results.get(leaf.text)
            if found is None:  # empty or whitespace-only text
                continue
            if isinstance(found, _Failed):
                field.set(leaf, FAILED_MARKER)
                audit.failed += 1
                continue
            if not found:
                continue
            new_text, counts, drop = redact_text(leaf.text, found, self.policy)
            audit.entities.update(counts)
            if drop:
                if leaf.container is None:  # a plain-text attribute: the attribute goes
                    return _DELETE
                new_text = DROPPED_MARKER
            field.set(leaf, new_text)
        return field.dump()

    # --- analysis -----------------------------------------------------------------------------------

    def _analyse(self, texts: Iterable[str], *, ner: bool) -> dict[str, Any]:
        """Findings (or _Failed) for every non-blank text: from the cache, else from the detector."""
        results: dict[str, Any] = {}
        keys: dict[str, tuple[bytes, bool]] = {}  # cache key of each miss
        for text in texts:
            if not text.strip():
                continue
            key = (hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(), ner)
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                results[text] = cached
            else:
                keys[text] = key
        misses = list(keys)
        if not misses:
            return results
        try:
            self.detector.load()
        except BaseException as error:  # SystemExit from a library must not end the worker either
            self.warn("engine", "otel_genai: %r; content is exported as %s", error, FAILED_MARKER)
            self._metrics().failures.add(len(misses), {semconv.ERROR_TYPE: "EngineUnavailable"})
            for text in misses:
                results[text] = _Failed("EngineUnavailable")
            return results
        for chunk in analysis_chunks(misses):
            done = self._analyse_with_budget(chunk, ner)
            for text in chunk:
                found = done.get(text)
                if found is None:
                    found = _Failed("timeout")
                if isinstance(found, _Failed):
                    self._metrics().failures.add(1, {semconv.ERROR_TYPE: found.reason})
                    self.warn(
                        f"failed:{found.reason}",
                        "otel_genai: PII analysis failed (%s); the field is exported as %s",
                        found.reason,
                        FAILED_MARKER,
                    )
                else:
                    self._remember(keys[text], found)
                results[text] = found
        return results

    def _analyse_with_budget(self, texts: list[str], ner: bool) -> dict[str, Any]:
        """Runs the detector on a daemon thread and waits at most the policy's budget.

        A thread cannot be killed: one that overruns is abandoned (told to stop after its current
        text), and what it finished in time is kept. A batch that raises is retried text by text, so
        only the text that fails becomes a marker.
        """
        done: dict[str, Any] = {}
        error = self._run_with_budget(texts, ner, done)
        if error is not None and len(texts) > 1:
            for text in texts:
                if text not in done:
                    single_error = self._run_with_budget([text], ner, done)
                    if single_error is not None and text not in done:
                        done[text] = _Failed(single_error)
        elif error is not None:
            done.setdefault(texts[0], _Failed(error))
        return done

    def _run_with_budget(self, texts: list[str], ner: bool, done: dict[str, Any]) -> str | None:
        stop = threading.Event()
        finished = threading.Event()
        outcome: list[str] = []

        def run() -> None:
            try:
                for index, findings in self.detector.analyze_iter(texts, ner=ner):
                    if stop.is_set():
                        return
                    done[texts[index]] = findings
            except BaseException as exc:  # SystemExit from a library must not escape the thread
                outcome.append(type(exc).__name__)
            finally:
                finished.set()

        thread = threading.Thread(target=run, name="otel-genai-redaction-analysis", daemon=True)
        thread.start()
        if not finished.wait(self.policy.time_budget_seconds):
            stop.set()
            cancel = getattr(self.detector, "cancel", None)
            if cancel is not None:  # a child process can be killed (a thread cannot)
                cancel()
            return "timeout"
        return outcome[0] if outcome else None

    def _remember(self, key: tuple[bytes, bool], findings: tuple[Finding, ...]) -> None:
        self._cache[key] = findings
        if len(self._cache) > self.policy.cache_size:
            self._cache.popitem(last=False)

    def _engine_label(self, ner: bool) -> str | None:
        detector = self._detector
        if detector is None or not getattr(detector, "_loaded", True):
            return None
        description = getattr(detector, "description", None)
        if description is None:
            return None
        return description if ner else "presidio patterns-only"

    # --- strip (overload) ---------------------------------------------------------------------------

    def _strip(self, item: Any, kind: _Kind, reason: str) -> Any:
        """The item without its content (exception messages and bodies keep a marker)."""
        changes: dict[tuple[Any, str], Any] = {
            (location, key): STRIPPED_MARKER if key in _KEEP_AS_MARKER else _DELETE
            for location, key, _value, _layout in kind.content(item, self.policy)
        }
        if not changes:
            return item
        return kind.rebuild(item, changes, {semconv.REDACTION_CONTENT_STRIPPED: reason})

    # --- metrics ------------------------------------------------------------------------------------

    def _metrics(self) -> _Instruments:
        if self._instruments is None:
            from opentelemetry import metrics

            meter = (self._meter_provider or metrics.get_meter_provider()).get_meter("otel_genai.redaction")
            self._instruments = _Instruments(
                meter.create_counter(
                    semconv.OTEL_GENAI_REDACTION_ENTITIES, "{entity}", "PII values replaced, by entity type"
                ),
                meter.create_counter(
                    semconv.OTEL_GENAI_REDACTION_FAILURES,
                    "{field}",
                    "Content fields that could not be analysed and were exported as a marker",
                ),
                meter.create_counter(
                    semconv.OTEL_GENAI_REDACTION_DEGRADED,
                    "{item}",
                    "Spans and log records not fully redacted because the worker could not keep up",
                ),
            )
        return self._instruments

    def _record(self, audit: _Audit) -> None:
        counter = self._metrics().entities
        for entity, count in audit.entities.items():
            counter.add(count, {semconv.OTEL_GENAI_REDACTION_ENTITY_TYPE: entity})


# --- replacing findings in one text -----------------------------------------------------------------


def redact_text(
    text: str, findings: Sequence[Finding], policy: RedactionPolicy
) -> tuple[str, collections.Counter, bool]:
    """``(new text, count per entity type, whether the policy drops the field)``.

    Overlapping findings are merged into one span (the union, so nothing partly survives), typed by
    the longest finding (an address containing a city is an address), then the most confident.
    """
    merged = merge_findings(findings)
    counts: collections.Counter = collections.Counter(f.entity_type for f in merged)
    if any(policy.operator_for(f.entity_type) is Operator.DROP for f in merged):
        return "", counts, True
    pieces = []
    position = 0
    for finding in merged:
        pieces.append(text[position : finding.start])
        pieces.append(policy.replacement(finding.entity_type, text[finding.start : finding.end]))
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces), counts, False


def merge_findings(findings: Sequence[Finding]) -> list[Finding]:
    groups: list[tuple[int, int, Finding]] = []  # (start, end, the group's best original finding)

    def rank(finding: Finding) -> tuple[int, float]:
        return (finding.end - finding.start, finding.score)

    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if groups and finding.start < groups[-1][1]:
            start, end, best = groups[-1]
            groups[-1] = (start, max(end, finding.end), best if rank(best) >= rank(finding) else finding)
        else:
            groups.append((finding.start, finding.end, finding))
    return [Finding(start, end, best.entity_type, best.score) for start, end, best in groups]


def analysis_chunks(texts: list[str], limit: int = ANALYSIS_CHUNK_CHARS) -> Iterable[list[str]]:
    """The texts in groups of at most ``limit`` characters: one analysis call, one time budget each."""
    chunk: list[str] = []
    size = 0
    for text in texts:
        if chunk and size + len(text) > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(text)
        size += len(text)
    if chunk:
        yield chunk


def _audit_attributes(audit: _Audit, engine: str | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    total = sum(audit.entities.values())
    if total:
        attributes[semconv.REDACTION_PII_COUNT] = total
        attributes[semconv.REDACTION_PII_TYPES] = tuple(sorted(audit.entities))
        for entity, count in audit.entities.items():
            attributes[semconv.redaction_pii_type_count(entity)] = count
    if audit.failed:
        attributes[semconv.REDACTION_FAILED_COUNT] = audit.failed
    if audit.binary:
        attributes[semconv.REDACTION_BINARY_COUNT] = audit.binary
    if engine:
        attributes[semconv.REDACTION_ENGINE] = engine
    return attributes


# --- where content lives in spans and in log records ------------------------------------------------


class _Kind(NamedTuple):
    """How to find content in one kind of item and how to build its redacted copy."""

    content: Callable[[Any, RedactionPolicy], list[tuple[Any, str, Any, str]]]
    rebuild: Callable[[Any, dict[tuple[Any, str], Any], dict[str, Any]], Any]


def _content_attributes(
    attributes: Any, location: Any, policy: RedactionPolicy
) -> list[tuple[Any, str, Any, str]]:
    """``(location, key, value, layout)`` for each content attribute."""
    found = []
    for key, value in (attributes or {}).items():
        layout = layout_for(key, policy.redacts_key)
        if layout is not None:
            found.append((location, key, value, layout))
    return found


def _span_content(span: ReadableSpan, policy: RedactionPolicy) -> list[tuple[Any, str, Any, str]]:
    found = _content_attributes(span.attributes, "span", policy)
    for index, event in enumerate(span.events or ()):
        found += _content_attributes(event.attributes, ("event", index), policy)
    status = span.status
    description = status.description if status is not None else None
    # an error message is content; a description that is just the error type is not
    if description and description != (span.attributes or {}).get(semconv.ERROR_TYPE):
        found.append((STATUS, STATUS_DESCRIPTION, description, TEXT))
    return found


def _new_attributes(original: Any, location: Any, changes: dict, extra: dict[str, Any]) -> dict[str, Any]:
    attributes = dict(original or {})
    for (where, key), value in changes.items():
        if where != location:
            continue
        if value is _DELETE:
            attributes.pop(key, None)
        else:
            attributes[key] = value
    attributes.update(extra)
    return attributes


class RedactedSpan(ReadableSpan):
    """A copy of a span with new attributes, events and status; keeps the original's dropped counts."""

    def __init__(
        self,
        original: ReadableSpan,
        attributes: dict[str, Any],
        events: Sequence[Event],
        status: Status | None = None,
    ) -> None:
        super().__init__(
            name=original.name,
            context=original.context,
            parent=original.parent,
            resource=original.resource,
            attributes=attributes,
            events=events,
            links=original.links,
            kind=original.kind,
            status=status if status is not None else original.status,
            start_time=original.start_time,
            end_time=original.end_time,
            instrumentation_scope=original.instrumentation_scope,
        )
        self._dropped = (original.dropped_attributes, original.dropped_events, original.dropped_links)

    @property
    def dropped_attributes(self) -> int:
        return self._dropped[0]

    @property
    def dropped_events(self) -> int:
        return self._dropped[1]

    @property
    def dropped_links(self) -> int:
        return self._dropped[2]


def _rebuild_span(span: ReadableSpan, changes: dict, extra: dict[str, Any]) -> ReadableSpan:
    attributes = _new_attributes(span.attributes, "span", changes, extra)
    events = []
    for index, event in enumerate(span.events or ()):
        location = ("event", index)
        if any(where == location for where, _ in changes):
            attributes_of_event = _new_attributes(event.attributes, location, changes, {})
            event = Event(event.name, attributes_of_event, event.timestamp)
        events.append(event)
    status = None
    description = changes.get((STATUS, STATUS_DESCRIPTION))
    if description is not None:
        if description is _DELETE:  # stripped, or dropped by the policy: the error's type is what stays
            description = _error_type_of(span, events)
        status = Status(span.status.status_code, description)
    return RedactedSpan(span, attributes, events, status)


def _error_type_of(span: ReadableSpan, events: Sequence[Event]) -> str:
    """What a span's status can say without content: ``error.type``, else the exception's type."""
    error_type = (span.attributes or {}).get(semconv.ERROR_TYPE)
    if isinstance(error_type, str) and error_type:
        return error_type
    for event in events:
        if event.name != semconv.EXCEPTION_EVENT:
            continue
        kind = (event.attributes or {}).get(semconv.EXCEPTION_TYPE)
        if isinstance(kind, str) and kind:
            return kind
    return STRIPPED_MARKER


def _log_content(record: Any, policy: RedactionPolicy) -> list[tuple[Any, str, Any, str]]:
    log = record.log_record
    found = _content_attributes(log.attributes, "log", policy)
    if log.body is not None:
        found.append(("body", "body", log.body, "any_json"))
    return found


def _rebuild_log(record: Any, changes: dict, extra: dict[str, Any]) -> Any:
    log = copy.copy(record.log_record)
    log.attributes = _new_attributes(record.log_record.attributes, "log", changes, extra)
    body = changes.get(("body", "body"), log.body)
    log.body = None if body is _DELETE else body
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.replace(record, log_record=log)
    clone = copy.copy(record)
    clone.log_record = log
    return clone


_SPANS = _Kind(_span_content, _rebuild_span)
_LOGS = _Kind(_log_content, _rebuild_log)
