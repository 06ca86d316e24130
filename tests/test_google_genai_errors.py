"""Google GenAI errors: the API's errors (400, 401, 429 with and without retries, 500) as the SDK raises them,
on plain calls, streams and embeddings. The application gets the very same exception object; the span says
``error.type`` = the API's status (``RESOURCE_EXHAUSTED``), else its HTTP code; one span per call whatever
the SDK's retries."""

from __future__ import annotations

import pytest
from google.genai import errors
from opentelemetry.trace import StatusCode

from helpers.conformance import assert_conforms
from helpers.google_genai_fakes import (
    Api,
    FakeGemini,
    Reply,
    error,
    gemini_client,
    sdk_version,
    text_response,
)
from helpers.telemetry import DURATION
from otel_genai.instrumentation import google_genai as instrumentation
from otel_genai.telemetry.errors import MESSAGE_NOT_CAPTURED

# a prompt the API quotes back in its error message: content, never on spans unless content is captured
QUOTED = "Invalid value in 'My card is 4111 1111 1111 1111'"

# 1.21.0 alone (the first with retries) raised tenacity.RetryError for every API error, fixed in 1.21.1
pytestmark = pytest.mark.skipif(
    sdk_version() == (1, 21, 0), reason="google-genai 1.21.0 raises tenacity.RetryError for API errors"
)
needs_retry_options = pytest.mark.skipif(
    sdk_version() < (1, 24), reason="the client's retry_options retry API errors from google-genai 1.24"
)


def retrying_api(fake_gemini: FakeGemini, is_async: bool) -> Api:
    """Three attempts, hardly any wait between them (the SDK's own retry, tenacity underneath; releases
    before 2.x read a 0 delay as "the default")."""
    options = {"attempts": 3, "initial_delay": 0.001, "max_delay": 0.001, "jitter": 0.001}
    return Api(gemini_client(fake_gemini, retry_options=options), is_async)


HTTP_ERRORS = [
    pytest.param(400, "INVALID_ARGUMENT", errors.ClientError, id="400"),
    pytest.param(401, "UNAUTHENTICATED", errors.ClientError, id="401"),
    pytest.param(429, "RESOURCE_EXHAUSTED", errors.ClientError, id="429"),
    pytest.param(500, "INTERNAL", errors.ServerError, id="500"),
]


@pytest.mark.parametrize(("code", "status", "error_class"), HTTP_ERRORS)
async def test_http_error(telemetry, gemini_api, fake_gemini, failures, code, status, error_class):
    fake_gemini.queue(error(code, status, QUOTED))

    with pytest.raises(errors.APIError) as raised:
        await gemini_api.generate()

    assert type(raised.value) is error_class and raised.value.code == code
    assert failures == [raised.value]  # the same object the application got
    span = assert_conforms(telemetry, operation="generate_content", failed=True, error_type=status)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == status  # the message quotes the prompt: not on the span
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.message"] == MESSAGE_NOT_CAPTURED
    assert "4111" not in str(dict(event.attributes))
    [point] = telemetry.metrics()[DURATION]
    assert point.attributes["error.type"] == status
    assert len(fake_gemini.requests) == 1  # no retries unless the application asks for them


async def test_error_text_is_on_the_span_when_content_is_captured(content_telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(error(400, "INVALID_ARGUMENT", QUOTED))
    with pytest.raises(errors.ClientError):
        await gemini_api.generate()
    span = content_telemetry.span()
    assert span.attributes["error.type"] == "INVALID_ARGUMENT"
    assert QUOTED in span.status.description  # for the redacting processor to analyse


async def test_error_without_a_status_is_its_code(telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(Reply({"error": {"code": 503, "message": "unavailable"}}, status=503))
    with pytest.raises(errors.ServerError):
        await gemini_api.generate()
    assert_conforms(telemetry, operation="generate_content", failed=True, error_type="503")


@needs_retry_options
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_retried_429_then_success_is_one_successful_span(telemetry, fake_gemini, is_async):
    fake_gemini.queue(
        error(429, "RESOURCE_EXHAUSTED"), error(429, "RESOURCE_EXHAUSTED"), Reply(text_response())
    )

    result = await retrying_api(fake_gemini, is_async).generate()

    assert result.text == "Paris."
    assert len(fake_gemini.requests) == 3
    span = assert_conforms(telemetry, operation="generate_content")
    assert span.attributes["gen_ai.response.model"] == "gemini-2.5-flash"  # the answer that came in the end


@needs_retry_options
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_retries_exhausted_is_one_failed_span(telemetry, fake_gemini, failures, is_async):
    fake_gemini.queue(*(error(429, "RESOURCE_EXHAUSTED") for _ in range(3)))

    with pytest.raises(errors.ClientError) as raised:
        await retrying_api(fake_gemini, is_async).generate()

    assert len(fake_gemini.requests) == 3
    assert failures == [raised.value]
    assert_conforms(telemetry, operation="generate_content", failed=True, error_type="RESOURCE_EXHAUSTED")


async def test_stream_request_fails_before_any_chunk(telemetry, gemini_api, fake_gemini, failures):
    fake_gemini.queue(error(429, "RESOURCE_EXHAUSTED"))
    stream = await gemini_api.stream()

    with pytest.raises(errors.ClientError) as raised:
        await gemini_api.drain(stream)

    assert failures == [raised.value]
    assert_conforms(
        telemetry, operation="generate_content", failed=True, error_type="RESOURCE_EXHAUSTED", stream=True
    )


async def test_embeddings_error(telemetry, gemini_api, fake_gemini, failures):
    fake_gemini.queue(error(400, "INVALID_ARGUMENT"))
    with pytest.raises(errors.ClientError) as raised:
        await gemini_api.embed()
    assert failures == [raised.value]
    assert_conforms(telemetry, operation="embeddings", failed=True, error_type="INVALID_ARGUMENT")


async def test_connection_refused_is_the_exception_type(telemetry, fake_gemini, failures):
    port = fake_gemini.port
    fake_gemini.close()  # nothing listens there any more
    from google import genai

    client = genai.Client(api_key="test-key", http_options={"base_url": f"http://127.0.0.1:{port}/"})
    with pytest.raises(Exception) as raised:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert failures == [raised.value]
    assert_conforms(
        telemetry, operation="generate_content", failed=True, error_type=type(raised.value).__qualname__
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}}, "RESOURCE_EXHAUSTED"),
        # a stream's error before google-genai 1.8: the HTTP reason phrase where the status goes
        ({"message": "Response not read", "status": "Too Many Requests"}, "429"),
        ({"error": {"code": 429, "message": "m"}}, "429"),
    ],
)
def test_error_type_of_an_api_error(body, expected):
    assert instrumentation.api_error_type(errors.ClientError(429, body, None)) == expected


def test_error_type_of_other_exceptions_is_left_to_the_default_rule():
    assert instrumentation.api_error_type(ValueError("no")) is None
    assert instrumentation.api_error_type(TimeoutError()) is None
