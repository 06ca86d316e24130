"""The built-in evaluators (issue 16): pure functions of an ``Answer``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from otel_genai import semconv
from otel_genai.evaluation.evaluators import (
    BUILT_IN,
    CONTENT_NOT_CAPTURED,
    Answer,
    EvaluationResult,
    Evaluator,
    Groundedness,
    PiiDetected,
    Refusal,
    SchemaValid,
    content_words,
    refusal_phrase_at_start,
    split_sentences,
    stem,
    validate_json_schema,
)
from otel_genai.redaction.policy import RedactionPolicy

# --- the registry and the protocol ------------------------------------------------------------------


def test_built_ins_are_registered_by_their_semconv_names() -> None:
    assert set(BUILT_IN) == {
        semconv.EVALUATION_SCHEMA_VALID,
        semconv.EVALUATION_REFUSAL,
        semconv.EVALUATION_PII_DETECTED,
        semconv.EVALUATION_GROUNDEDNESS,
    }
    for name, cls in BUILT_IN.items():
        evaluator = cls()
        assert evaluator.name == name
        assert isinstance(evaluator, Evaluator)


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_an_evaluator_that_fails_returns_its_error_type(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = BUILT_IN[name]()

    def boom(answer: Answer) -> EvaluationResult | None:
        raise KeyError("broken")

    monkeypatch.setattr(evaluator, "_evaluate", boom)
    assert evaluator.evaluate(Answer("anything")) == EvaluationResult(name, error_type="KeyError")


def test_a_broken_detector_becomes_an_error_result() -> None:
    class Broken:
        def analyze_iter(self, texts: list[str]) -> Any:
            raise RuntimeError("engine down")

    result = PiiDetected(detector=Broken()).evaluate(Answer("jane@example.com"))
    assert result == EvaluationResult("pii_detected", error_type="RuntimeError")


# --- schema_valid -----------------------------------------------------------------------------------

ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "shipped", "cancelled"]},
        "note": {"type": ["string", "null"]},
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 1},
        "discount": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "null"}]},
    },
    "required": ["customer", "status", "items"],
    "additionalProperties": False,
    "$defs": {
        "Item": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1},
                "price": {"type": "number"},
            },
            "required": ["sku", "quantity", "price"],
            "additionalProperties": False,
        }
    },
}


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customer": "c-17",
        "status": "shipped",
        "note": None,
        "items": [
            {"sku": "A1", "quantity": 1, "price": 9.5},
            {"sku": "B2", "quantity": 2, "price": 3},
            {"sku": "C3", "quantity": 1, "price": 12.0},
        ],
        "discount": 0.1,
    }
    order.update(changes)
    return order


def _schema_result(value: Any, schema: dict[str, Any] = ORDER_SCHEMA) -> EvaluationResult | None:
    text = value if isinstance(value, str) else json.dumps(value)
    return SchemaValid().evaluate(Answer(text, output_schema=schema))


def test_a_valid_structured_output() -> None:
    assert _schema_result(_order()) == EvaluationResult("schema_valid", score=1.0, label="valid")


@pytest.mark.parametrize(
    ("change", "explanation"),
    [
        (
            {"items": [*_order()["items"][:2], {"sku": "C3", "quantity": 1, "price": "12"}]},
            "$.items[2].price: expected number",
        ),
        ({"items": [{"sku": "A1", "quantity": 0, "price": 1}]}, "$.items[0].quantity: below minimum 1"),
        ({"items": [{"sku": "A1", "quantity": 1.5, "price": 1}]}, "$.items[0].quantity: expected integer"),
        ({"items": [{"sku": "A1", "price": 1}]}, "$.items[0].quantity: missing required property"),
        ({"items": []}, "$.items: fewer than 1 items"),
        ({"status": "lost"}, "$.status: not one of the allowed values"),
        ({"note": 3}, "$.note: expected string or null"),
        ({"discount": 1.5}, "$.discount: above maximum 1"),
        ({"discount": "none"}, "$.discount: matches none of the anyOf schemas"),
        ({"customer": None}, "$.customer: expected string"),
        ({"coupon code": "X"}, "$[*]: unexpected property"),  # the model's own key is never written
    ],
)
def test_nested_schema_errors_name_the_path_not_the_value(change: dict[str, Any], explanation: str) -> None:
    result = _schema_result(_order(**change))
    assert result == EvaluationResult("schema_valid", score=0.0, label="invalid", explanation=explanation)


def test_a_missing_top_level_property() -> None:
    order = _order()
    del order["customer"]
    result = _schema_result(order)
    assert result is not None and result.explanation == "$.customer: missing required property"


def test_the_explanation_never_quotes_the_offending_value() -> None:
    secret = "jane.doe@example.com"
    result = _schema_result(_order(customer=12345, note={"email": secret}))
    assert result is not None and result.label == "invalid"
    assert result.explanation is not None and "12345" not in result.explanation


@pytest.mark.parametrize(
    "text", ['{"customer": "c-17",', "Sure! Here is the JSON: {}", "", "```json\n{}\n```"]
)
def test_malformed_json_is_invalid(text: str) -> None:
    result = _schema_result(text)
    assert result == EvaluationResult("schema_valid", score=0.0, label="invalid", explanation="$: not JSON")


def test_no_schema_and_no_tool_calls_is_not_applicable() -> None:
    assert SchemaValid().evaluate(Answer('{"a": 1}')) is None
    assert SchemaValid().evaluate(Answer("plain prose")) is None


def test_a_schema_without_the_output_text_needs_content_capture() -> None:
    result = SchemaValid().evaluate(Answer(None, output_schema=ORDER_SCHEMA))
    assert result is not None and result.error_type == CONTENT_NOT_CAPTURED and result.score is None


def test_a_refused_structured_output_is_left_to_the_refusal_evaluator() -> None:
    answer = Answer(None, output_schema=ORDER_SCHEMA, refusal="I can't help with that.")
    assert SchemaValid().evaluate(answer) is None


WEATHER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 14},
    },
    "required": ["city"],
    "additionalProperties": False,
}
TOOLS: dict[str, dict[str, Any]] = {"get_weather": WEATHER, "get_time": {"type": "object", "properties": {}}}


def _tools_result(*calls: tuple[str | None, str | None]) -> EvaluationResult | None:
    return SchemaValid().evaluate(Answer(None, tool_calls=calls, tool_parameters=TOOLS))


def test_valid_tool_call_arguments() -> None:
    result = _tools_result(("get_weather", '{"city": "Paris", "units": "celsius"}'), ("get_time", ""))
    assert result == EvaluationResult("schema_valid", score=1.0, label="valid")


@pytest.mark.parametrize(
    ("calls", "explanation"),
    [
        (
            [("get_weather", '{"units": "celsius"}')],
            "tool_calls[0] (get_weather): $.city: missing required property",
        ),
        (
            [("get_time", "{}"), ("get_weather", '{"city": "Paris", "days": 30}')],
            "tool_calls[1] (get_weather): $.days: above maximum 14",
        ),
        (
            [("get_weather", '{"city": "Paris", "country": "FR"}')],
            "tool_calls[0] (get_weather): $[*]: unexpected property",
        ),
        ([("get_weather", '{"city": "Par')], "tool_calls[0] (get_weather): $: not JSON"),
        ([("get_weather", '["Paris"]')], "tool_calls[0] (get_weather): $: expected object"),
        ([("book_flight", '{"to": "Paris"}')], "tool_calls[0] (book_flight): undeclared tool"),
    ],
)
def test_invalid_tool_call_arguments(calls: list[tuple[str, str]], explanation: str) -> None:
    assert _tools_result(*calls) == EvaluationResult(
        "schema_valid", score=0.0, label="invalid", explanation=explanation
    )


def test_a_tool_call_turn_with_empty_content_is_not_checked_against_the_output_schema() -> None:
    answer = Answer("", output_schema=ORDER_SCHEMA, tool_calls=[("get_time", "{}")], tool_parameters=TOOLS)
    assert SchemaValid().evaluate(answer) == EvaluationResult("schema_valid", score=1.0, label="valid")


def test_tool_calls_without_declared_parameters_are_only_checked_to_be_json_objects() -> None:
    assert SchemaValid().evaluate(Answer(None, tool_calls=[("lookup", '{"q": 1}')])) == EvaluationResult(
        "schema_valid", score=1.0, label="valid"
    )
    result = SchemaValid().evaluate(Answer(None, tool_calls=[("lookup", "{'q': 1}")]))
    assert result is not None and result.explanation == "tool_calls[0] (lookup): $: not JSON"


def test_both_the_output_and_the_tool_calls_are_checked() -> None:
    answer = Answer(
        json.dumps(_order()),
        output_schema=ORDER_SCHEMA,
        tool_calls=[("get_weather", '{"city": 7}')],
        tool_parameters=TOOLS,
    )
    result = SchemaValid().evaluate(answer)
    assert result is not None and result.explanation == "tool_calls[0] (get_weather): $.city: expected string"


def test_gemini_and_openapi_style_schemas() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {"title": {"type": "STRING"}, "year": {"type": "INTEGER", "nullable": True}},
        "required": ["title"],
    }
    assert validate_json_schema({"title": "Dune", "year": None}, schema) is None
    assert (
        validate_json_schema({"title": "Dune", "year": "1965"}, schema) == "$.year: expected integer or null"
    )


def test_booleans_are_not_numbers_and_json_numbers_compare_by_value() -> None:
    assert validate_json_schema(True, {"type": "number"}) == "$: expected number"
    assert validate_json_schema(True, {"type": "integer"}) == "$: expected integer"
    assert validate_json_schema(2.0, {"type": "integer"}) is None
    assert validate_json_schema(1, {"enum": [1.0]}) is None
    assert validate_json_schema(True, {"enum": [1]}) == "$: not one of the allowed values"


def test_a_ref_cycle_is_an_error_result_not_a_crash() -> None:
    schema = {"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}}
    result = SchemaValid().evaluate(Answer("{}", output_schema=schema))
    assert result == EvaluationResult("schema_valid", error_type="ValueError")


# The validator's verdicts agree with the jsonschema package (a dev dependency only) on the subset.
_AGREEMENT_CASES: list[tuple[Any, dict[str, Any]]] = [
    (_order(), ORDER_SCHEMA),
    (_order(status="lost"), ORDER_SCHEMA),
    (_order(items=[{"sku": "A", "quantity": 1, "price": 1, "x": 1}]), ORDER_SCHEMA),
    (_order(discount=None), ORDER_SCHEMA),
    (_order(discount=-0.1), ORDER_SCHEMA),
    ({"city": "Paris"}, WEATHER),
    ({"city": "Paris", "days": 0}, WEATHER),
    ({"city": "Paris", "days": 14.0}, WEATHER),
    (
        {"a": [1, "x"]},
        {
            "type": "object",
            "properties": {"a": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}},
        },
    ),
    (
        {"a": [1, 2]},
        {
            "type": "object",
            "properties": {"a": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}},
        },
    ),
    ({"k": 1, "v": 2}, {"type": "object", "additionalProperties": {"type": "integer"}}),
    ({"k": 1, "v": "2"}, {"type": "object", "additionalProperties": {"type": "integer"}}),
    ("ab", {"type": "string", "minLength": 3}),
    (5, {"exclusiveMaximum": 5}),
    (4.9, {"exclusiveMaximum": 5}),
    ({"kind": "a", "n": 1}, {"allOf": [{"required": ["kind"]}, {"properties": {"n": {"const": 1}}}]}),
    ({"kind": "a", "n": 2}, {"allOf": [{"required": ["kind"]}, {"properties": {"n": {"const": 1}}}]}),
]


@pytest.mark.parametrize(("instance", "schema"), _AGREEMENT_CASES)
def test_agrees_with_jsonschema(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    expected = jsonschema.Draft202012Validator(schema).is_valid(instance)
    assert (validate_json_schema(instance, schema) is None) == expected


# --- refusal ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I can't help with that.",
        "I cannot assist with that request.",
        "I\u2019m sorry, but I can\u2019t help with this.",
        "I'm sorry, but I cannot provide instructions for that.",
        "Sorry, I can't comply with that request.",
        "Unfortunately, I'm unable to help with that.",
        "I apologize, but I won't do that.",
        "  **I must decline** this request.",
        "As an AI language model, I do not have personal opinions.",
        "As an AI, I cannot browse the web.",
        "i CAN'T HELP WITH THAT",
    ],
)
def test_refusal_phrases(text: str) -> None:
    assert refusal_phrase_at_start(text)
    result = Refusal().evaluate(Answer(text))
    assert result is not None and (result.score, result.label) == (1.0, "refusal")
    assert result.explanation is not None and text.strip() not in result.explanation


@pytest.mark.parametrize(
    "text",
    [
        "I can't wait to help you plan the trip!",
        "I can't help but notice the order shipped twice.",
        "I'm unable to find an order with that number; could you check it?",
        "As an AI researcher, you will like this paper.",
        "Sure, I can help with that. The refund window is 30 days.",
        "The customer wrote: 'I can't help with that.' We replied the next day.",
        "I cannot stress enough how important backups are.",
        "I won't be home on Friday, so the delivery goes to a neighbour.",
    ],
)
def test_refusal_near_misses_are_answers(text: str) -> None:
    assert not refusal_phrase_at_start(text)
    assert Refusal().evaluate(Answer(text)) == EvaluationResult("refusal", score=0.0, label="answered")


def test_the_provider_refusal_field_comes_first() -> None:
    result = Refusal().evaluate(Answer(None, refusal="I'm not going to answer that."))
    assert result == EvaluationResult(
        "refusal", score=1.0, label="refusal", explanation="provider refusal field"
    )


@pytest.mark.parametrize("reason", ["content_filter", "refusal", "SAFETY", "guardrail_intervened"])
def test_blocking_finish_reasons_are_refusals(reason: str) -> None:
    result = Refusal().evaluate(Answer("Here is a partial", finish_reason=reason))
    assert result is not None and result.label == "refusal" and result.score == 1.0


@pytest.mark.parametrize("reason", ["stop", "length", "end_turn", "tool_calls"])
def test_ordinary_finish_reasons_leave_it_to_the_text(reason: str) -> None:
    result = Refusal().evaluate(Answer("The answer is 42.", finish_reason=reason))
    assert result is not None and result.label == "answered"


def test_refusal_without_text() -> None:
    assert Refusal().evaluate(Answer(None, tool_calls=[("get_time", "{}")])) == EvaluationResult(
        "refusal", score=0.0, label="answered"
    )
    result = Refusal().evaluate(Answer(None))
    assert result is not None and result.error_type == CONTENT_NOT_CAPTURED


# --- pii_detected (patterns only: no spaCy model) ----------------------------------------------------


@pytest.fixture(scope="module")
def pii() -> PiiDetected:
    return PiiDetected(RedactionPolicy(model="none"))


def test_pii_counted_by_type_never_the_values(pii: PiiDetected) -> None:
    emails = ["jane.doe@example.com", "ops@acme.io"]
    phones = ["+1 212-555-0101", "(415) 555-0199"]
    card = "4111 1111 1111 1111"
    text = (
        f"You can reach Jane at {emails[0]} or the team at {emails[1]}. Call {phones[0]} or {phones[1]}. "
        f"The card on file is {card}."
    )
    result = pii.evaluate(Answer(text))
    # "Jane" too, by the given-name list alone (patterns only: no model here)
    assert result == EvaluationResult(
        "pii_detected",
        score=1.0,
        label="pii",
        explanation="CREDIT_CARD=1,EMAIL_ADDRESS=2,PERSON=1,PHONE_NUMBER=2",
    )
    assert result.explanation is not None
    assert not any(value in result.explanation for value in [*emails, *phones, card, "Jane"])


def test_a_clean_answer(pii: PiiDetected) -> None:
    text = (
        "Refunds are accepted within 30 days of delivery for items in their original packaging (policy v2.4)."
    )
    assert pii.evaluate(Answer(text)) == EvaluationResult("pii_detected", score=0.0, label="clean")
    assert pii.evaluate(Answer("")) == EvaluationResult("pii_detected", score=0.0, label="clean")


def test_pii_needs_the_output_text(pii: PiiDetected) -> None:
    result = pii.evaluate(Answer(None))
    assert result is not None and result.error_type == CONTENT_NOT_CAPTURED
    assert pii.evaluate(Answer(None, tool_calls=[("get_time", "{}")])) is None


def test_the_detector_is_looked_up_once_per_instance(pii: PiiDetected) -> None:
    pii.evaluate(Answer("a@example.com"))
    first = pii._detector
    pii.evaluate(Answer("b@example.com"))
    assert first is not None and pii._detector is first


def test_redaction_markers_are_not_pii(pii: PiiDetected) -> None:
    result = pii.evaluate(Answer("Write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>."))
    assert result is not None and result.label == "clean"


# --- groundedness -----------------------------------------------------------------------------------

DOCUMENTS = [
    "Refund policy. Customers can return unopened items within 30 days of delivery for a full refund. "
    "Refunds are issued to the original payment method within 5 business days after the return is received.",
    "Shipping. Standard shipping takes 3 to 7 business days. Express shipping delivers within 2 business "
    "days and costs $15. Orders over $50 ship free with standard shipping.",
    "Warranty. Electronics carry a one-year limited warranty covering manufacturing defects.",
]
SUPPORTED = (
    "You can return unopened items within 30 days of delivery for a full refund. "
    "The refund is issued to your original payment method within 5 business days. "
    "Express shipping delivers within 2 business days and costs $15."
)
UNSUPPORTED = (
    "Our stores are open every Sunday from 9am until midnight. "
    "Loyalty members collect double points on birthday purchases. "
    "Gift cards never expire and can be used internationally."
)


def test_a_supported_answer_is_grounded() -> None:
    result = Groundedness().evaluate(Answer(SUPPORTED, documents=DOCUMENTS))
    assert result == EvaluationResult(
        "groundedness", score=1.0, label="grounded", explanation="3 of 3 claims supported"
    )


def test_a_partly_supported_answer() -> None:
    text = SUPPORTED + " " + UNSUPPORTED.split(". ")[0] + "."
    result = Groundedness().evaluate(Answer(text, documents=DOCUMENTS))
    assert result == EvaluationResult(
        "groundedness", score=0.75, label="partially_grounded", explanation="3 of 4 claims supported"
    )


def test_an_unsupported_answer_is_ungrounded() -> None:
    result = Groundedness().evaluate(Answer(UNSUPPORTED, documents=DOCUMENTS))
    assert result == EvaluationResult(
        "groundedness", score=0.0, label="ungrounded", explanation="0 of 3 claims supported"
    )


def test_a_claim_must_be_supported_by_one_document() -> None:
    # every word is in some document, but no document holds most of them
    text = "Unopened electronics carry a warranty and express shipping costs $15."
    result = Groundedness().evaluate(Answer(text, documents=DOCUMENTS))
    assert result is not None and result.explanation == "0 of 1 claims supported"
    result = Groundedness().evaluate(Answer(text, documents=[" ".join(DOCUMENTS)]))
    assert result is not None and result.explanation == "1 of 1 claims supported"


def test_short_sentences_are_not_claims() -> None:
    text = "Sure! Happy to help. " + SUPPORTED.split(". ")[0] + "."
    result = Groundedness().evaluate(Answer(text, documents=DOCUMENTS))
    assert result is not None and result.explanation == "1 of 1 claims supported"
    assert Groundedness().evaluate(Answer("Sure! Happy to help.", documents=DOCUMENTS)) is None


def test_no_retrievals_is_not_applicable() -> None:
    assert Groundedness().evaluate(Answer(SUPPORTED, documents=[])) is None


def test_documents_not_captured() -> None:
    for answer in (
        Answer(SUPPORTED),
        Answer(SUPPORTED, documents=["", "  "]),
        Answer(None, documents=DOCUMENTS),
    ):
        result = Groundedness().evaluate(answer)
        assert result is not None and result.error_type == CONTENT_NOT_CAPTURED and result.score is None
        assert result.explanation is not None and "content capture" in result.explanation


def test_the_threshold_is_a_parameter() -> None:
    claim = "Express shipping delivers within 2 business days and costs $20 with tracking."
    words = content_words(claim)
    in_document = words & content_words(DOCUMENTS[1])
    share = len(in_document) / len(words)
    strict, lenient = Groundedness(threshold=share + 0.01), Groundedness(threshold=share)
    assert strict.evaluate(Answer(claim, documents=DOCUMENTS)).score == 0.0  # type: ignore[union-attr]
    assert lenient.evaluate(Answer(claim, documents=DOCUMENTS)).score == 1.0  # type: ignore[union-attr]


def test_text_helpers() -> None:
    assert split_sentences("One two. Three four!\n- Five six\n2. Seven? Eight, e.g. nine.") == [
        "One two.",
        "Three four!",
        "Five six",
        "Seven?",
        "Eight, e.g. nine.",
    ]
    assert {stem(w) for w in ("refunds", "refunded", "refunding")} == {"refund"}
    assert stem("deliveries") == stem("delivery") and stem("boxes") == stem("box")
    assert stem("purchases") == stem("purchase") == stem("purchased")
    assert stem("shipping") == stem("ship") and stem("called") == "call" and stem("issued") == stem("issue")
    assert content_words("The refund is issued within 5 days") == {
        stem(w) for w in ("refund", "issue", "5", "days")
    }


def test_pii_with_the_engine_in_a_child_process() -> None:
    from otel_genai.redaction._isolated import ProcessDetector

    detector = ProcessDetector(RedactionPolicy(model="none", isolation="process"))
    try:
        result = PiiDetected(detector=detector).evaluate(Answer("Mail ops@acme.io today."))
    finally:
        detector.close()
    assert result == EvaluationResult("pii_detected", score=1.0, label="pii", explanation="EMAIL_ADDRESS=1")
