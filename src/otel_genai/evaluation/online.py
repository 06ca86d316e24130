"""Online evaluation: the evaluators ``instrument(evaluators=...)`` names judge model answers as they finish,
on a worker thread, never on the request path.

When a sampled model call's span ends, the handler hands its record (content built for it, even with capture
off: it never leaves the process for this) and its span's identity to ``OnlineEvaluation.submit``: an append
to a bounded queue (a burst beyond it is dropped and counted, never waited for). The worker turns the record
into an ``Answer`` (the output text, the requested schema, the tool calls and their declared parameters, the
refusal, the documents retrieved earlier in the same trace) and runs each evaluator; each result becomes a
``gen_ai.evaluation.result`` event on the model span and a score (``events.Evaluations.emit``).

A judge's own model calls (an LLM-as-judge evaluator calling a model inside ``judging()``) are traced, marked
``otel_genai.evaluation.judge = true`` and never evaluated themselves.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import NonRecordingSpan, SpanContext

from otel_genai.evaluation.evaluators import BUILT_IN, Answer, EvaluationResult
from otel_genai.evaluation.events import JUDGING_KEY as _JUDGING_KEY
from otel_genai.evaluation.events import WATCHERS
from otel_genai.telemetry.records import Inference

logger = logging.getLogger("otel_genai")

QUEUE_SIZE = 256  # answers waiting for the worker; beyond it a burst is dropped (and counted)
_DOCUMENT_TRACES = 512  # traces whose retrieved documents are kept for groundedness
_DOCUMENTS_PER_TRACE = 64  # the latest retrieved documents of one trace (an agent loop retrieves without end)


@contextlib.contextmanager
def judging() -> Iterator[None]:
    """Model calls made inside are an evaluator's own (an LLM-as-judge): traced and marked, never judged."""
    token = otel_context.attach(otel_context.set_value(_JUDGING_KEY, True))
    try:
        yield
    finally:
        otel_context.detach(token)


def is_judging() -> bool:
    return otel_context.get_value(_JUDGING_KEY) is True


