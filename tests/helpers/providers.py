"""One small adapter per model provider, so ``tests/test_providers.py`` can state OpenAI's promises once.

Each adapter builds the provider's real client against the provider's local fake (``openai_fakes``,
``anthropic_fakes``, ``google_genai_fakes``, ``bedrock_fakes``), makes the calls every provider must trace
the same way (a plain call, a stream, a failing call, an answer with a tool call) and says what its span
must then carry (``Expected``). Client libraries are imported inside the methods: this module imports
without them, and ``tests/test_providers.py`` skips a provider whose library is missing.

The zero-code test runs these adapters inside ``opentelemetry-instrument`` too (``tests/`` on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

ANSWER = "Hello! How can I help?"
ANSWER_PIECES = ("Hello! ", "How can ", "I help?")
TOOL_NAME = "get_weather"
TOOL_ARGUMENTS = {"city": "Paris"}
TOOL_DESCRIPTION = "Current weather for a city."
TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@dataclass(frozen=True)
class Expected:
    """What one call's span carries besides the request: ``None`` where the provider does not say."""

    response_id: str | None
    usage: tuple[int, int]  # (input tokens, output tokens), by the semconv rule
    finish_reasons: tuple[str, ...]


class Provider:
    """A model provider's real client against its local fake. ``open()`` before use, ``close()`` after."""

    key: ClassVar[str]  # the parameter id and the registry name
    modules: ClassVar[tuple[str, ...]]  # what must be importable
    provider_name: ClassVar[str]  # gen_ai.provider.name
    operation: ClassVar[str] = "chat"
    model: ClassVar[str]
    response_model: ClassVar[str | None]
    error_type: ClassVar[str]  # error.type of ``fail()``: the provider's own code
    tool_call_id: ClassVar[str | None]  # None: the provider's tool calls carry no id (Ollama)
    # whether the shipped price table prices the model (a model on one's own hardware has no price)
    priced: ClassVar[bool] = True
    plain: Expected
    streamed: Expected
    tool_finish_reasons: ClassVar[tuple[str, ...]]

    @property
    def span_name(self) -> str:
        return f"{self.operation} {self.model}"

    def cost_source(self, call: str) -> str:
        """``gen_ai.usage.cost.source`` of a ``"plain"`` or ``"stream"`` call: ``local`` (our price table) or
        ``provider`` (the response carried its price)."""
        return "local"

    @property
    def server(self) -> tuple[str, int]:
        raise NotImplementedError

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def chat(self, prompt: str) -> str:
        """A plain call answered with ``ANSWER``; returns the answer's text as the application reads it."""
        raise NotImplementedError

    def chat_with_tool_call(self, prompt: str) -> Any:
        """A call offering ``get_weather``, answered with a call of it (``tool_call_id``, Paris)."""
        raise NotImplementedError

    def fail(self, prompt: str, message: str) -> Any:
        """A call the provider refuses (a 429 saying ``message``): raises the SDK's own exception."""
        raise NotImplementedError

    def error_class(self) -> type[BaseException]:
        """What ``fail()`` raises."""
        raise NotImplementedError

    def stream(self, prompt: str) -> Any:
        """A streamed call answered with ``ANSWER`` in pieces; returns what the SDK returns, not iterated."""
        raise NotImplementedError

    def stream_types(self) -> tuple[type, ...]:
        """What the application's stream must still be an instance of."""
        raise NotImplementedError

    def chunk_text(self, chunk: Any) -> str:
        """The answer's text in one chunk (event) of the stream; "" if it carries none."""
        raise NotImplementedError

    def drain(self, stream: Any) -> str:
        """Iterate the stream to its end (``for``); the text it carried."""
        return "".join(self.chunk_text(chunk) for chunk in stream)

    def read_partly(self, stream: Any) -> str:
        """Read up to the first chunk with text, keeping the iterator as an application would (dropping
        a generator closes it); the text received."""
        self.reading = iter(stream)
        for chunk in self.reading:
            text = self.chunk_text(chunk)
            if text:
                return text
        return ""

    def close_stream(self, stream: Any) -> None:
        stream.close()


