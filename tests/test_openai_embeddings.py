"""OpenAI ``embeddings.create``, sync and async, through the real SDK on a local transport."""

from __future__ import annotations

import array
import base64
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from helpers.conformance import assert_conforms
from helpers.openai_fakes import FakeOpenAI, embeddings_body, openai_http
from helpers.telemetry import Telemetry
from otel_genai.llmops.prices import PriceTable

httpx = openai_http()  # httpx2 from openai 3.0, httpx before: whatever the installed SDK is built on
PATH = "/embeddings"
EMBEDDING_MODEL = "text-embedding-3-small"


def base64_embeddings_body(vectors: int = 2, dimensions: int = 8) -> dict[str, Any]:
    """What the API answers when the SDK asks for ``encoding_format=base64`` (its default)."""
    body = embeddings_body(vectors, dimensions)
    for item in body["data"]:
        item["embedding"] = base64.b64encode(array.array("f", item["embedding"]).tobytes()).decode()
    return body


def attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def assert_embeddings_span(span: Any, *, address: str = "api.openai.com", port: int = 443) -> dict[str, Any]:
    attributes = attrs(span)
    assert span.name == f"embeddings {EMBEDDING_MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == EMBEDDING_MODEL
    assert attributes["gen_ai.response.model"] == EMBEDDING_MODEL
    assert attributes["server.address"] == address
    assert attributes["server.port"] == port
    return attributes


def test_embeddings(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, base64_embeddings_body(vectors=2, dimensions=12))
    response = client.embeddings.create(model=EMBEDDING_MODEL, input=["hello", "world"])

    assert len(response.data[0].embedding) == 12
    span = telemetry.span()
    attributes = assert_embeddings_span(span)
    assert attributes["gen_ai.usage.input_tokens"] == 6
    assert attributes["gen_ai.embeddings.dimension.count"] == 12  # from the vectors received
    # The SDK asked for base64 on its own; the application asked for no format.
    assert fake_openai.last_json()["encoding_format"] == "base64"
    assert "gen_ai.request.encoding_formats" not in attributes
    assert span.status.status_code is StatusCode.UNSET
    for name in (
        "gen_ai.usage.output_tokens",
        "gen_ai.response.finish_reasons",
        "openai.api.type",
        "error.type",
    ):
        assert name not in attributes, name


