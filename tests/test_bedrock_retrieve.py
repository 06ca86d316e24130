"""Bedrock Knowledge Bases on a real ``bedrock-agent-runtime`` client: ``retrieve`` as a retrieval span
(knowledge base, top-k, hit ids and scores; the query and the hits' text only with content), and
``retrieve_and_generate`` as the chat span of its generation.

Only the socket is local (``helpers.bedrock_fakes``); attribute names are spelled out literally.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.bedrock_fakes import (
    FakeBedrock,
    needs_member,
    needs_operation,
    retrieval_result,
    retrieve_response,
)
from helpers.conformance import assert_conforms

KB = "KB12345678"
HOST = "bedrock-agent-runtime.us-east-1.amazonaws.com"
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
DURATION = "gen_ai.client.operation.duration"
AGENT = "bedrock-agent-runtime"


@pytest.fixture
def agent(fake_bedrock: FakeBedrock) -> Any:
    return fake_bedrock.client("bedrock-agent-runtime")


def retrieve(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("knowledgeBaseId", KB)
    kwargs.setdefault("retrievalQuery", {"text": "How long do refunds take?"})
    return client.retrieve(**kwargs)


def documents(span: Any) -> list[dict[str, Any]]:
    return json.loads(span.attributes["gen_ai.retrieval.documents"])


def test_retrieve_span_without_content(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_json(retrieve_response())

    response = retrieve(agent, retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 2}})

    assert [r["score"] for r in response["retrievalResults"]] == [0.82, 0.61]
    span = telemetry.span()
    assert span.name == f"retrieval {KB}"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "retrieval",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.data_source.id": KB,
        "aws.bedrock.knowledge_base.id": KB,
        "gen_ai.retrieval.top_k": 2,
        "gen_ai.request.top_k": 2,
        "server.address": HOST,
        "server.port": 443,
        "db.response.returned_rows": 2,
        "otel_genai.retrieval.score.kind": "similarity",
        "aws.request_id": "req-0001",
        "gen_ai.retrieval.documents": '[{"id":"chunk-1","score":0.82},{"id":"chunk-2","score":0.61}]',
    }
    assert len(telemetry.metrics()[DURATION]) == 1


@needs_member(AGENT, "RetrieveRequest", "guardrailConfiguration")
def test_retrieve_with_content(agent, content_telemetry, fake_bedrock):
    fake_bedrock.reply_json(retrieve_response())

    retrieve(agent, guardrailConfiguration={"guardrailId": "gr-9", "guardrailVersion": "2"})

    span = content_telemetry.span()
    assert span.attributes["gen_ai.retrieval.query.text"] == "How long do refunds take?"
    assert span.attributes["aws.bedrock.guardrail.id"] == "gr-9"
    assert "gen_ai.retrieval.top_k" not in span.attributes  # not asked for: Bedrock's default is not ours
    assert documents(span) == [
        {"id": "chunk-1", "score": 0.82, "content": "Refunds take 5 days."},
        {"id": "chunk-2", "score": 0.61, "content": "Returns need a receipt."},
    ]


def located(kind: str, member: str, location: dict[str, str], expected: str, case: str) -> Any:
    """A hit without a chunk id whose location is ``member`` (a member newer releases of botocore added)."""
    hit = {"content": {"text": case}, "location": {"type": kind, member: location}, "score": 0.4}
    return pytest.param(hit, expected, id=case, marks=needs_member(AGENT, "RetrievalResultLocation", member))


@pytest.mark.parametrize(
    ("hit", "expected"),
    [
        pytest.param(retrieval_result("a", 0.5, "s3://docs/a.md"), "s3://docs/a.md", id="s3"),
        located("WEB", "webLocation", {"url": "https://x/b"}, "https://x/b", case="web"),
        located("CUSTOM", "customDocumentLocation", {"id": "doc-7"}, "doc-7", case="custom"),
        pytest.param({"content": {"text": "d"}, "score": 0.2}, None, id="none"),
    ],
)
def test_document_id_without_a_chunk_id_is_the_location(agent, telemetry, fake_bedrock, hit, expected):
    fake_bedrock.reply_json(retrieve_response([hit]))

    retrieve(agent)

    [document] = documents(telemetry.span())
    assert document.get("id") == expected
    assert document["score"] == hit["score"]


def test_no_hits(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_json(retrieve_response([]))

    retrieve(agent)

    span = telemetry.span()
    assert documents(span) == []
    assert span.attributes["db.response.returned_rows"] == 0


def test_retrieve_error(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_error("ResourceNotFoundException", "no such knowledge base", 404)

    with pytest.raises(agent.exceptions.ResourceNotFoundException):
        retrieve(agent)

    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ResourceNotFoundException"
    assert span.attributes["aws.request_id"] == "req-0001"


@needs_operation(AGENT, "CreateSession")
def test_other_agent_runtime_operations_pass_through(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_json(
        {
            "sessionId": "s-1",
            "sessionArn": "arn:aws:bedrock:us-east-1:1:session/s-1",
            "sessionStatus": "ACTIVE",
            "createdAt": "2026-12-06T10:00:00Z",
        }
    )

    agent.create_session()

    assert telemetry.spans() == []


def test_conforms_retrieve(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_json(retrieve_response())
    retrieve(agent, retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 2}})
    assert_conforms(telemetry, operation="retrieval", content=False)


def test_conforms_retrieve_with_content(agent, content_telemetry, fake_bedrock):
    fake_bedrock.reply_json(retrieve_response())
    retrieve(agent)
    assert_conforms(content_telemetry, operation="retrieval", content=True)


def test_conforms_retrieve_error(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_error("AccessDeniedException", "denied", 403)
    with pytest.raises(ClientError):
        retrieve(agent)
    assert_conforms(
        telemetry, operation="retrieval", content=False, failed=True, error_type="AccessDeniedException"
    )


# === retrieve_and_generate ==========================================================================

RAG_CONFIGURATION = {
    "type": "KNOWLEDGE_BASE",
    "knowledgeBaseConfiguration": {
        "knowledgeBaseId": KB,
        "modelArn": MODEL_ARN,
        "generationConfiguration": {
            "inferenceConfig": {"textInferenceConfig": {"maxTokens": 300, "temperature": 0, "topP": 0.9}}
        },
    },
}
RAG_ANSWER = {
    "sessionId": "session-42",
    "output": {"text": "Refunds take 5 days."},
    "citations": [
        {
            "generatedResponsePart": {
                "textResponsePart": {"text": "Refunds take 5 days.", "span": {"start": 0, "end": 19}}
            },
            "retrievedReferences": [
                retrieval_result("Refunds take 5 days.", 0.82, "s3://kb-docs/refunds.md", "chunk-1")
            ],
        }
    ],
}


def test_retrieve_and_generate(agent, content_telemetry, fake_bedrock, validate_schema):
    fake_bedrock.reply_json(RAG_ANSWER)

    response = agent.retrieve_and_generate(
        input={"text": "How long do refunds take?"}, retrieveAndGenerateConfiguration=RAG_CONFIGURATION
    )

    assert response["output"]["text"] == "Refunds take 5 days."
    span = assert_conforms(content_telemetry, operation="chat", content=True)
    assert span.name == f"chat {MODEL_ARN}"
    attributes = dict(span.attributes)
    assert attributes["aws.bedrock.knowledge_base.id"] == KB
    assert attributes["gen_ai.request.max_tokens"] == 300
    assert attributes["gen_ai.request.temperature"] == 0.0
    assert attributes["gen_ai.conversation.id"] == "session-42"
    outputs = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Refunds take 5 days."}],
            "finish_reason": "stop",
        }
    ]


def test_retrieve_and_generate_in_a_session_names_the_conversation_at_start(agent, telemetry, fake_bedrock):
    fake_bedrock.reply_json(RAG_ANSWER)

    agent.retrieve_and_generate(
        input={"text": "And exchanges?"},
        retrieveAndGenerateConfiguration=RAG_CONFIGURATION,
        sessionId="session-42",
    )

    assert telemetry.span().attributes["gen_ai.conversation.id"] == "session-42"


def test_retrieve_inside_a_retriever_becomes_its_db_span(agent, telemetry, fake_bedrock):
    """Inside an open retrieval (here an ``@retriever`` function) ``retrieve`` is that retrieval's database
    span, and its hits and scores are handed up to it, as a vector store's query is."""

    fake_bedrock.reply_json(retrieve_response())
    fake_bedrock.reply_json(retrieve_response())

    @otel_genai.retriever(data_source="support-kb")
    def search(question: str) -> list[str]:
        response = retrieve(agent, retrievalQuery={"text": question})
        return [hit["content"]["text"] for hit in response["retrievalResults"]]

    assert search("How long do refunds take?") == ["Refunds take 5 days.", "Returns need a receipt."]
    retrieve(agent)  # the same question, outside

    db, retrieval, again = telemetry.spans()
    assert db.name == f"retrieve {KB}"
    assert db.kind is SpanKind.CLIENT
    assert db.parent.span_id == retrieval.context.span_id
    assert db.attributes["db.system.name"] == "aws.bedrock"
    assert db.attributes["db.operation.name"] == "retrieve"
    assert db.attributes["db.response.returned_rows"] == 2
    assert "gen_ai.retrieval.documents" not in db.attributes  # handed up, not repeated
    assert "gen_ai.operation.name" not in db.attributes
    assert retrieval.name == "retrieval support-kb"
    assert [(d["id"], d["score"]) for d in documents(retrieval)] == [("chunk-1", 0.82), ("chunk-2", 0.61)]
    assert retrieval.attributes["otel_genai.retrieval.score.kind"] == "similarity"
    assert again.name == f"retrieval {KB}"  # outside the retriever: a retrieval of its own
    assert again.parent is None
