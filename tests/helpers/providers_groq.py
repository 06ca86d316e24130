"""The Groq adapter of ``tests/test_providers.py``: the real ``groq.Groq`` against ``helpers.groq_fakes``.

Groq answers in OpenAI's shape; what differs is checked here by what the adapter serves: the stream's usage
only in its last chunk's ``x_groq.usage`` (no ``stream_options``), and the error code inside the body of
a 429 (``rate_limit_exceeded``), which the SDK's exception does not carry as an attribute.
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


class GroqProvider(Provider):
    key = "groq"
    modules = ("groq",)
    provider_name = "groq"
    model = "llama-3.3-70b-versatile"  # priced for groq by the shipped table
    response_model = "llama-3.3-70b-versatile"
    error_type = "rate_limit_exceeded"
    tool_call_id = "call_weather_1"
    plain = Expected("chatcmpl-f51b2cd2-bef7-417e-964e-a08f0b513c22", (18, 42), ("stop",))
    streamed = Expected("chatcmpl-5a0e1e8f-3b0e-4a5d-9c7e-7d2b9b1c2f11", (18, 42), ("stop",))
    tool_finish_reasons = ("tool_calls",)
    CHAT = "/chat/completions"

    @property
    def server(self) -> tuple[str, int]:
        return ("api.groq.com", 443)

    def open(self) -> None:
        from helpers.groq_fakes import FakeGroq, make_client

        self.fake = FakeGroq()
        self.client = make_client(self.fake)

    def close(self) -> None:
        self.client.close()

    def _reply(self, body: Any = None, **kwargs: Any) -> None:
        """The next request's answer (the fake keeps serving its last answer: one at a time here)."""
        self.fake.routes.pop(self.CHAT, None)
        self.fake.reply(self.CHAT, body, **kwargs)

    def _create(self, prompt: str, **kwargs: Any) -> Any:
        messages: list[Any] = [{"role": "user", "content": prompt}]
        return self.client.chat.completions.create(model=self.model, messages=messages, **kwargs)

    def chat(self, prompt: str) -> str:
        from helpers.groq_fakes import chat_completion

        self._reply(chat_completion(ANSWER))
        return str(self._create(prompt).choices[0].message.content)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.groq_fakes import chat_completion, tool_call

        call = tool_call(self.tool_call_id, TOOL_NAME, TOOL_ARGUMENTS)
        self._reply(chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
        tool = {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
        return self._create(prompt, tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        from helpers.groq_fakes import error_body

        self._reply(error_body(self.error_type, message, "tokens"), status=429)
        return self._create(prompt)

    def error_class(self) -> type[BaseException]:
        import groq

        return groq.RateLimitError

    def stream(self, prompt: str) -> Any:
        from helpers.groq_fakes import chat_chunks, sse

        self._reply(stream=sse(chat_chunks(list(ANSWER_PIECES))))
        return self._create(prompt, stream=True)

    def stream_types(self) -> tuple[type, ...]:
        import groq

        return (groq.Stream,)

    def chunk_text(self, chunk: Any) -> str:
        return "".join(choice.delta.content or "" for choice in chunk.choices)
