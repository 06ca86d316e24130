"""``exporter="console"``: finished traces printed as compact trees, for reading in a terminal.

The SDK's ``ConsoleSpanExporter`` prints one JSON document per span, in the order spans end (children
first), which is hard to follow. This exporter holds a trace's spans back until its local root ends, then
prints the whole tree at once: one line per span, the GenAI facts that matter beneath it (cost, prompt
version, drift from the release manifest in red), and captured content abbreviated on lines of its own.
Under the root, one line sums the trace up: the release, who it was for, and its total cost.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import weakref
from collections.abc import Sequence
from typing import Any, TextIO

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from otel_genai import semconv as sc

logger = logging.getLogger("otel_genai")

CONTENT_PREVIEW_CHARS = 120
# Long conversations show only their last messages.
MAX_CONTENT_LINES = 6
# Traces whose root never arrives are printed (marked incomplete) rather than kept forever.
MAX_PENDING_SPANS = 10_000

_CONTENT_LABELS = {
    sc.GEN_AI_SYSTEM_INSTRUCTIONS: "system",
    sc.GEN_AI_INPUT_MESSAGES: "input",
    sc.GEN_AI_OUTPUT_MESSAGES: "output",
    sc.GEN_AI_TOOL_DEFINITIONS: "tools",
    sc.GEN_AI_TOOL_CALL_ARGUMENTS: "arguments",
    sc.GEN_AI_TOOL_CALL_RESULT: "result",
    sc.GEN_AI_RETRIEVAL_QUERY_TEXT: "query",
}

_ANSI = {"bold": "\033[1m", "dim": "\033[2m", "red": "\033[31m", "green": "\033[32m", "cyan": "\033[36m"}
_RESET = "\033[0m"


class _Glyphs:
    """Tree-drawing characters: box drawing where the stream can encode it, ASCII otherwise."""

    def __init__(self, unicode: bool) -> None:
        self.branch, self.last, self.pipe, self.arrow, self.ellipsis = (
            ("├─ ", "└─ ", "│  ", "→", "…") if unicode else ("|- ", "`- ", "|  ", "->", "...")
        )


class ConsoleTreeExporter(SpanExporter):
    """Prints each finished trace as an indented tree when its root span (local or remote parent) ends.

    Writes to ``stream`` (default ``sys.stdout``). Colours are used only when the stream is a terminal and
    ``NO_COLOR`` is not set (https://no-color.org); ``color=True/False`` overrides that. Never raises.
    """

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None) -> None:
        self._stream = stream
        self._color = color
        self._pending: dict[int, list[ReadableSpan]] = {}
        self._lock = threading.Lock()
        self._stopped = False
        # evaluations of a span (online evaluators, record_evaluation), printed under it; a trace whose
        # answers the online evaluators still judge is held until they are done (or shutdown)
        self._evaluations: dict[int, list[str]] = {}
        self._held: dict[int, list[tuple[list[ReadableSpan], ReadableSpan]]] = {}
        from otel_genai.evaluation.events import WATCHERS

        self._watchers = WATCHERS
        me = weakref.ref(self)
        self._watching = (
            lambda context, attributes: _call(me, "_evaluated", context, attributes),
            lambda trace_id: _call(me, "_judged", trace_id),
        )
        WATCHERS.emitted.append(self._watching[0])
        WATCHERS.judged.append(self._watching[1])

    @property
    def stream(self) -> TextIO:
        # Resolved at write time, so that a replaced sys.stdout (pytest's capsys, redirections) is honoured.
        return self._stream if self._stream is not None else sys.stdout

    # --- SpanExporter --------------------------------------------------------------------------

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._stopped:
            return SpanExportResult.FAILURE
        try:
            with self._lock:
                ready = self._collect(spans)
                printable = []
                for trace_spans, root, complete in ready:
                    trace_id = _trace_id(root)
                    if complete and self._watchers.pending(trace_id):
                        self._held.setdefault(trace_id, []).append((trace_spans, root))
                    else:
                        printable.append((trace_spans, root, complete))
            for trace_spans, root, complete in printable:
                self._write(self._render(trace_spans, root, complete))
            return SpanExportResult.SUCCESS
        except Exception:
            logger.debug("otel_genai: could not print spans", exc_info=True)
            return SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        # Spans of unfinished traces stay buffered: printing half a tree would only mislead.
        return True

    def shutdown(self) -> None:
        """Print what is still buffered (traces whose root never ended), marked incomplete."""
        emitted, judged = self._watching
        if emitted in self._watchers.emitted:
            self._watchers.emitted.remove(emitted)
        if judged in self._watchers.judged:
            self._watchers.judged.remove(judged)
        try:
            with self._lock:
                leftovers = list(self._pending.values())
                self._pending.clear()
                held = [tree for trees in self._held.values() for tree in trees]
                self._held.clear()
                self._stopped = True
            for trace_spans, root in held:  # the evaluators did not finish in time: printed without them
                self._write(self._render(trace_spans, root, complete=True))
            for trace_spans in leftovers:
                for root in _local_roots(trace_spans):
                    self._write(self._render(trace_spans, root, complete=False))
        except Exception:
            logger.debug("otel_genai: could not print the remaining spans", exc_info=True)

    # --- evaluations ---------------------------------------------------------------------------

    def _evaluated(self, context: Any, attributes: dict[str, Any]) -> None:
        """An evaluation of one span: a line for it, under that span."""
        line = _evaluation_text(attributes)
        with self._lock:
            lines = self._evaluations.setdefault(context.span_id, [])
            lines.append(line)
            while len(self._evaluations) > MAX_PENDING_SPANS:
                self._evaluations.pop(next(iter(self._evaluations)))

    def _judged(self, trace_id: int) -> None:
        """The online evaluators finished an answer of this trace: print it if none is left."""
        with self._lock:
            if trace_id not in self._held or self._watchers.pending(trace_id):
                return
            trees = self._held.pop(trace_id)
        for trace_spans, root in trees:
            self._write(self._render(trace_spans, root, complete=True))

    # --- buffering -----------------------------------------------------------------------------

    def _collect(self, spans: Sequence[ReadableSpan]) -> list[tuple[list[ReadableSpan], ReadableSpan, bool]]:
        """Buffer ``spans``; return (spans of the trace, root, complete) for every root that arrived."""
        ready = []
        for span in spans:
            trace_id = _trace_id(span)
            buffered = self._pending.setdefault(trace_id, [])
            buffered.append(span)
            if _is_local_root(span):
                subtree = _subtree(buffered, span)
                ready.append((subtree, span, True))
                printed = {id(s) for s in subtree}
                remaining = [s for s in buffered if id(s) not in printed]
                if remaining:
                    self._pending[trace_id] = remaining
                else:
                    del self._pending[trace_id]
        while sum(len(v) for v in self._pending.values()) > MAX_PENDING_SPANS:
            oldest = next(iter(self._pending))
            trace_spans = self._pending.pop(oldest)
            ready.extend((trace_spans, root, False) for root in _local_roots(trace_spans))
        return ready

    # --- rendering -----------------------------------------------------------------------------

    def _render(self, spans: list[ReadableSpan], root: ReadableSpan, complete: bool) -> str:
        glyphs = _Glyphs(_can_encode(self.stream, "├─│└→…"))
        paint = self._painter()
        children = _children_by_parent(spans)
        service = _service_name(root)
        header = f"trace {_trace_id(root):032x}"
        if service:
            header += f"  service={service}"
        if not complete:
            header += "  (incomplete: its root span never ended)"
        lines = [paint(header, "dim")]
        seen: set[int] = set()  # guards against parent cycles in malformed spans

        def visit(span: ReadableSpan, prefix: str, connector: str, continuation: str) -> None:
            if id(span) in seen:
                return
            seen.add(id(span))
            lines.append(prefix + connector + _headline(span, paint))
            detail_prefix = prefix + continuation + (glyphs.pipe if children.get(_span_id(span)) else "   ")
            details = _details(span, glyphs)
            details += [(line, "cyan") for line in self._evaluations.pop(_span_id(span), ())]
            if span is root:
                details += _trace_summary(spans, glyphs)
            for detail, style in details:
                lines.append(detail_prefix + paint(detail, style))
            kids = children.get(_span_id(span), [])
            for index, child in enumerate(kids):
                last = index == len(kids) - 1
                visit(child, prefix + continuation, glyphs.last if last else glyphs.branch,
                      "   " if last else glyphs.pipe)  # fmt: skip

        visit(root, "", "", "")
        return "\n".join(lines) + "\n"

    def _painter(self) -> Any:
        use_color = self._color
        if use_color is None:
            use_color = _is_tty(self.stream) and not os.environ.get("NO_COLOR")
        if not use_color:
            return lambda text, *styles: text
        return lambda text, *styles: "".join(_ANSI[s] for s in styles) + text + _RESET

    def _write(self, text: str) -> None:
        stream = self.stream
        with self._lock:
            stream.write(text)
            stream.flush()


def _call(ref: Any, method: str, *args: Any) -> None:
    """Call a method of an exporter held weakly (a watcher must not keep a shut-down exporter alive)."""
    exporter = ref()
    if exporter is not None and not exporter._stopped:
        getattr(exporter, method)(*args)


def _evaluation_text(attributes: dict[str, Any]) -> str:
    """``evaluation schema_valid 1.0 valid: $.items[0]: ...`` (the explanation when it went out)."""
    get = attributes.get
    text = f"evaluation {get(sc.GEN_AI_EVALUATION_NAME)}"
    score = get(sc.GEN_AI_EVALUATION_SCORE_VALUE)
    if isinstance(score, (int, float)):
        text += f" {score:.2f}"
    if get(sc.GEN_AI_EVALUATION_SCORE_LABEL):
        text += f" {get(sc.GEN_AI_EVALUATION_SCORE_LABEL)}"
    if get(sc.ERROR_TYPE):
        text += f" (could not run: {get(sc.ERROR_TYPE)})"
    if get(sc.GEN_AI_EVALUATION_EXPLANATION):
        text += f": {_abbreviate(str(get(sc.GEN_AI_EVALUATION_EXPLANATION)), '...')}"
    return text


# --- span helpers (all tolerant of missing fields) -----------------------------------------------


def _trace_id(span: Any) -> int:
    return getattr(getattr(span, "context", None), "trace_id", 0) or 0


def _span_id(span: Any) -> int:
    return getattr(getattr(span, "context", None), "span_id", 0) or 0


def _parent_id(span: Any) -> int | None:
    parent = getattr(span, "parent", None)
    return getattr(parent, "span_id", None) if parent is not None else None


def _is_local_root(span: Any) -> bool:
    """No parent, or a parent in another process (propagated in, e.g. from an incoming request)."""
    parent = getattr(span, "parent", None)
    return parent is None or bool(getattr(parent, "is_remote", False))


def _local_roots(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    """Spans whose parent is not among ``spans``, oldest first."""
    ids = {_span_id(s) for s in spans}
    return sorted((s for s in spans if _parent_id(s) not in ids), key=_start)


def _subtree(spans: list[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    children = _children_by_parent(spans)
    result, seen, todo = [], set(), [root]
    while todo:
        span = todo.pop()
        if id(span) not in seen:
            seen.add(id(span))
            result.append(span)
            todo.extend(children.get(_span_id(span), ()))
    return result


def _children_by_parent(spans: list[ReadableSpan]) -> dict[int, list[ReadableSpan]]:
    children: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        parent_id = _parent_id(span)
        if parent_id is not None and parent_id != _span_id(span):
            children.setdefault(parent_id, []).append(span)
    for siblings in children.values():
        siblings.sort(key=_start)
    return children


def _start(span: Any) -> int:
    start = getattr(span, "start_time", None)
    return start if isinstance(start, int) else 0


def _attributes(span: Any) -> dict[str, Any]:
    attributes = getattr(span, "attributes", None)
    try:
        return dict(attributes or {})
    except Exception:
        return {}


def _service_name(span: Any) -> str | None:
    resource = getattr(span, "resource", None)
    attributes = getattr(resource, "attributes", None) or {}
    name = attributes.get("service.name")
    return str(name) if name else None


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def _can_encode(stream: Any, text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return True
    except (LookupError, UnicodeError):
        return False


def _headline(span: Any, paint: Any) -> str:
    """``name  12.3 ms  OK``."""
    name = str(getattr(span, "name", None) or "<unnamed>")
    start, end = getattr(span, "start_time", None), getattr(span, "end_time", None)
    duration = f"{(end - start) / 1e6:.1f} ms" if isinstance(start, int) and isinstance(end, int) else "? ms"
    status = getattr(span, "status", None)
    code = getattr(status, "status_code", StatusCode.UNSET)
    if code is StatusCode.ERROR:
        description = getattr(status, "description", None)
        status_text = paint("ERROR" + (f": {description}" if description else ""), "red", "bold")
    elif code is StatusCode.OK:
        status_text = paint("OK", "green")
    else:
        status_text = paint("UNSET", "dim")
    return f"{paint(name, 'bold')}  {paint(duration, 'cyan')}  {status_text}"


# (text, style) of one line beneath a span's headline
_Line = tuple[str, str]


def _details(span: Any, glyphs: _Glyphs) -> list[_Line]:
    """The key GenAI attributes on one line, the prompt and its fingerprints on the next, drift from the
    release (red), then one abbreviated line per captured content attribute."""
    attributes = _attributes(span)
    get = attributes.get
    lines: list[_Line] = []
    facts = _facts(get, glyphs)
    if facts:
        lines.append(("  ".join(facts), "dim"))
    prompt = _prompt_text(get)
    if prompt:
        lines.append((prompt, "dim"))
    drift = _drift_text(get)
    if drift:
        lines.append((drift, "red"))
    lines.extend((line, "dim") for line in _content_lines(get, glyphs))
    return lines


def _facts(get: Any, glyphs: _Glyphs) -> list[str]:
    facts = []
    request_model, response_model = get(sc.GEN_AI_REQUEST_MODEL), get(sc.GEN_AI_RESPONSE_MODEL)
    if request_model or response_model:
        model = str(request_model or response_model)
        if response_model and request_model and response_model != request_model:
            model += f" {glyphs.arrow} {response_model}"
        facts.append(f"model={model}")
    tokens_in, tokens_out = get(sc.GEN_AI_USAGE_INPUT_TOKENS), get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)
    if tokens_in is not None or tokens_out is not None:
        facts.append(
            "tokens"
            + "".join(f" {k}={v}" for k, v in (("in", tokens_in), ("out", tokens_out)) if v is not None)
        )
    cost = _span_cost(get)
    if cost is not None:
        amount, currency, provider = cost
        facts.append("cost=" + _money(amount, currency, estimate=not provider))
    if get(sc.GEN_AI_EMBEDDINGS_DIMENSION_COUNT) is not None:
        facts.append(f"dimensions={get(sc.GEN_AI_EMBEDDINGS_DIMENSION_COUNT)}")
    if get(sc.GEN_AI_RESPONSE_FINISH_REASONS):
        facts.append(f"finish={_text(get(sc.GEN_AI_RESPONSE_FINISH_REASONS))}")
    first_chunk = get(sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)
    if isinstance(first_chunk, (int, float)):
        facts.append(f"first_chunk={first_chunk * 1000:.1f} ms")
    if get(sc.OTEL_GENAI_RESPONSE_TOOL_CALL_NAMES):
        facts.append(f"tool_calls={_text(get(sc.OTEL_GENAI_RESPONSE_TOOL_CALL_NAMES))}")
    if get(sc.GEN_AI_TOOL_NAME):
        facts.append(f"tool={get(sc.GEN_AI_TOOL_NAME)}")
    if get(sc.GEN_AI_TOOL_CALL_ID):
        facts.append(f"call_id={get(sc.GEN_AI_TOOL_CALL_ID)}")
    facts.extend(_retrieval_facts(get, glyphs))
    if get(sc.ERROR_TYPE):
        facts.append(f"error.type={get(sc.ERROR_TYPE)}")
    return facts


def _content_lines(get: Any, glyphs: _Glyphs) -> list[str]:
    lines = []
    for name, label in _CONTENT_LABELS.items():
        value = get(name)
        if value is None:
            continue
        pieces = [_abbreviate(piece, glyphs.ellipsis) for piece in _content_pieces(value)]
        if len(pieces) == 1:
            lines.append(f"{label}: {pieces[0]}")
        else:  # one line per message
            lines.append(f"{label}:")
            if len(pieces) > MAX_CONTENT_LINES:
                lines.append(f"  ({len(pieces) - MAX_CONTENT_LINES} earlier)")
                pieces = pieces[-MAX_CONTENT_LINES:]
            lines.extend("  " + piece for piece in pieces)
    hits = _json_list(get(sc.GEN_AI_RETRIEVAL_DOCUMENTS)) or []
    texts = [hit for hit in hits if isinstance(hit, dict) and hit.get("content")]
    if texts:  # retrieved text, captured with content
        lines.append("documents:")
        for hit in texts[:MAX_CONTENT_LINES]:
            lines.append("  " + _abbreviate(f"{hit.get('id', '?')}: {hit['content']}", glyphs.ellipsis))
    return lines


# --- LLMOps: cost, prompt, drift, and the trace's release and attribution -------------------------

# how many characters of a pseudonymous user id (a 32-character HMAC) are shown
PSEUDO_ID_CHARS = 8

# drift kind -> (the span attribute with the call's value, the release attributes with the manifest's, in
# order of preference)
_R = sc.OTEL_GENAI_RELEASE_PREFIX
_DRIFT_VALUES: dict[str, tuple[str, tuple[str, ...]]] = {
    sc.DRIFT_MODEL_VERSION: (sc.GEN_AI_RESPONSE_MODEL, (_R + "model.pinned_version", _R + "model.name")),
    sc.DRIFT_MODEL: (sc.GEN_AI_REQUEST_MODEL, (_R + "model.name",)),
    sc.DRIFT_TEMPERATURE: (sc.GEN_AI_REQUEST_TEMPERATURE, (_R + "model.temperature",)),
    sc.DRIFT_MAX_TOKENS: (sc.GEN_AI_REQUEST_MAX_TOKENS, (_R + "model.max_tokens",)),
    sc.DRIFT_TOP_K: (sc.GEN_AI_RETRIEVAL_TOP_K, (_R + "retrieval.top_k",)),
    sc.DRIFT_EMBEDDING_MODEL: (sc.GEN_AI_REQUEST_MODEL, (_R + "retrieval.embedding_model",)),
}

# kinds that a request drifts to by not sending the value (the provider's default then applies)
_UNSET_DRIFTS = (sc.DRIFT_TEMPERATURE, sc.DRIFT_MAX_TOKENS)


def _span_cost(get: Any) -> tuple[float, str, bool] | None:
    """(amount, currency, reported by the provider) of a span that carries a cost."""
    amount = get(sc.GEN_AI_USAGE_COST_AMOUNT)
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
        return None
    currency = get(sc.GEN_AI_USAGE_COST_CURRENCY)
    provider = get(sc.GEN_AI_USAGE_COST_SOURCE) == sc.COST_SOURCE_PROVIDER
    return float(amount), str(currency) if currency else "USD", provider


def _money(amount: float, currency: str, estimate: bool) -> str:
    """``$0.000123``: up to three significant digits below a dollar, cents above. ``~`` marks an estimate
    (tokens x the price table) as against the price the provider reported."""
    if amount == 0 or abs(amount) >= 1:
        digits = 2
    else:  # 0.000123 -> 6 decimals; at most 12
        digits = min(12, max(2, 2 - math.floor(math.log10(abs(amount)))))
    number = f"{amount:.{digits}f}"
    whole, _, fraction = number.partition(".")
    number = f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"  # 0.00200 -> 0.002, 0.500 -> 0.50
    text = f"${number}" if currency.upper() == "USD" else f"{number} {currency}"
    return ("~" if estimate else "") + text


def _prompt_text(get: Any) -> str:
    """``prompt=summarizer@v7  fingerprints: system=... tools=...``."""
    parts = []
    name = get(sc.GEN_AI_PROMPT_NAME)
    if name:
        version = get(sc.GEN_AI_PROMPT_VERSION)
        parts.append(f"prompt={name}" + (f"@{version}" if version else ""))
    fingerprints = [
        f"{label}={get(attribute)}"
        for label, attribute in (
            ("system", sc.OTEL_GENAI_PROMPT_FINGERPRINT),
            ("tools", sc.OTEL_GENAI_TOOL_DEFINITIONS_FINGERPRINT),
        )
        if get(attribute)
    ]
    if fingerprints:
        parts.append("fingerprints: " + " ".join(fingerprints))
    return "  ".join(parts)


def _drift_text(get: Any) -> str:
    """``drift: temperature=0.7 (release: 0.2), model=gpt-4o (release: gpt-4o-mini)``: what differs from
    the release manifest, with the call's value and the manifest's when the span has both."""
    kinds = get(sc.OTEL_GENAI_RELEASE_DRIFT)
    if not kinds:
        return ""
    described = []
    for kind in kinds if isinstance(kinds, (list, tuple)) else [kinds]:
        call_attribute, release_attributes = _DRIFT_VALUES.get(str(kind), ("", ()))
        pinned = next((get(name) for name in release_attributes if get(name) is not None), None)
        if pinned is None:
            described.append(str(kind))
            continue
        value = get(call_attribute)
        if value is None and kind not in _UNSET_DRIFTS:
            described.append(str(kind))
            continue
        described.append(f"{kind}={'unset' if value is None else value} (release: {pinned})")
    return "drift: " + ", ".join(described)


def _trace_summary(spans: list[ReadableSpan], glyphs: _Glyphs) -> list[_Line]:
    """One line under the root: the release(s) of the trace's GenAI spans, who they were for (tenant,
    session, user: a pseudonymous id shortened), and the total cost when more than one span has one."""
    values: dict[str, list[str]] = {}

    def note(label: str, value: Any) -> None:
        if value is None or value == "":
            return
        seen = values.setdefault(label, [])
        if str(value) not in seen:
            seen.append(str(value))

    totals: dict[str, float] = {}
    priced = 0
    estimate = False
    for span in sorted(spans, key=_start):
        get = _attributes(span).get
        feature, version = get(sc.OTEL_GENAI_RELEASE_FEATURE), get(sc.OTEL_GENAI_RELEASE_VERSION)
        if feature:
            note("release", f"{feature}@{version}" if version else feature)
        note("tenant", get(sc.OTEL_GENAI_TENANT_ID))
        if get(sc.OTEL_GENAI_FEATURE) != feature:
            note("feature", get(sc.OTEL_GENAI_FEATURE))
        note("session", get(sc.SESSION_ID))
        note("user", get(sc.ENDUSER_ID))
        pseudo = get(sc.ENDUSER_PSEUDO_ID)
        if pseudo:
            pseudo = str(pseudo)
            shortened = len(pseudo) > PSEUDO_ID_CHARS + 1
            note("user", pseudo[:PSEUDO_ID_CHARS] + glyphs.ellipsis if shortened else pseudo)
        cost = _span_cost(get)
        if cost is not None:
            amount, currency, provider = cost
            totals[currency] = totals.get(currency, 0.0) + amount
            priced += 1
            estimate = estimate or not provider
    facts = [f"{label}={','.join(found)}" for label, found in values.items()]
    if priced > 1:
        total = " + ".join(_money(amount, currency, estimate) for currency, amount in totals.items())
        facts.append(f"total cost={total} ({priced} calls)")
    return [("  ".join(facts), "dim")] if facts else []


# hits shown on a retrieval span's line
MAX_HITS_SHOWN = 3


def _retrieval_facts(get: Any, glyphs: _Glyphs) -> list[str]:
    """``top_k=3  hits: doc-1 (0.12), doc-7 (0.40), ... (distance l2)``, and db spans' counts."""
    facts = []
    if get(sc.DB_SYSTEM_NAME):
        facts.append(f"db={get(sc.DB_SYSTEM_NAME)}")
    if get(sc.GEN_AI_RETRIEVAL_TOP_K) is not None:
        facts.append(f"top_k={get(sc.GEN_AI_RETRIEVAL_TOP_K)}")
    for name, label in ((sc.DB_RESPONSE_RETURNED_ROWS, "rows"), (sc.OTEL_GENAI_DB_RECORD_COUNT, "records")):
        if get(name) is not None:
            facts.append(f"{label}={get(name)}")
    hits = _json_list(get(sc.GEN_AI_RETRIEVAL_DOCUMENTS))
    if hits:
        shown = []
        for hit in hits[:MAX_HITS_SHOWN]:
            hit = hit if isinstance(hit, dict) else {}
            score = hit.get("score")
            label = str(hit.get("id", "?"))
            shown.append(f"{label} ({score:.3g})" if isinstance(score, (int, float)) else label)
        more = f", {glyphs.ellipsis}" if len(hits) > MAX_HITS_SHOWN else ""
        kind = " ".join(
            str(get(n))
            for n in (sc.OTEL_GENAI_RETRIEVAL_SCORE_KIND, sc.OTEL_GENAI_RETRIEVAL_SCORE_METRIC)
            if get(n)
        )
        facts.append(f"hits: {', '.join(shown)}{more}" + (f" [{kind}]" if kind else ""))
    return facts


