"""The LiteLLM adapter of ``tests/test_providers.py``: ``litellm.completion`` to an OpenAI model.

LiteLLM calls OpenAI through the ``openai`` package; the application may hand it the client to use
(``client=``), here the real ``openai.OpenAI`` over ``FakeOpenAI`` (``helpers.openai_fakes``), so nothing
leaves the process: the OpenAI adapter's client and answers, with each call made through LiteLLM. With the
openai instrumentor on too, the promise is the same single span: LiteLLM's, which stands for the SDK call it
makes. LiteLLM prices the call itself (``_hidden_params["response_cost"]``, from the price map it ships:
``LITELLM_LOCAL_MODEL_COST_MAP``, set in ``conftest.py``), so the span's cost is the provider-reported one.
``litellm`` is imported inside the methods: it takes seconds.
"""

from __future__ import annotations

from typing import Any

from helpers.providers import OpenAIProvider


class LiteLLMProvider(OpenAIProvider):
    key = "litellm"
    modules = ("litellm", "openai")
    provider_name = "openai"  # the provider LiteLLM routed to, not LiteLLM
    # the dated model: LiteLLM's chunks name the model asked for, and before 1.9x nothing else names the one
    # that answered, so asking for the dated one keeps request and response models the same on every release
    model = "gpt-4o-mini-2024-07-18"
    response_model = "gpt-4o-mini-2024-07-18"

    def cost_source(self, call: str) -> str:
        """LiteLLM prices every plain call; a stream's price only from 1.101 (before it, every chunk carries a
        0.0 placeholder, which is no price: our table prices the stream)."""
        import importlib.metadata

        from packaging.version import Version

        if call == "stream" and Version(importlib.metadata.version("litellm")) < Version("1.101"):
            return "local"
        return "provider"

    def _create(self, prompt: str, **kwargs: Any) -> Any:
        import litellm

        messages = [{"role": "user", "content": prompt}]
        return litellm.completion(model=self.model, messages=messages, client=self.client, **kwargs)

    def error_class(self) -> type[BaseException]:
        import litellm

        error: type[BaseException] = litellm.RateLimitError
        return error

    def stream_types(self) -> tuple[type, ...]:
        from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

        return (CustomStreamWrapper,)

    def close_stream(self, stream: Any) -> None:
        import pytest
        from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

        if not hasattr(CustomStreamWrapper, "close"):
            pytest.skip("CustomStreamWrapper has no close() in this LiteLLM release (it came in 1.10x)")
        stream.close()
