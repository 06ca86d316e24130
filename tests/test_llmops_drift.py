"""Drift against real model names of each provider: OpenAI's dated and four-digit snapshots, Anthropic's
dated names and aliases, Bedrock model ids and inference profiles, Gemini revisions and routing prefixes."""

from __future__ import annotations

import pytest

from otel_genai import semconv as sc
from otel_genai.llmops.drift import drift_kinds
from otel_genai.llmops.manifest import load_releases
from otel_genai.telemetry.records import Embedding, Inference, Retrieval


def release(**model: object) -> object:
    [loaded] = load_releases({"release": {"feature": "f", "version": "1", "model": model}})
    return loaded


def answered(
    name: str, pinned: str | None, request: str, response: str, provider: str = "openai"
) -> list[str]:
    manifest = release(name=name, pinned_version=pinned) if pinned else release(name=name)
    call = Inference(operation="chat", provider=provider, request_model=request, response_model=response)
    return drift_kinds(manifest, call)


@pytest.mark.parametrize(
    ("name", "pinned", "request_model", "response_model", "expected"),
    [
        # OpenAI: the dated snapshot behind the name
        ("gpt-4o-mini", "2024-07-18", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", []),
        ("gpt-4o-mini", "2024-07-18", "gpt-4o-mini", "gpt-4o-mini-2025-04-14", [sc.DRIFT_MODEL_VERSION]),
        (
            "gpt-4o-mini",
            "2024-07-18",
            "gpt-4o-mini-2025-04-14",
            "gpt-4o-mini-2025-04-14",
            [sc.DRIFT_MODEL_VERSION, sc.DRIFT_MODEL],
        ),
        ("gpt-3.5-turbo", None, "gpt-3.5-turbo", "gpt-3.5-turbo-0125", []),  # four-digit snapshots
        ("gpt-4", "0613", "gpt-4", "gpt-4-0613", []),
        ("gpt-4", "0613", "gpt-4", "gpt-4-1106", [sc.DRIFT_MODEL_VERSION]),
        ("gpt-4o", None, "gpt-4o", "gpt-4o-mini-2024-07-18", [sc.DRIFT_MODEL_VERSION]),  # another model
        ("gpt-4o-mini-2024-07-18", None, "gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18", []),
        ("gpt-4o-mini-2024-07-18", None, "gpt-4o-mini", "gpt-4o-mini-2024-08-01", [sc.DRIFT_MODEL_VERSION]),
        # Anthropic: dated names and aliases
        ("claude-3-7-sonnet-latest", None, "claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219", []),
        (
            "claude-3-7-sonnet-latest",
            "20250219",
            "claude-3-7-sonnet-latest",
            "claude-3-7-sonnet-20250219",
            [],
        ),
        ("claude-opus-4-0", None, "claude-opus-4-0", "claude-opus-4-20250514", []),
        (
            "claude-opus-4-0",
            None,
            "claude-opus-4-1",
            "claude-opus-4-1-20250805",
            [sc.DRIFT_MODEL_VERSION, sc.DRIFT_MODEL],
        ),
        ("claude-sonnet-4-5", "20250929", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", []),
        # Gemini: revisions, the API's "models/" prefix
        ("gemini-1.5-pro", "002", "models/gemini-1.5-pro-002", "gemini-1.5-pro-002", []),
        ("gemini-1.5-pro", "002", "gemini-1.5-pro", "gemini-1.5-pro-001", [sc.DRIFT_MODEL_VERSION]),
        ("gemini-2.5-flash", None, "gemini-2.5-flash", "gemini-2.5-flash", []),
    ],
)
def test_drift_of_the_model_for_real_names(name, pinned, request_model, response_model, expected):
    assert answered(name, pinned, request_model, response_model) == expected


@pytest.mark.parametrize(
    ("name", "pinned", "request_model", "expected"),
    [
        (
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            None,
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            [],
        ),
        (
            "anthropic.claude-3-5-sonnet",
            "20241022",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet-20241022-v2:0",
            [],
        ),
        (
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            None,
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            [sc.DRIFT_MODEL],
        ),
    ],
)
def test_drift_of_bedrock_model_ids_and_inference_profiles(name, pinned, request_model, expected):
    manifest = release(name=name, pinned_version=pinned) if pinned else release(name=name)
    call = Inference(
        operation="chat", provider="aws.bedrock", request_model=request_model
    )  # Converse names no model
    assert drift_kinds(manifest, call) == expected


def test_azure_deployment_names_are_not_compared_the_answer_is() -> None:
    manifest = release(name="gpt-4o-mini", pinned_version="2024-07-18")
    deployment = Inference(
        operation="chat",
        provider=sc.PROVIDER_AZURE_OPENAI,
        request_model="prod-summarizer",
        response_model="gpt-4o-mini-2024-07-18",
    )
    assert drift_kinds(manifest, deployment) == []
    deployment.response_model = "gpt-4o-2024-08-06"
    assert drift_kinds(manifest, deployment) == [sc.DRIFT_MODEL_VERSION]


@pytest.mark.parametrize(
    ("index_model", "request_model", "drifted"),
    [
        ("text-embedding-3-small", "text-embedding-3-small", False),
        ("text-embedding-3-small", "text-embedding-3-large", True),
        (
            "amazon.titan-embed-text-v1",
            "amazon.titan-embed-text-v2:0",
            True,
        ),  # vectors of v1 and v2 do not mix
        ("text-embedding-004", "text-embedding-005", True),
        ("text-embedding-004", "models/text-embedding-004", False),
    ],
)
def test_embedding_model_drift_keeps_versions_apart(index_model, request_model, drifted):
    [manifest] = load_releases(
        {"release": {"feature": "f", "version": "1", "retrieval": {"embedding_model": index_model}}}
    )
    call = Embedding(operation="embeddings", provider="openai", request_model=request_model)
    assert drift_kinds(manifest, call) == ([sc.DRIFT_EMBEDDING_MODEL] if drifted else [])


def test_top_k_drift_only_when_both_are_known() -> None:
    [manifest] = load_releases({"release": {"feature": "f", "version": "1", "retrieval": {"top_k": 6}}})
    assert drift_kinds(manifest, Retrieval(operation="retrieval", provider=None, top_k=6)) == []
    assert drift_kinds(manifest, Retrieval(operation="retrieval", provider=None, top_k=3)) == [sc.DRIFT_TOP_K]
    assert drift_kinds(manifest, Retrieval(operation="retrieval", provider=None)) == []
    # a reranker orders what it is handed (retrieve 10, rerank to 3): the release's top-k is not its own
    reranked = Retrieval(operation="retrieval", provider="cohere", top_k=3, reranker=True)
    assert drift_kinds(manifest, reranked) == []
