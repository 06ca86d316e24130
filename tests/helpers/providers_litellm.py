"""The LiteLLM adapter of ``tests/test_providers.py``: ``litellm.completion`` to an OpenAI model.

LiteLLM calls OpenAI through the ``openai`` package; the application may hand it the client to use
(``client=``), here the real ``openai.OpenAI`` over ``FakeOpenAI`` (``helpers.openai_fakes``), so nothing
leaves the process. With the openai instrumentor on too, the promise is the same single span: LiteLLM's,
which stands for the SDK call it makes. LiteLLM prices the call itself (``_hidden_params["response_cost"]``,
from the price map it ships: ``LITELLM_LOCAL_MODEL_COST_MAP``, set in ``conftest.py``), so the span's cost
is the provider-reported one. ``litellm`` is imported inside the methods: it takes seconds.
"""

from __future__ import annotations

from typing import Any

from helpers.providers import (
    ANSWER,
    ANSWER_PIECES,
    TOOL_ARGUMENTS,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_SCHEMA,
    Expected,
    Provider,
)


class LiteLLMProvider(Provider):
    key = "litellm"
    modules = ("litellm", "openai")
    provider_name = "openai"  # the provider LiteLLM routed to, not LiteLLM
    # the dated model: LiteLLM's chunks name the model asked for, and before 1.9x nothing else names the one
    # that answered, so asking for the dated one keeps request and response models the same on every release
    model = "gpt-4o-mini-2024-07-18"
    response_model = "gpt-4o-mini-2024-07-18"
    error_type = "rate_limit_exceeded"  # OpenAI's code, from the body LiteLLM's exception keeps
    tool_call_id = "call_weather_1"
    plain = Expected("chatcmpl-abc123", (31, 58), ("stop",))
    streamed = Expected("chatcmpl-stream1", (31, 58), ("stop",))
    tool_finish_reasons = ("tool_calls",)
    CHAT = "/chat/completions"

    @property
    def server(self) -> tuple[str, int]:
        return ("api.openai.com", 443)

    def cost_source(self, call: str) -> str:
        """LiteLLM prices every plain call; a stream's price only from 1.101 (before it, every chunk carries a
        0.0 placeholder, which is no price: our table prices the stream)."""
        import importlib.metadata

        from packaging.version import Version

        if call == "stream" and Version(importlib.metadata.version("litellm")) < Version("1.101"):
            return "local"
        return "provider"

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

    def _complete(self, prompt: str, **kwargs: Any) -> Any:
        import litellm

        messages = [{"role": "user", "content": prompt}]
        return litellm.completion(model=self.model, messages=messages, client=self.client, **kwargs)

    def chat(self, prompt: str) -> str:
        from helpers.openai_fakes import chat_completion

        self._reply(chat_completion(ANSWER))
        return str(self._complete(prompt).choices[0].message.content)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.openai_fakes import chat_completion, tool_call

        call = tool_call(self.tool_call_id, TOOL_NAME, TOOL_ARGUMENTS)
        self._reply(chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
        tool = {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
        return self._complete(prompt, tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        body = {"error": {"message": message, "type": "requests", "param": None, "code": self.error_type}}
        self._reply(body, status=429)
        return self._complete(prompt)

    def error_class(self) -> type[BaseException]:
        import litellm

        error: type[BaseException] = litellm.RateLimitError
        return error

    def stream(self, prompt: str) -> Any:
        from helpers.openai_fakes import chat_chunks, sse

        self._reply(stream=sse(chat_chunks(list(ANSWER_PIECES), include_usage=True)))
        return self._complete(prompt, stream=True, stream_options={"include_usage": True})

    def stream_types(self) -> tuple[type, ...]:
        from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

        return (CustomStreamWrapper,)

    def close_stream(self, stream: Any) -> None:
        import pytest
        from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

        if not hasattr(CustomStreamWrapper, "close"):
            pytest.skip("CustomStreamWrapper has no close() in this LiteLLM release (it came in 1.10x)")
        stream.close()

    def chunk_text(self, chunk: Any) -> str:
        return "".join(choice.delta.content or "" for choice in chunk.choices)