def test_dimension_count_from_the_request(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    # With an explicit base64 format the SDK hands the vectors back undecoded: only the request tells.
    fake_openai.reply(PATH, base64_embeddings_body(vectors=1, dimensions=4))
    response = client.embeddings.create(
        model=EMBEDDING_MODEL, input="hello", dimensions=4, encoding_format="base64"
    )

    assert isinstance(response.data[0].embedding, str)
    assert fake_openai.last_json()["dimensions"] == 4
    attributes = assert_embeddings_span(telemetry.span())
    assert attributes["gen_ai.embeddings.dimension.count"] == 4
    assert attributes["gen_ai.request.encoding_formats"] == ("base64",)


def test_dimension_count_prefers_the_request(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, embeddings_body(vectors=1, dimensions=16))
    client.embeddings.create(model=EMBEDDING_MODEL, input="hello", dimensions=16, encoding_format="float")

    attributes = assert_embeddings_span(telemetry.span())
    assert attributes["gen_ai.embeddings.dimension.count"] == 16
    assert attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert fake_openai.last_json()["encoding_format"] == "float"


def test_server_address_and_port_of_another_endpoint(telemetry: Telemetry, fake_openai: FakeOpenAI) -> None:
    local = openai.OpenAI(
        api_key="sk-test",
        base_url="http://localhost:8080/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(fake_openai)),
        max_retries=0,
    )
    fake_openai.reply(PATH, base64_embeddings_body())
    local.embeddings.create(model=EMBEDDING_MODEL, input="hello")

    assert_embeddings_span(telemetry.span(), address="localhost", port=8080)
    (duration,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert duration.attributes["server.address"] == "localhost"
    assert duration.attributes["server.port"] == 8080


def test_metrics_are_duration_and_input_tokens_only(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, base64_embeddings_body())
    client.embeddings.create(model=EMBEDDING_MODEL, input="hello")

    metrics = telemetry.metrics()
    # an embedding model has a price: the call's cost too
    assert set(metrics) == {
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.cost",
    }
    expected = {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": EMBEDDING_MODEL,
        "gen_ai.response.model": EMBEDDING_MODEL,
        "server.address": "api.openai.com",
        "server.port": 443,
    }
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert dict(duration.attributes) == expected
    (tokens,) = metrics["gen_ai.client.token.usage"]
    assert dict(tokens.attributes) == {**expected, "gen_ai.token.type": "input"}
    assert tokens.count == 1
    assert tokens.sum == 6
    (cost,) = metrics["gen_ai.client.operation.cost"]
    assert dict(cost.attributes) == {**expected, "gen_ai.usage.cost.currency": "USD"}
    price = PriceTable.load(None).price("openai", EMBEDDING_MODEL)
    assert price is not None
    assert cost.sum == pytest.approx(6 * price.input / 1e6)


def test_no_content_is_captured_for_embeddings(
    content_telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, base64_embeddings_body())
    client.embeddings.create(model=EMBEDDING_MODEL, input="my secret text")

    attributes = assert_embeddings_span(content_telemetry.span())
    assert not any(name.startswith(("gen_ai.input", "gen_ai.output")) for name in attributes)
    assert "my secret text" not in str(attributes)


def test_error_is_recorded_and_reraised(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(
        PATH,
        {
            "error": {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
        status=401,
    )
    with pytest.raises(openai.AuthenticationError) as raised:
        client.embeddings.create(model=EMBEDDING_MODEL, input="hello", dimensions=8)

    span = telemetry.span()
    attributes = attrs(span)
    assert span.name == f"embeddings {EMBEDDING_MODEL}"
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "invalid_api_key"
    assert "gen_ai.response.model" not in attributes
    assert "gen_ai.usage.input_tokens" not in attributes
    (event,) = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.message"] == "[CONTENT_NOT_CAPTURED]"  # error text is content
    assert "Incorrect API key" in str(raised.value)  # what the SDK's exception says, left out
    assert "Incorrect API key" not in event.attributes["exception.stacktrace"]
    assert span.status.description == "invalid_api_key"

    metrics = telemetry.metrics()
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == "invalid_api_key"
    assert "gen_ai.client.token.usage" not in metrics


def test_the_very_same_exception_reaches_the_application(
    telemetry: Telemetry, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = RuntimeError("raised inside the SDK")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(client.embeddings, "_post", fail)
    with pytest.raises(RuntimeError) as raised:
        client.embeddings.create(model=EMBEDDING_MODEL, input="hello")
    assert raised.value is error
    assert attrs(telemetry.span())["error.type"] == "RuntimeError"


def test_transport_error_is_reraised(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, error=httpx.ReadTimeout("too slow"))
    with pytest.raises(openai.APITimeoutError):
        client.embeddings.create(model=EMBEDDING_MODEL, input="hello")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "APITimeoutError"


async def test_async_embeddings(telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, base64_embeddings_body(vectors=3, dimensions=5))
    response = await async_client.embeddings.create(model=EMBEDDING_MODEL, input=["a", "b", "c"])

    assert len(response.data) == 3
    attributes = assert_embeddings_span(telemetry.span())
    assert attributes["gen_ai.usage.input_tokens"] == 6
    assert attributes["gen_ai.embeddings.dimension.count"] == 5
    metrics = telemetry.metrics()
    assert [p.attributes["gen_ai.token.type"] for p in metrics["gen_ai.client.token.usage"]] == ["input"]


async def test_async_embeddings_with_parameters(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, embeddings_body(vectors=1, dimensions=3))
    await async_client.embeddings.create(
        model=EMBEDDING_MODEL, input="a", dimensions=3, encoding_format="float"
    )

    attributes = assert_embeddings_span(telemetry.span())
    assert attributes["gen_ai.embeddings.dimension.count"] == 3
    assert attributes["gen_ai.request.encoding_formats"] == ("float",)


async def test_async_error_is_recorded_and_reraised(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, {"error": {"message": "model not found", "code": "model_not_found"}}, status=404)
    with pytest.raises(openai.NotFoundError):
        await async_client.embeddings.create(model=EMBEDDING_MODEL, input="hello")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "model_not_found"


# --- the shared conformance checks (tests/helpers/conformance.py) -----------------------------------


def test_conforms(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, embeddings_body())
    client.embeddings.create(model=EMBEDDING_MODEL, input=["a", "b"], encoding_format="float", dimensions=8)
    assert_conforms(telemetry, operation="embeddings", content=False)


def test_conforms_error(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, {"error": {"message": "too long", "code": "context_length_exceeded"}}, status=400)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model=EMBEDDING_MODEL, input="a")
    assert_conforms(telemetry, operation="embeddings", failed=True, error_type="context_length_exceeded")