class OnlineEvaluation:
    """The configured evaluators, the sampling decision, the queue and its worker thread."""

    def __init__(
        self, evaluators: Sequence[Any], sample_rate: float, evaluations: Any, content: bool
    ) -> None:
        self.evaluators = [BUILT_IN[item]() if isinstance(item, str) else item for item in evaluators]
        self.sample_rate = sample_rate
        self.evaluations = evaluations  # events.Evaluations: where results go
        self.content = content  # content capture is on: retrieved documents are known (groundedness)
        self.dropped = 0
        self._queue: deque[tuple[Inference, SpanContext, dict[str, Any]]] = deque()
        self._documents: OrderedDict[int, list[str]] = OrderedDict()
        self._lock = threading.Condition()
        self._busy = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        if hasattr(os, "register_at_fork"):
            # A pre-fork server (gunicorn --preload) forks after instrument(): the child has no worker thread,
            # and a lock the worker held at the fork would stay held there forever (blocking ``submit``).
            reference = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: (method := reference()) and method())

    def _after_fork(self) -> None:
        """In a forked child: a fresh lock and queue, no worker (``submit`` starts one); the parent judges
        what it had queued."""
        self._lock = threading.Condition()
        self._queue.clear()
        self._busy = 0
        self._thread = None

    # --- on the application's thread (cheap) ------------------------------------------------------------

    def sampled(self) -> bool:
        """Whether the call starting now is judged: sampled, and not a judge's own call."""
        if is_judging():
            return False
        rate = self.sample_rate
        return rate >= 1.0 or (rate > 0.0 and random.random() < rate)

    def remember_documents(self, trace_id: int, texts: list[str]) -> None:
        """A retrieval's document texts (an empty list without content capture: the trace had a retrieval),
        for the answers later in the same trace."""
        with self._lock:
            kept = self._documents.setdefault(trace_id, [])
            kept.extend(texts)
            del kept[:-_DOCUMENTS_PER_TRACE]
            self._documents.move_to_end(trace_id)
            while len(self._documents) > _DOCUMENT_TRACES:
                self._documents.popitem(last=False)

    def submit(self, record: Inference, context: SpanContext, dimensions: dict[str, Any]) -> None:
        """Queue an answer for the worker: an append, or a drop when the queue is full."""
        with self._lock:
            if self._stopped:
                return
            if len(self._queue) >= QUEUE_SIZE:
                self.dropped += 1
                return
            self._queue.append((record, context, dimensions))
            WATCHERS.queued(context.trace_id)
            if self._thread is None or not self._thread.is_alive():  # first use; or the worker died
                self._thread = threading.Thread(target=self._run, name="otel_genai-evaluation", daemon=True)
                self._thread.start()
            self._lock.notify()

    # --- the worker ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopped:
                    self._lock.wait()
                if not self._queue:
                    return
                record, context, dimensions = self._queue.popleft()
                self._busy += 1
            try:
                self._judge(record, context, dimensions)
            except Exception:
                logger.debug("otel_genai: could not evaluate an answer", exc_info=True)
            finally:
                WATCHERS.done(context.trace_id)
                with self._lock:
                    self._busy -= 1
                    self._lock.notify_all()

    def _judge(self, record: Inference, context: SpanContext, dimensions: dict[str, Any]) -> None:
        answer = self.answer_of(record, context)
        span = NonRecordingSpan(context)
        for evaluator in self.evaluators:
            name = str(getattr(evaluator, "name", type(evaluator).__name__))
            try:
                # an LLM judge's own model calls are marked and never judged, even without its own judging()
                # (else each of its calls would be judged by it again, without end)
                with judging():
                    result = evaluator.evaluate(answer)
            except Exception as error:  # a user's evaluator failed: said so, the others still run
                result = EvaluationResult(name, error_type=type(error).__name__)
            if result is None:
                continue
            try:
                self.evaluations.emit(
                    result.name or name,
                    score=result.score,
                    label=result.label,
                    explanation=result.explanation,
                    error_type=result.error_type,
                    span=span,
                    response_id=record.response_id,
                    dimensions=dimensions,
                    explanation_is_content=not isinstance(evaluator, tuple(BUILT_IN.values())),
                )
            except Exception:  # a result that cannot be emitted (a score not a number): the others still can
                logger.debug("otel_genai: could not emit evaluation %r", name, exc_info=True)

    def answer_of(self, record: Inference, context: SpanContext) -> Answer:
        """What the evaluators read, from the finished record (on the worker thread)."""
        text, refusal = _output(record)
        # no retrieval in the trace: nothing to be grounded in (groundedness does not apply); one without its
        # texts (content capture off): unknown, and groundedness says it needs content capture
        with self._lock:
            kept = self._documents.get(context.trace_id)
            documents: list[str] | None = [] if kept is None else list(kept) if self.content else None
        return Answer(
            text=text,
            output_schema=_schema(record.output_schema),
            tool_calls=tuple((call.name, call.arguments) for call in record.tool_calls or ()),
            tool_parameters=tool_parameters(record.tool_schemas),
            refusal=refusal,
            finish_reason=record.finish_reasons[0] if record.finish_reasons else None,
            documents=documents,
        )

    # --- tests and shutdown ---------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued answer is judged; False if ``timeout`` (seconds) passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._queue and not self._busy, timeout)

    def shutdown(self, timeout: float = 2.0) -> None:
        with self._lock:
            self._stopped = True
            for _record, context, _dimensions in self._queue:  # never judged now: nobody waits for them
                WATCHERS.done(context.trace_id)
            self._queue.clear()
            self._lock.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def _output(record: Inference) -> tuple[str | None, str | None]:
    """The first choice's text (its text parts joined) and refusal text, from the output messages."""
    messages = record.output_messages or ()
    if not messages:
        return None, None
    texts, refusals = [], []
    for part in messages[0].get("parts", ()):
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("content", "")))
        elif kind == "refusal":
            refusals.append(str(part.get("content", "")))
    # an answer that is only tool calls has no text (""), which is not the same as text not captured (None)
    return "".join(texts), ("".join(refusals) if refusals else None)


def _schema(value: Any) -> Mapping[str, Any] | None:
    """A requested schema as JSON schema: a mapping as is, a pydantic model class by its own schema."""
    if value is None or isinstance(value, Mapping):
        return value
    to_schema = getattr(value, "model_json_schema", None)
    if callable(to_schema):
        schema = to_schema()
        return schema if isinstance(schema, Mapping) else None
    return None


def tool_parameters(tools: Any) -> dict[str, Mapping[str, Any]]:
    """Tool name -> its declared parameter schema, from a request's tools as the application passed them:
    OpenAI chat (``{"type": "function", "function": {"name", "parameters"}}``), Responses and Mistral-like
    (``{"name", "parameters"}``), Anthropic (``{"name", "input_schema"}``); dicts or the SDKs' objects."""
    if callable(tools):
        tools = tools()
    result: dict[str, Mapping[str, Any]] = {}
    for tool in _flat_tools(tools):
        spec = _field(tool, "function") or tool
        name = _field(spec, "name")
        parameters = (
            _field(spec, "parameters_json_schema")
            or _field(spec, "parameters")
            or _field(spec, "input_schema")
        )
        dump = getattr(parameters, "model_dump", None)
        if dump is not None:  # google-genai's Schema object
            parameters = dump(exclude_none=True, mode="json")
        if isinstance(parameters, str):
            with contextlib.suppress(ValueError):
                parameters = json.loads(parameters)
        if isinstance(name, str) and isinstance(parameters, Mapping):
            result[name] = parameters
    return result


def _flat_tools(tools: Any) -> Iterator[Any]:
    """A request's tools, Gemini's ``Tool(function_declarations=[...])`` opened up into its functions."""
    for tool in tools or ():
        declarations = _field(tool, "function_declarations")
        if declarations:
            yield from declarations
        else:
            yield tool


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
