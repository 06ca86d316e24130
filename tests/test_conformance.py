"""The shared conformance checks (``tests/helpers/conformance.py``) on the retrieval and tool providers:
a Chroma query (a GenAI ``retrieval``) and a ``@otel_genai.tool`` function (``execute_tool``). The OpenAI
API families run them in their own test files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import otel_genai
from helpers.conformance import assert_conforms
from helpers.telemetry import Telemetry

VECTORS = {"doc-alpha": [1.0, 0.0, 0.0], "doc-beta": [0.0, 1.0, 0.0], "doc-gamma": [0.7, 0.7, 0.0]}


@pytest.fixture
def collection(chroma_client: Any) -> Any:
    created = chroma_client.create_collection("kb-conformance", embedding_function=None)
    created.add(
        ids=list(VECTORS), embeddings=list(VECTORS.values()), documents=[f"text of {k}" for k in VECTORS]
    )
    return created


@pytest.mark.parametrize("capture", [False, True])
def test_chroma_query(make_telemetry: Callable[..., Telemetry], collection: Any, capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture)
    collection.query(query_embeddings=[[0.9, 0.2, 0.1]], n_results=2, include=["documents", "distances"])
    span = assert_conforms(telemetry, operation="retrieval", content=None)
    assert ("text of" in span.attributes["gen_ai.retrieval.documents"]) is capture


def test_chroma_query_error(make_telemetry: Callable[..., Telemetry], collection: Any) -> None:
    telemetry = make_telemetry()
    with pytest.raises(Exception):  # noqa: B017 - whatever Chroma raises for a wrong dimension
        collection.query(query_embeddings=[[1.0, 0.0]], n_results=2)
    assert_conforms(telemetry, operation="retrieval", content=False, failed=True)


@pytest.mark.parametrize("capture", [False, True])
def test_decorated_tool(make_telemetry: Callable[..., Telemetry], capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture)

    @otel_genai.tool
    def get_weather(city: str) -> dict[str, Any]:
        return {"city": city, "temperature_c": 21}

    assert get_weather("Paris") == {"city": "Paris", "temperature_c": 21}
    assert_conforms(telemetry, operation="execute_tool", content=capture)


def test_decorated_tool_error(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry()

    @otel_genai.tool
    def lookup(order_id: str) -> str:
        raise KeyError(order_id)

    with pytest.raises(KeyError):
        lookup("A-1")
    assert_conforms(telemetry, operation="execute_tool", content=False, failed=True, error_type="KeyError")
