"""Online evaluators (issue 16, item 2): ``instrument(evaluators=[...])`` judges model answers as they finish,
on a worker thread, and each result is a ``gen_ai.evaluation.result`` event on the model span.

The model calls go through the real ``openai`` client answered by ``FakeOpenAI``; ``force_flush`` waits for
the worker, so no test depends on timing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_completion, tool_call
from helpers.telemetry import Telemetry, exported_metrics
from otel_genai.evaluation import online
from otel_genai.evaluation.evaluators import Answer, EvaluationResult

CHAT = "/chat/completions"
EVENT = "gen_ai.evaluation.result"
MESSAGES = [{"role": "user", "content": "Where is my order A-1042?"}]
ORDER_SCHEMA = {
    "type": "object",
    "properties": {"order_id": {"type": "string"}, "status": {"type": "string"}},
    "required": ["order_id", "status"],
    "additionalProperties": False,
}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "order", "schema": ORDER_SCHEMA}}


def evaluations(telemetry: Telemetry) -> dict[str, dict[str, Any]]:
    """Evaluation name -> the event's attributes, once the worker judged everything queued."""
    assert telemetry.instrumentation.force_flush(10_000)
    found = {}
    for log in telemetry.logs():
        record = log.log_record
        if record.event_name == EVENT:
            found[record.attributes["gen_ai.evaluation.name"]] = {
                **record.attributes,
                "_span_id": record.span_id,
            }
    return found


def ask(client: Any, fake: FakeOpenAI, answer: dict[str, Any], **kwargs: Any) -> Any:
    fake.reply(CHAT, answer)
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **kwargs)


def test_schema_valid_judges_the_answer_with_content_off(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["schema_valid"])
    ask(
        client,
        fake_openai,
        chat_completion('{"order_id": "A-1042", "status": "shipped"}'),
        response_format=RESPONSE_FORMAT,
    )

    [span] = telemetry.spans()
    result = evaluations(telemetry)["schema_valid"]
    assert result["_span_id"] == span.context.span_id  # on the model span
    assert (result["gen_ai.evaluation.score.value"], result["gen_ai.evaluation.score.label"]) == (
        1.0,
        "valid",
    )
    assert result["gen_ai.response.id"] == "chatcmpl-abc123"
    # content was read for the evaluator, never exported: capture is off
    assert not [name for name in span.attributes if "messages" in name]
    score = exported_metrics(telemetry.metric_reader)["otel_genai.evaluation.score"]
    [point] = score.data.data_points
    assert point.attributes["gen_ai.evaluation.name"] == "schema_valid"
    assert point.attributes["gen_ai.provider.name"] == "openai"


def test_an_invalid_answer_says_where(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["schema_valid"])
    ask(
        client,
        fake_openai,
        chat_completion('{"order_id": "A-1042", "status": 3}'),
        response_format=RESPONSE_FORMAT,
    )

    result = evaluations(telemetry)["schema_valid"]
    assert (result["gen_ai.evaluation.score.value"], result["gen_ai.evaluation.score.label"]) == (
        0.0,
        "invalid",
    )
    assert result["gen_ai.evaluation.explanation"].startswith("$.status")  # a path, not the value