def _text(value: Any, missing: str = "") -> str:
    if value is None:
        return missing
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _abbreviate(text: str, ellipsis: str) -> str:
    text = " ".join(text.split())  # one line
    return text if len(text) <= CONTENT_PREVIEW_CHARS else text[:CONTENT_PREVIEW_CHARS] + ellipsis


def _content_pieces(value: Any) -> list[str]:
    """The readable text of a content attribute: one ``role: text`` per message, else a single piece."""
    document = _json_list(value)
    if document is None:
        return [_text(value)]
    if all(isinstance(item, dict) and isinstance(item.get("parts"), list) for item in document):  # messages
        return [
            f"{m.get('role', '?')}: {' '.join(_part_text(p) for p in m['parts'])}".rstrip() for m in document
        ]
    if all(isinstance(item, dict) and "name" in item for item in document):  # tool definitions
        return [", ".join(str(item["name"]) for item in document)]
    return [" ".join(_part_text(part) for part in document)]  # bare parts (system instructions), documents


def _json_list(value: Any) -> list[Any] | None:
    if not isinstance(value, str):
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, list) and document else None


def _part_text(part: Any) -> str:
    if not isinstance(part, dict):
        return str(part)
    kind = part.get("type")
    if kind == "tool_call":
        return f"{part.get('name')}({_compact(part.get('arguments'))})"
    if kind == "tool_call_response":
        return f"[result] {_compact(part.get('response'))}"
    if "content" in part:
        return str(part["content"])
    return f"[{kind}]"


def _compact(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
