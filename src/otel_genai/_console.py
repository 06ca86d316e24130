"""``exporter="console"``: finished traces printed as compact trees, for reading in a terminal.

The SDK's ``ConsoleSpanExporter`` prints one JSON document per span, in the order spans end (children
first), which is hard to follow. This exporter holds a trace's spans back until its local root ends, then
prints the whole tree at once: one line per span, the GenAI facts that matter beneath it, and captured
content abbreviated on lines of its own.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
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
            for trace_spans, root, complete in ready:
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
        try:
            with self._lock:
                leftovers = list(self._pending.values())
                self._pending.clear()
                self._stopped = True
            for trace_spans in leftovers:
                for root in _local_roots(trace_spans):
                    self._write(self._render(trace_spans, root, complete=False))
        except Exception:
            logger.debug("otel_genai: could not print the remaining spans", exc_info=True)

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
            for detail in _details(span, glyphs):
                lines.append(detail_prefix + paint(detail, "dim"))
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


def _details(span: Any, glyphs: _Glyphs) -> list[str]:
    """The key GenAI attributes on one line, then one abbreviated line per captured content attribute."""
    attributes = _attributes(span)
    get = attributes.get
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
    lines = ["  ".join(facts)] if facts else []
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