def test_tool_call_arguments_are_checked_against_the_tool(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["schema_valid"])
    tool = {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
    call = tool_call("call_1", "get_order_status", {"order": "A-1042"})  # the wrong argument name
    ask(
        client,
        fake_openai,
        chat_completion(None, tool_calls=[call], finish_reason="tool_calls"),
        tools=[tool],
    )

    result = evaluations(telemetry)["schema_valid"]
    assert result["gen_ai.evaluation.score.label"] == "invalid"


def test_a_refusal_field_is_a_refusal(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["refusal"])
    answer = chat_completion(None)
    answer["choices"][0]["message"]["refusal"] = "I can't help with that."
    ask(client, fake_openai, answer)

    result = evaluations(telemetry)["refusal"]
    assert (result["gen_ai.evaluation.score.value"], result["gen_ai.evaluation.score.label"]) == (
        1.0,
        "refusal",
    )


def test_pii_in_the_output_is_counted_never_quoted(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["pii_detected"])
    ask(client, fake_openai, chat_completion("Write to margaret.thornton@example.com for a refund."))

    result = evaluations(telemetry)["pii_detected"]
    assert result["gen_ai.evaluation.score.label"] == "pii"
    assert "EMAIL_ADDRESS" in result["gen_ai.evaluation.explanation"]
    assert "margaret" not in json.dumps({k: str(v) for k, v in result.items()})


def test_groundedness_reads_the_documents_retrieved_in_the_same_trace(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["groundedness"], capture_content=True)
    documents = [
        {
            "id": "kb-refunds",
            "content": "Refunds reach your card within five to seven business days after approval.",
        }
    ]

    @otel_genai.retriever(data_source="kb")
    def search(query: str) -> list[dict[str, Any]]:
        return documents

    with otel_genai.workflow("support"):
        search("refund")
        ask(
            client,
            fake_openai,
            chat_completion("Refunds reach your card within five to seven business days."),
        )

    result = evaluations(telemetry)["groundedness"]
    assert result["gen_ai.evaluation.score.label"] == "grounded"
    assert result["gen_ai.evaluation.score.value"] == 1.0


def test_groundedness_says_it_needs_content_capture(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=["groundedness"])

    @otel_genai.retriever(data_source="kb")
    def search(query: str) -> list[dict[str, Any]]:
        return [
            {"id": "kb-refunds", "content": "Refunds reach your card within five to seven business days."}
        ]

    with otel_genai.workflow("support"):
        search("refund")
        ask(
            client,
            fake_openai,
            chat_completion("Refunds reach your card within five to seven business days."),
        )
    # an answer in a trace without retrievals has nothing to be grounded in: not judged for it
    ask(client, fake_openai, chat_completion("Refunds reach your card within five to seven business days."))

    assert telemetry.instrumentation.force_flush(10_000)
    results = [log.log_record.attributes for log in telemetry.logs() if log.log_record.event_name == EVENT]
    [result] = results
    assert result["error.type"] == "content_not_captured"
    assert "gen_ai.evaluation.score.value" not in result


class Exploding:
    name = "my_checks"

    def evaluate(self, answer: Answer) -> EvaluationResult | None:
        raise RuntimeError("my evaluator has a bug")


def test_a_failing_user_evaluator_is_reported_and_the_call_is_unaffected(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=[Exploding(), "refusal"])
    response = ask(client, fake_openai, chat_completion("Your order shipped."))

    assert response.choices[0].message.content == "Your order shipped."
    found = evaluations(telemetry)
    assert found["my_checks"]["error.type"] == "RuntimeError"
    assert found["refusal"]["gen_ai.evaluation.score.label"] == "answered"  # the others still ran


class Judge:
    """An LLM-as-judge: its own model call is traced, marked, and never judged."""

    name = "judge"

    def __init__(self, client: Any, fake: FakeOpenAI) -> None:
        self.client, self.fake = client, fake

    def evaluate(self, answer: Answer) -> EvaluationResult | None:
        with online.judging():
            self.fake.routes.pop(CHAT, None)  # the judge's own answer, not the judged one's
            verdict = ask(self.client, self.fake, chat_completion("0.9"))
        return EvaluationResult(self.name, score=float(verdict.choices[0].message.content), label="judged")


def test_an_llm_judges_own_call_is_marked_and_not_judged(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(evaluators=[Judge(client, fake_openai)])
    ask(client, fake_openai, chat_completion("Your order shipped."))

    found = evaluations(telemetry)
    assert found["judge"]["gen_ai.evaluation.score.value"] == 0.9
    spans = telemetry.spans()
    assert len(spans) == 2  # the answer and the judge's own call
    judged = [s for s in spans if s.attributes.get("otel_genai.evaluation.judge")]
    assert len(judged) == 1
    events = [log for log in telemetry.logs() if log.log_record.event_name == EVENT]
    assert len(events) == 1  # the judge's call was not judged (else it would judge itself forever)


def test_sampling(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    telemetry = make_telemetry(evaluators=["refusal"], evaluation_sample_rate=0.25)
    draws = iter([0.1, 0.9, 0.3, 0.2])  # judged when the draw is below the rate: the 1st and the 4th
    monkeypatch.setattr(online.random, "random", lambda: next(draws))
    for _ in range(4):
        ask(client, fake_openai, chat_completion("Your order shipped."))

    assert telemetry.instrumentation.force_flush(10_000)
    judged = [log for log in telemetry.logs() if log.log_record.event_name == EVENT]
    spans = telemetry.spans()
    assert {log.log_record.span_id for log in judged} == {spans[0].context.span_id, spans[3].context.span_id}


def test_a_burst_beyond_the_queue_is_dropped_never_waited_for() -> None:
    """The worker is held up; the application's thread keeps submitting: nothing blocks, the excess is
    counted as dropped, and what was queued is judged once the worker resumes."""
    release = threading.Event()
    judged: list[str] = []

    class Slow:
        name = "slow"

        def evaluate(self, answer: Answer) -> EvaluationResult | None:
            release.wait(10)
            judged.append(answer.text or "")
            return None

    class Sink:
        def emit(self, *args: Any, **kwargs: Any) -> bool:
            return True

    from opentelemetry.trace import SpanContext

    from otel_genai.telemetry.records import Inference

    evaluation = online.OnlineEvaluation([Slow()], 1.0, Sink(), content=False)
    context = SpanContext(trace_id=1, span_id=2, is_remote=False)
    burst = online.QUEUE_SIZE + 50
    for i in range(burst):
        record = Inference(operation="chat", provider="openai")
        record.output_messages = [{"role": "assistant", "parts": [{"type": "text", "content": str(i)}]}]
        evaluation.submit(record, context, {})
    # the first is being judged (held), QUEUE_SIZE wait; the rest were dropped
    assert (
        evaluation.dropped == burst - online.QUEUE_SIZE - 1 or evaluation.dropped == burst - online.QUEUE_SIZE
    )
    release.set()
    assert evaluation.flush(10)
    assert len(judged) == burst - evaluation.dropped
    evaluation.shutdown()


def test_evaluators_from_the_environment(
    make_telemetry: Callable[..., Telemetry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    client: Any,
    fake_openai: FakeOpenAI,
) -> None:
    monkeypatch.setenv("OTEL_GENAI_EVALUATORS", "refusal,no_such_one")
    with caplog.at_level("WARNING", logger="otel_genai"):
        telemetry = make_telemetry()
    assert any("no_such_one" in record.getMessage() for record in caplog.records)
    ask(client, fake_openai, chat_completion("Your order shipped."))
    assert set(evaluations(telemetry)) == {"refusal"}


def test_an_unknown_evaluator_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_one"):
        otel_genai.instrument(exporter="none", evaluators=["no_such_one"])
    with pytest.raises(ValueError, match="sample_rate"):
        otel_genai.instrument(exporter="none", evaluators=["refusal"], evaluation_sample_rate=2)
    otel_genai.uninstrument()


def test_without_evaluators_nothing_is_judged_and_no_content_is_built(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    ask(client, fake_openai, chat_completion("Your order shipped."))
    assert telemetry.instrumentation.handler.online is None
    assert [log for log in telemetry.logs() if log.log_record.event_name == EVENT] == []


# --- structured outputs of other providers -----------------------------------------------------------


async def test_anthropic_structured_output_is_checked(
    make_telemetry: Callable[..., Telemetry], anthropic_api: Any, fake_anthropic: Any
) -> None:
    from helpers.anthropic_fakes import message

    telemetry = make_telemetry(evaluators=["schema_valid"])
    fake_anthropic.reply(message('{"order_id": "A-1042"}'))  # "status" missing

    await anthropic_api.create(output_config={"format": {"type": "json_schema", "schema": ORDER_SCHEMA}})

    result = evaluations(telemetry)["schema_valid"]
    assert result["gen_ai.evaluation.score.label"] == "invalid"
    assert "status" in result["gen_ai.evaluation.explanation"]


async def test_gemini_structured_output_is_checked(
    make_telemetry: Callable[..., Telemetry], gemini_api: Any, fake_gemini: Any
) -> None:
    from helpers.google_genai_fakes import Reply, text_response

    telemetry = make_telemetry(evaluators=["schema_valid"])
    fake_gemini.queue(Reply(text_response('{"order_id": "A-1042", "status": "shipped"}')))

    await gemini_api.generate(
        config={"response_mime_type": "application/json", "response_json_schema": ORDER_SCHEMA}
    )

    result = evaluations(telemetry)["schema_valid"]
    assert (result["gen_ai.evaluation.score.value"], result["gen_ai.evaluation.score.label"]) == (
        1.0,
        "valid",
    )


# --- review of issue 16: capture modes, LLM judges, fork, failing results --------------------------------


@pytest.mark.parametrize(
    ("mode", "on_spans", "in_logs"),
    [
        ("NO_CONTENT", False, False),
        ("SPAN_ONLY", True, False),
        ("EVENT_ONLY", False, True),
        ("SPAN_AND_EVENT", True, True),
    ],
)
def test_every_capture_mode_judges_the_model_span_and_exports_content_only_as_asked(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    mode: str,
    on_spans: bool,
    in_logs: bool,
) -> None:
    """The judged call's content is built for the evaluators in every mode; it reaches a span or an event
    only where the capture mode puts it."""
    marker = "zebra-marker-7731"
    telemetry = make_telemetry(evaluators=["schema_valid", "refusal"], capture_content=mode)
    ask(
        client,
        fake_openai,
        chat_completion(json.dumps({"order_id": marker, "status": "shipped"})),
        response_format=RESPONSE_FORMAT,
    )

    found = evaluations(telemetry)
    [span] = telemetry.spans()
    assert {found[name]["_span_id"] for name in ("schema_valid", "refusal")} == {span.context.span_id}
    assert found["schema_valid"]["gen_ai.evaluation.score.label"] == "valid"
    assert found["refusal"]["gen_ai.evaluation.score.label"] == "answered"
    span_text = json.dumps({key: str(value) for key, value in span.attributes.items()})
    log_text = json.dumps([str(dict(log.log_record.attributes or {})) for log in telemetry.logs()])
    assert (marker in span_text, marker in log_text) == (on_spans, in_logs)


def test_a_judge_that_forgets_judging_is_not_judged_by_itself(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    """An LLM judge calling the model without ``judging()``: the worker marks its calls anyway (else each of
    its own calls would be queued to it again, without end)."""

    class CarelessJudge:
        name = "careless_judge"
        calls = 0

        def evaluate(self, answer: Answer) -> EvaluationResult | None:
            self.calls += 1
            if self.calls > 3:  # without the fix it would judge its own calls forever: stop, and fail below
                return None
            fake_openai.routes.pop(CHAT, None)
            verdict = ask(client, fake_openai, chat_completion("0.7"))
            return EvaluationResult(self.name, score=float(verdict.choices[0].message.content))

    telemetry = make_telemetry(evaluators=[CarelessJudge()])
    ask(client, fake_openai, chat_completion("Your order shipped."))

    assert evaluations(telemetry)["careless_judge"]["gen_ai.evaluation.score.value"] == 0.7
    spans = telemetry.spans()
    assert len(spans) == 2
    assert [bool(s.attributes.get("otel_genai.evaluation.judge")) for s in spans].count(True) == 1
    assert len([log for log in telemetry.logs() if log.log_record.event_name == EVENT]) == 1


def test_a_result_that_cannot_be_emitted_does_not_stop_the_other_evaluators(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    class Wordy:
        name = "wordy"

        def evaluate(self, answer: Answer) -> EvaluationResult | None:
            return EvaluationResult(self.name, score="high")  # type: ignore[arg-type]

    telemetry = make_telemetry(evaluators=[Wordy(), "refusal"])
    ask(client, fake_openai, chat_completion("Your order shipped."))

    assert set(evaluations(telemetry)) == {"refusal"}


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_judges_its_own_answers(tmp_path: Any) -> None:
    """gunicorn --preload: the parent's worker thread does not exist in the child, which starts its own."""
    import os

    from opentelemetry.trace import SpanContext

    from otel_genai.telemetry.records import Inference

    class Sink:
        def __init__(self) -> None:
            self.names: list[str] = []

        def emit(self, name: str, **kwargs: Any) -> bool:
            self.names.append(name)
            return True

    sink = Sink()
    evaluation = online.OnlineEvaluation(["refusal"], 1.0, sink, content=False)

    def submit() -> None:
        record = Inference(operation="chat", provider="openai")
        record.output_messages = [{"role": "assistant", "parts": [{"type": "text", "content": "Shipped."}]}]
        evaluation.submit(record, SpanContext(trace_id=1, span_id=2, is_remote=False), {})

    submit()
    assert evaluation.flush(10)  # the parent's worker thread is running
    result = tmp_path / "child.json"
    pid = os.fork()
    if pid == 0:  # the child: judge one answer, report
        try:
            submit()
            result.write_text(json.dumps({"flushed": evaluation.flush(10), "names": sink.names}))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = json.loads(result.read_text())
    evaluation.shutdown()
    assert child == {"flushed": True, "names": ["refusal", "refusal"]}  # the parent's one, then its own


def test_the_console_tree_shows_the_evaluation_of_a_model_call_that_is_its_own_trace(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    """A bare model call is the root of its trace; a processor that exports as the span ends (simple) hands
    it to the console at once: the answer is queued for the evaluators before that, so the tree waits."""
    import io

    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from otel_genai._console import ConsoleTreeExporter

    output = io.StringIO()
    console = ConsoleTreeExporter(output, color=False)
    telemetry = make_telemetry(evaluators=["refusal"])
    telemetry.tracer_provider.add_span_processor(SimpleSpanProcessor(console))
    ask(client, fake_openai, chat_completion("Your order shipped."))

    assert telemetry.instrumentation.force_flush(10_000)
    console.shutdown()
    assert "evaluation refusal 0.00 answered" in output.getvalue()


def test_the_documents_kept_for_one_trace_are_bounded() -> None:
    class Sink:
        def emit(self, *args: Any, **kwargs: Any) -> bool:
            return True

    from opentelemetry.trace import SpanContext

    from otel_genai.telemetry.records import Inference

    evaluation = online.OnlineEvaluation(["groundedness"], 1.0, Sink(), content=True)
    for i in range(online._DOCUMENTS_PER_TRACE + 10):
        evaluation.remember_documents(7, [f"document {i}"])
    answer = evaluation.answer_of(
        Inference(operation="chat", provider="openai"), SpanContext(trace_id=7, span_id=1, is_remote=False)
    )
    assert answer.documents is not None
    assert len(answer.documents) == online._DOCUMENTS_PER_TRACE
    assert answer.documents[-1] == f"document {online._DOCUMENTS_PER_TRACE + 9}"  # the latest kept
