"""``otel_genai.record_evaluation``: the ``gen_ai.evaluation.result`` event on the span it judges, and the
``otel_genai.evaluation.score`` metric (issue 16, item 1).

Model calls go through the real ``openai`` client answered by ``FakeOpenAI``; events are read from the
LoggerProvider handed to ``instrument()`` (and, for redaction, from behind the real redacting processor).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_completion
from helpers.redacted import RedactedPipeline
from helpers.telemetry import Telemetry, exported_metrics

EVENT = "gen_ai.evaluation.result"
SCORE = "otel_genai.evaluation.score"
MESSAGES = [{"role": "user", "content": "Where is my order?"}]


def evaluation_logs(telemetry: Telemetry) -> list[Any]:
    return [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT]


def score_points(telemetry: Telemetry) -> list[Any]:
    exported = exported_metrics(telemetry.metric_reader)
    return list(exported[SCORE].data.data_points) if SCORE in exported else []


def test_an_evaluation_of_the_current_span(telemetry: Telemetry) -> None:
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("answer") as span:
        assert otel_genai.record_evaluation("schema_valid", score=1.0, label="valid") is True

    [record] = evaluation_logs(telemetry)
    assert record.trace_id == span.get_span_context().trace_id
    assert record.span_id == span.get_span_context().span_id
    assert dict(record.attributes) == {
        "gen_ai.evaluation.name": "schema_valid",
        "gen_ai.evaluation.score.value": 1.0,
        "gen_ai.evaluation.score.label": "valid",
    }
    [point] = score_points(telemetry)
    assert point.attributes == {
        "gen_ai.evaluation.name": "schema_valid",
        "gen_ai.evaluation.score.label": "valid",
    }
    assert (point.count, point.sum) == (1, 1.0)


def test_an_evaluation_found_by_response_id_after_the_call_ended(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    """A judge that runs later (a review queue, an async LLM judge) names the answer by its response id: the
    event lands on that model span, and the score carries its provider, model and release."""
    telemetry = make_telemetry(release={"release": {"feature": "support", "version": "7"}})
    fake_openai.reply("/chat/completions", chat_completion(id="chatcmpl-judge-me"))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    [model_span] = telemetry.spans()

    # outside any span now
    assert otel_genai.record_evaluation("groundedness", score=0.5, response_id="chatcmpl-judge-me")

    [record] = evaluation_logs(telemetry)
    assert (record.trace_id, record.span_id) == (
        model_span.context.trace_id,
        model_span.context.span_id,
    )
    assert record.attributes["gen_ai.response.id"] == "chatcmpl-judge-me"
    [point] = score_points(telemetry)
    assert point.attributes == {
        "gen_ai.evaluation.name": "groundedness",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "otel_genai.release.feature": "support",
        "otel_genai.release.version": "7",
    }


def test_an_evaluation_of_a_given_span(telemetry: Telemetry) -> None:
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("judged") as judged:
        pass
    with tracer.start_as_current_span("the judge's own work"):
        otel_genai.record_evaluation("refusal", score=0.0, label="answered", span=judged)

    [record] = evaluation_logs(telemetry)
    assert record.span_id == judged.get_span_context().span_id


def test_a_failed_evaluator_says_so_and_records_no_score(telemetry: Telemetry) -> None:
    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("answer"):
        otel_genai.record_evaluation("groundedness", error_type="content_not_captured")

    [record] = evaluation_logs(telemetry)
    assert record.attributes["error.type"] == "content_not_captured"
    assert "gen_ai.evaluation.score.value" not in record.attributes
    assert score_points(telemetry) == []


def test_the_explanation_is_content(make_telemetry: Callable[..., Telemetry]) -> None:
    """An explanation can quote the answer: without content capture it does not leave the process."""
    for capture, kept in ((False, False), (True, True)):
        telemetry = make_telemetry(capture_content=capture)
        with telemetry.tracer_provider.get_tracer("app").start_as_current_span("answer"):
            otel_genai.record_evaluation("judge", score=0.2, explanation="the answer says the order shipped")
        [record] = evaluation_logs(telemetry)
        assert ("gen_ai.evaluation.explanation" in record.attributes) is kept
        otel_genai.uninstrument()


def test_an_explanation_goes_through_redaction() -> None:
    email = "margaret.thornton@example.com"
    pipeline = RedactedPipeline.start("SPAN_ONLY", redact_spans=True, redact_logs=True)
    try:
        with pipeline.tracer_provider.get_tracer("app").start_as_current_span("answer"):
            otel_genai.record_evaluation("judge", score=0.0, explanation=f"it leaked {email}")
        exported = " ".join(text for _, text in pipeline.exported_texts())
        assert "gen_ai.evaluation.result" in [log.log_record.event_name for log in pipeline.logs()]
        assert email not in exported
    finally:
        otel_genai.uninstrument()
        pipeline.shutdown()


def test_nothing_to_judge_emits_nothing(telemetry: Telemetry) -> None:
    assert otel_genai.record_evaluation("schema_valid", score=1.0) is False  # no current span
    assert otel_genai.record_evaluation("schema_valid", score=1.0, response_id="chatcmpl-unknown") is False
    assert evaluation_logs(telemetry) == []
    assert score_points(telemetry) == []


def test_before_instrument_nothing_happens() -> None:
    assert otel_genai.record_evaluation("schema_valid", score=1.0) is False


@pytest.mark.parametrize("score", ["high", object(), float("nan")])
def test_a_bad_score_never_raises(telemetry: Telemetry, score: Any) -> None:
    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("answer"):
        otel_genai.record_evaluation("judge", score=score)  # must not raise