# --- OpenAI ---------------------------------------------------------------------------------------


class OpenAIProvider(Provider):
    key = "openai"
    modules = ("openai",)
    provider_name = "openai"
    model = "gpt-4o-mini"
    response_model = "gpt-4o-mini-2024-07-18"
    error_type = "rate_limit_exceeded"
    tool_call_id = "call_weather_1"
    plain = Expected("chatcmpl-abc123", (31, 58), ("stop",))
    streamed = Expected("chatcmpl-stream1", (31, 58), ("stop",))
    tool_finish_reasons = ("tool_calls",)
    CHAT = "/chat/completions"

    @property
    def server(self) -> tuple[str, int]:
        return ("api.openai.com", 443)

    def open(self) -> None:
        import openai

        from helpers.openai_fakes import FakeOpenAI, openai_http

        self.fake = FakeOpenAI()
        httpx = openai_http()
        self.client = openai.OpenAI(
            api_key="sk-test",
            base_url="https://api.openai.com/v1",
            http_client=httpx.Client(transport=httpx.MockTransport(self.fake)),
            max_retries=0,
        )

    def _reply(self, body: Any = None, **kwargs: Any) -> None:
        """The next request's answer (the fake keeps serving its last answer: one at a time here)."""
        self.fake.routes.pop(self.CHAT, None)
        self.fake.reply(self.CHAT, body, **kwargs)

    def _create(self, prompt: str, **kwargs: Any) -> Any:
        messages: list[Any] = [{"role": "user", "content": prompt}]
        return self.client.chat.completions.create(model=self.model, messages=messages, **kwargs)

    def chat(self, prompt: str) -> str:
        from helpers.openai_fakes import chat_completion

        self._reply(chat_completion(ANSWER))
        return str(self._create(prompt).choices[0].message.content)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.openai_fakes import chat_completion, tool_call

        call = tool_call(self.tool_call_id, TOOL_NAME, TOOL_ARGUMENTS)
        self._reply(chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
        tool = {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
        return self._create(prompt, tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        body = {"error": {"message": message, "type": "requests", "param": None, "code": self.error_type}}
        self._reply(body, status=429)
        return self._create(prompt)

    def error_class(self) -> type[BaseException]:
        import openai

        return openai.RateLimitError

    def stream(self, prompt: str) -> Any:
        from helpers.openai_fakes import chat_chunks, sse

        self._reply(stream=sse(chat_chunks(list(ANSWER_PIECES), include_usage=True)))
        return self._create(prompt, stream=True, stream_options={"include_usage": True})

    def stream_types(self) -> tuple[type, ...]:
        import openai

        return (openai.Stream,)

    def chunk_text(self, chunk: Any) -> str:
        return "".join(choice.delta.content or "" for choice in chunk.choices)


# --- Anthropic ------------------------------------------------------------------------------------


class AnthropicProvider(Provider):
    key = "anthropic"
    modules = ("anthropic",)
    provider_name = "anthropic"
    model = "claude-haiku-4-5"
    response_model = "claude-haiku-4-5-20251001"
    error_type = "rate_limit_error"
    tool_call_id = "toolu_01A09q90qw90lq917835lq9"
    # input = 25 + 100 cache read + 40 cache write (anthropic_fakes.usage()); the stream's output count is
    # its message_delta's
    plain = Expected("msg_01XFDUDYJgAACzvnptvVoYEL", (165, 12), ("end_turn",))
    streamed = Expected("msg_01XFDUDYJgAACzvnptvVoYEL", (165, 15), ("end_turn",))
    tool_finish_reasons = ("tool_use",)

    @property
    def server(self) -> tuple[str, int]:
        return ("api.anthropic.com", 443)

    def open(self) -> None:
        from helpers.anthropic_fakes import FakeAnthropic, make_client

        self.fake = FakeAnthropic()
        self.client = make_client(self.fake)

    def _reply(self, body: Any = None, **kwargs: Any) -> None:
        """The next request's answer (the fake keeps serving its last answer: one at a time here)."""
        self.fake.answers.clear()
        self.fake.reply(body, **kwargs)

    def _create(self, prompt: str, **kwargs: Any) -> Any:
        messages = [{"role": "user", "content": prompt}]
        return self.client.messages.create(model=self.model, max_tokens=1024, messages=messages, **kwargs)

    def chat(self, prompt: str) -> str:
        from helpers.anthropic_fakes import message

        self._reply(message(ANSWER))
        return str(self._create(prompt).content[0].text)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.anthropic_fakes import message, tool_use_block

        block = tool_use_block(self.tool_call_id, TOOL_NAME, TOOL_ARGUMENTS)
        self._reply(message([block], stop_reason="tool_use"))
        tool = {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": TOOL_SCHEMA}
        return self._create(prompt, tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        from helpers.anthropic_fakes import error_body

        self._reply(error_body(self.error_type, message), status=429)
        return self._create(prompt)

    def error_class(self) -> type[BaseException]:
        import anthropic

        return anthropic.RateLimitError

    def stream(self, prompt: str) -> Any:
        from helpers.anthropic_fakes import sse, stream_events, text_block

        self._reply(stream=sse(stream_events([text_block(ANSWER)])))
        return self._create(prompt, stream=True)

    def stream_types(self) -> tuple[type, ...]:
        import anthropic

        return (anthropic.Stream,)

    def chunk_text(self, chunk: Any) -> str:
        return str(getattr(chunk.delta, "text", "")) if chunk.type == "content_block_delta" else ""


# --- Google GenAI ---------------------------------------------------------------------------------


class GoogleGenAIProvider(Provider):
    key = "google_genai"
    modules = ("google.genai",)
    provider_name = "gcp.gemini"
    operation = "generate_content"
    model = "gemini-2.5-flash"
    response_model = "gemini-2.5-flash"
    error_type = "RESOURCE_EXHAUSTED"
    tool_call_id = "call-weather-1"
    tool_finish_reasons = ("stop",)  # Gemini ends a turn that calls a function with STOP

    def __init__(self) -> None:
        from helpers.google_genai_fakes import GEMINI_RESPONSE_ID

        # the Developer API's responseId reaches the SDK's response from google-genai 1.29
        self.plain = Expected("resp-1" if GEMINI_RESPONSE_ID else None, (8, 12), ("stop",))
        self.streamed = Expected("resp-s" if GEMINI_RESPONSE_ID else None, (8, 12), ("stop",))

    @property
    def server(self) -> tuple[str, int]:
        return ("127.0.0.1", self.fake.port)

    def open(self) -> None:
        from helpers.google_genai_fakes import FakeGemini, gemini_client

        self.fake = FakeGemini()
        self.client = gemini_client(self.fake)

    def close(self) -> None:
        self.fake.close()

    def chat(self, prompt: str) -> str:
        from helpers.google_genai_fakes import Reply, text_response

        self.fake.queue(Reply(text_response(ANSWER)))
        return str(self.client.models.generate_content(model=self.model, contents=prompt).text)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.google_genai_fakes import Reply, candidate, function_call, response

        call = function_call(TOOL_NAME, TOOL_ARGUMENTS, self.tool_call_id)
        self.fake.queue(Reply(response([candidate([call])])))
        declaration = {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA}
        config = {"tools": [{"function_declarations": [declaration]}]}
        return self.client.models.generate_content(model=self.model, contents=prompt, config=config)

    def fail(self, prompt: str, message: str) -> Any:
        from helpers.google_genai_fakes import error

        self.fake.queue(error(429, self.error_type, message))
        return self.client.models.generate_content(model=self.model, contents=prompt)

    def error_class(self) -> type[BaseException]:
        from google.genai import errors

        return errors.ClientError

    def stream(self, prompt: str) -> Any:
        from helpers.google_genai_fakes import Reply, stream

        self.fake.queue(Reply(chunks=stream(*ANSWER_PIECES)))
        return self.client.models.generate_content_stream(model=self.model, contents=prompt)

    def stream_types(self) -> tuple[type, ...]:
        import types

        return (types.GeneratorType,)

    def chunk_text(self, chunk: Any) -> str:
        return str(chunk.text or "")


# --- AWS Bedrock ----------------------------------------------------------------------------------


class BedrockProvider(Provider):
    key = "bedrock"
    modules = ("boto3", "botocore")
    provider_name = "aws.bedrock"
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    response_model = None  # Converse names no model in its answer
    error_type = "ThrottlingException"
    tool_call_id = "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"
    plain = Expected(None, (21, 9), ("end_turn",))  # Converse has no response id (aws.request_id instead)
    streamed = Expected(None, (21, 9), ("end_turn",))
    tool_finish_reasons = ("tool_use",)

    @property
    def server(self) -> tuple[str, int]:
        return ("bedrock-runtime.us-east-1.amazonaws.com", 443)

    def open(self) -> None:
        from helpers.bedrock_fakes import FakeBedrock

        self.fake = FakeBedrock()
        self.client = self.fake.client("bedrock-runtime")

    def _messages(self, prompt: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": [{"text": prompt}]}]

    def chat(self, prompt: str) -> str:
        from helpers.bedrock_fakes import converse_response

        self.fake.reply_json(converse_response([{"text": ANSWER}]))
        answer = self.client.converse(modelId=self.model, messages=self._messages(prompt))
        return str(answer["output"]["message"]["content"][0]["text"])

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.bedrock_fakes import converse_response

        use = {"toolUseId": self.tool_call_id, "name": TOOL_NAME, "input": TOOL_ARGUMENTS}
        self.fake.reply_json(converse_response([{"toolUse": use}], stop_reason="tool_use"))
        spec = {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "inputSchema": {"json": TOOL_SCHEMA}}
        return self.client.converse(
            modelId=self.model, messages=self._messages(prompt), toolConfig={"tools": [{"toolSpec": spec}]}
        )

    def fail(self, prompt: str, message: str) -> Any:
        self.fake.reply_error(self.error_type, message, 429)
        return self.client.converse(modelId=self.model, messages=self._messages(prompt))

    def error_class(self) -> type[BaseException]:
        error: type[BaseException] = self.client.exceptions.ThrottlingException  # made per client
        return error

    def stream(self, prompt: str) -> Any:
        from helpers.bedrock_fakes import converse_stream_messages

        self.fake.reply_event_stream(converse_stream_messages([{"text": list(ANSWER_PIECES)}]))
        return self.client.converse_stream(modelId=self.model, messages=self._messages(prompt))["stream"]

    def stream_types(self) -> tuple[type, ...]:
        import botocore.eventstream

        return (botocore.eventstream.EventStream,)

    def chunk_text(self, chunk: Any) -> str:
        return str(chunk.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))


def _long_tail() -> tuple[type[Provider], ...]:
    """The adapters of issue 15's clients, each in its own module (they import no client library)."""
    from helpers.providers_cohere import CohereProvider
    from helpers.providers_groq import GroqProvider
    from helpers.providers_litellm import LiteLLMProvider
    from helpers.providers_mistralai import MistralProvider
    from helpers.providers_ollama import OllamaProvider

    return (GroqProvider, MistralProvider, CohereProvider, OllamaProvider, LiteLLMProvider)


PROVIDERS: dict[str, type[Provider]] = {
    cls.key: cls
    for cls in (OpenAIProvider, AnthropicProvider, GoogleGenAIProvider, BedrockProvider, *_long_tail())
}
