"""The Mistral AI adapter of ``tests/test_providers.py``: the real ``Mistral`` client against
``helpers.mistralai_fakes``.

What differs from OpenAI is checked by what the adapter serves: the streamed answer is
``chat.stream()``'s ``EventStream`` of ``CompletionEvent`` (the chunk in ``.data``) with the usage in its
last chunk, a tool call whose id is Mistral's short kind, and the error type inside the body of a 429
(``rate_limited``), which the SDK's ``SDKError`` carries only as the body's text.
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


class MistralProvider(Provider):
    key = "mistralai"
    modules = ("mistralai.client",)  # the registry's import name: ``mistralai`` is a namespace package
    provider_name = "mistral_ai"
    model = "mistral-large-latest"  # priced for mistral_ai by the shipped table
    response_model = "mistral-large-2411"
    error_type = "rate_limited"
    tool_call_id = "D681PevKs"
    tool_finish_reasons = ("tool_calls",)

    def __init__(self) -> None:
        from helpers.mistralai_fakes import RESPONSE_ID, STREAM_ID

        self.plain = Expected(RESPONSE_ID, (16, 34), ("stop",))
        self.streamed = Expected(STREAM_ID, (16, 34), ("stop",))

    @property
    def server(self) -> tuple[str, int]:
        from helpers.mistralai_fakes import SERVER

        return SERVER

    def open(self) -> None:
        from helpers.mistralai_fakes import FakeMistral, make_client

        self.fake = FakeMistral()
        self.client = make_client(self.fake)

    def _reply(self, body: Any = None, **kwargs: Any) -> None:
        """The next request's answer (the fake keeps serving its last answer: one at a time here)."""
        self.fake.answers.clear()
        self.fake.reply(body, **kwargs)

    def _messages(self, prompt: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": prompt}]

    def chat(self, prompt: str) -> str:
        from helpers.mistralai_fakes import chat_completion

        self._reply(chat_completion(ANSWER, model=self.response_model))
        response = self.client.chat.complete(model=self.model, messages=self._messages(prompt))
        return str(response.choices[0].message.content)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.mistralai_fakes import chat_completion, tool_call

        call = tool_call(self.tool_call_id, TOOL_NAME, TOOL_ARGUMENTS)
        self._reply(chat_completion("", tool_calls=[call], finish_reason="tool_calls"))
        tool = {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
        return self.client.chat.complete(model=self.model, messages=self._messages(prompt), tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        from helpers.mistralai_fakes import error_body

        self._reply(error_body(message, self.error_type, "1300"), status=429)
        return self.client.chat.complete(model=self.model, messages=self._messages(prompt))

    def error_class(self) -> type[BaseException]:
        from helpers.mistralai_fakes import errors_module

        error: type[BaseException] = errors_module().SDKError
        return error

    def stream(self, prompt: str) -> Any:
        from helpers.mistralai_fakes import sse, text_chunks

        self._reply(stream=sse(text_chunks(ANSWER_PIECES)))
        return self.client.chat.stream(model=self.model, messages=self._messages(prompt))

    def stream_types(self) -> tuple[type, ...]:
        from helpers.mistralai_fakes import sdk_module

        return (sdk_module("utils.eventstreaming").EventStream,)

    def close_stream(self, stream: Any) -> None:
        """``close()`` (2.10 on); before, leaving the stream's ``with`` block is how it is closed."""
        if hasattr(stream.__class__, "close"):  # the SDK's class, also behind our proxy
            stream.close()
        else:
            stream.__exit__(None, None, None)

    def chunk_text(self, chunk: Any) -> str:
        choices = chunk.data.choices
        content = choices[0].delta.content if choices else None
        return content if isinstance(content, str) else ""
