"""The Ollama adapter of ``tests/test_providers.py``: the real ``ollama.Client`` against
``helpers.ollama_fakes``.

What differs from the hosted providers, and what the shared tests must allow for (see ``priced`` and
``tool_call_id``): Ollama answers with no response id, its tool calls carry no id (``tool_call_id`` is
None: nothing is made up), a turn that calls a tool ends with ``done_reason`` ``stop``, a refusal's
``error.type`` is the HTTP status (``ResponseError`` has no code of its own), a stream is the SDK's plain
generator, and a local model has no price (no cost, no cost metric).
"""

from __future__ import annotations

from typing import Any, ClassVar

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

PROMPT_TOKENS = 26
ANSWER_TOKENS = 298


class OllamaProvider(Provider):
    key = "ollama"
    modules = ("ollama",)
    provider_name = "ollama"
    model = "llama3.2"  # a local model: no price
    response_model = "llama3.2"
    error_type = "429"  # the HTTP status: Ollama's error body is {"error": "<text>"}
    tool_call_id = None  # type: ignore[assignment]  # Ollama's tool calls have no id
    plain = Expected(None, (PROMPT_TOKENS, ANSWER_TOKENS), ("stop",))  # no response id either
    streamed = Expected(None, (PROMPT_TOKENS, ANSWER_TOKENS), ("stop",))
    tool_finish_reasons = ("stop",)  # Ollama ends a turn that calls a tool with "stop"
    # Self-hosted: no price in the shipped table, so no cost and no cost metric (and no unpriced warning).
    priced: ClassVar[bool] = False
    CHAT = "/api/chat"

    @property
    def server(self) -> tuple[str, int]:
        from helpers.ollama_fakes import HOST, PORT

        return (HOST, PORT)

    def open(self) -> None:
        from helpers.ollama_fakes import HOST, PORT, FakeOllama, make_client

        self.fake = FakeOllama()
        self.client = make_client(self.fake, host=f"http://{HOST}:{PORT}")

    def close(self) -> None:
        self.client._client.close()  # the SDK's Client.close() is new in ollama 0.5

    def _chat(self, prompt: str, **kwargs: Any) -> Any:
        return self.client.chat(self.model, [{"role": "user", "content": prompt}], **kwargs)

    def chat(self, prompt: str) -> str:
        from helpers.ollama_fakes import chat_response

        self.fake.reply(
            self.CHAT, chat_response(ANSWER, prompt_eval_count=PROMPT_TOKENS, eval_count=ANSWER_TOKENS)
        )
        return str(self._chat(prompt).message.content)

    def chat_with_tool_call(self, prompt: str) -> Any:
        from helpers.ollama_fakes import chat_response, function_call

        self.fake.reply(self.CHAT, chat_response("", tool_calls=[function_call(TOOL_NAME, TOOL_ARGUMENTS)]))
        tool = {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
        return self._chat(prompt, tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        self.fake.reply(self.CHAT, {"error": message}, status=int(self.error_type))
        return self._chat(prompt)

    def error_class(self) -> type[BaseException]:
        import ollama

        return ollama.ResponseError

    def stream(self, prompt: str) -> Any:
        from helpers.ollama_fakes import chat_chunks

        chunks = chat_chunks(ANSWER_PIECES, prompt_eval_count=PROMPT_TOKENS, eval_count=ANSWER_TOKENS)
        self.fake.reply(self.CHAT, stream=chunks)
        return self._chat(prompt, stream=True)

    def stream_types(self) -> tuple[type, ...]:
        import types

        return (types.GeneratorType,)

    def chunk_text(self, chunk: Any) -> str:
        return str(chunk.message.content or "")
