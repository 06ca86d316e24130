"""``invoke_model`` bodies of each Bedrock model family: requests, responses and response-stream chunks.

Shapes follow AWS's "Inference request parameters and response fields for foundation models" pages (Anthropic
Claude Messages API, Amazon Nova and Titan Text, Meta Llama, Mistral AI text and chat completion, Cohere
Command R / R+ and Command, Titan and Cohere embeddings) and bodies recorded from Bedrock: Nova opens a new
content block for each text delta, Cohere Command R and Mistral answer with no usage in the body (the
``X-Amzn-Bedrock-*-Token-Count`` headers carry it), and every stream's last chunk carries
``amazon-bedrock-invocationMetrics``. Each family is a ``Family`` with the ids and values its tests check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WEATHER_INPUT_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "The city name."}},
    "required": ["city"],
}


def invocation_metrics(input_tokens: int, output_tokens: int, **extra: int) -> dict[str, int]:
    """What Bedrock adds to the last chunk of every ``invoke_model_with_response_stream``."""
    return {
        "inputTokenCount": input_tokens,
        "outputTokenCount": output_tokens,
        "invocationLatency": 812,
        "firstByteLatency": 233,
        **extra,
    }


def token_headers(input_tokens: int, output_tokens: int, **cache: int) -> dict[str, str]:
    """``invoke_model``'s token-count response headers (cache_read= / cache_write= for the cache ones)."""
    headers = {
        "X-Amzn-Bedrock-Input-Token-Count": str(input_tokens),
        "X-Amzn-Bedrock-Output-Token-Count": str(output_tokens),
        "X-Amzn-Bedrock-Invocation-Latency": "604",
    }
    if "cache_read" in cache:
        headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = str(cache["cache_read"])
    if "cache_write" in cache:
        headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = str(cache["cache_write"])
    return headers


# --- Anthropic Claude (Messages API on Bedrock) -------------------------------------------------------------

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
CLAUDE_RESPONSE_MODEL = "claude-3-5-sonnet-20240620"


def anthropic_request(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 512,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": "Say hello."}],
        "temperature": 0.5,
        "top_p": 0.9,
        "top_k": 250,
        "stop_sequences": ["\n\nHuman:"],
    }
    body.update(extra)
    return body


def anthropic_tool_request() -> dict[str, Any]:
    """A tool round: the assistant's ``tool_use``, the user's ``tool_result``, an image, two tools."""
    return anthropic_request(
        system=[{"type": "text", "text": "You answer weather questions."}],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather in Paris?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_bdrk_01A",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_bdrk_01A", "content": "18°C, clear"}
                ],
            },
        ],
        tools=[
            {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "input_schema": WEATHER_INPUT_SCHEMA,
            },
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
        ],
        tool_choice={"type": "auto"},
    )


def anthropic_response(
    content: list[dict[str, Any]] | None = None, stop_reason: str = "end_turn", **usage: int
) -> dict[str, Any]:
    return {
        "id": "msg_bdrk_01KXkz4Ymw2cZHu1a3pUAzqu",
        "type": "message",
        "role": "assistant",
        "model": CLAUDE_RESPONSE_MODEL,
        "content": content if content is not None else [{"type": "text", "text": "Hello!"}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 6, **usage},
    }


def anthropic_tool_response() -> dict[str, Any]:
    return anthropic_response(
        [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_bdrk_01B", "name": "get_weather", "input": {"city": "Lyon"}},
        ],
        stop_reason="tool_use",
    )


def anthropic_thinking_response() -> dict[str, Any]:
    return anthropic_response(
        [
            {"type": "thinking", "thinking": "The user greets me.", "signature": "EqQBCkgIARABGAIiQL"},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
            {"type": "text", "text": "Hello!"},
        ]
    )


def anthropic_stream(*, tool: bool = False, cache: bool = False) -> list[dict[str, Any]]:
    """The Messages API's stream events as Bedrock's chunks; the last one carries the invocation metrics."""
    start_usage: dict[str, int] = {"input_tokens": 12, "output_tokens": 1}
    if cache:
        start_usage |= {"cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200}
    chunks: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_bdrk_01StreamAbc",
                "type": "message",
                "role": "assistant",
                "model": CLAUDE_RESPONSE_MODEL,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo!"}},
        {"type": "content_block_stop", "index": 0},
    ]
    if tool:
        chunks += [
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_bdrk_01C",
                    "name": "get_weather",
                    "input": {},
                },
            },
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": ""},
            },
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"city": "Ly'},
            },
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": 'on"}'},
            },
            {"type": "content_block_stop", "index": 1},
        ]
    chunks += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use" if tool else "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 15},
        },
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": invocation_metrics(12, 15)},
    ]
    return chunks


# --- Amazon Nova (messages-v1) ------------------------------------------------------------------------------

NOVA = "amazon.nova-micro-v1:0"


def nova_request(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemaVersion": "messages-v1",
        "system": [{"text": "You are terse."}],
        "messages": [{"role": "user", "content": [{"text": "Say this is a test"}]}],
        "inferenceConfig": {
            "max_new_tokens": 10,
            "temperature": 0.8,
            "topP": 1,
            "topK": 20,
            "stopSequences": ["|"],
        },
    }
    body.update(extra)
    return body


def nova_tool_request() -> dict[str, Any]:
    """Recorded from Nova Micro: a tool round with two calls, their JSON results, and an image."""
    return nova_request(
        messages=[
            {
                "role": "user",
                "content": [
                    {"text": "What is the weather in Seattle and San Francisco today?"},
                    {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"text": "<thinking>I will use the tool for each city.</thinking>\n"},
                    {
                        "toolUse": {
                            "name": "get_current_weather",
                            "toolUseId": "a385bacb",
                            "input": {"location": "Seattle"},
                        }
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "a385bacb",
                            "content": [{"json": {"weather": "50 degrees and raining"}}],
                        }
                    }
                ],
            },
        ],
        toolConfig={
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_current_weather",
                        "description": "Get the current weather in a given location.",
                        "inputSchema": {"json": WEATHER_INPUT_SCHEMA},
                    }
                }
            ]
        },
    )


def nova_response(
    content: list[dict[str, Any]] | None = None, stop_reason: str = "end_turn"
) -> dict[str, Any]:
    return {
        "output": {
            "message": {
                "content": content if content is not None else [{"text": "This is a test."}],
                "role": "assistant",
            }
        },
        "stopReason": stop_reason,
        "usage": {
            "inputTokens": 427,
            "outputTokens": 162,
            "totalTokens": 589,
            "cacheReadInputTokenCount": 0,
            "cacheWriteInputTokenCount": 0,
        },
    }


def nova_tool_response() -> dict[str, Any]:
    return nova_response(
        [
            {"text": "<thinking>Now San Francisco.</thinking>\n"},
            {
                "toolUse": {
                    "name": "get_current_weather",
                    "toolUseId": "9b02c6fa",
                    "input": {"location": "San Francisco"},
                }
            },
        ],
        stop_reason="tool_use",
    )


def nova_stream(*, tool: bool = False) -> list[dict[str, Any]]:
    """Recorded shape: one content block per text delta, then messageStop and metadata (with Bedrock's
    invocation metrics)."""
    chunks: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    for index, piece in enumerate(["It", " sounds", " like a test"]):
        chunks.append({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": index}})
        chunks.append({"contentBlockStop": {"contentBlockIndex": index}})
    if tool:
        chunks += [
            {
                "contentBlockStart": {
                    "start": {"toolUse": {"toolUseId": "tooluse_kZJMlvQm", "name": "get_current_weather"}},
                    "contentBlockIndex": 3,
                }
            },
            {
                "contentBlockDelta": {
                    "delta": {"toolUse": {"input": '{"location":"Seattle"}'}},
                    "contentBlockIndex": 3,
                }
            },
            {"contentBlockStop": {"contentBlockIndex": 3}},
        ]
    chunks += [
        {"messageStop": {"stopReason": "tool_use" if tool else "max_tokens"}},
        {
            "metadata": {"usage": {"inputTokens": 5, "outputTokens": 10}, "metrics": {}, "trace": {}},
            "amazon-bedrock-invocationMetrics": invocation_metrics(5, 10),
        },
    ]
    return chunks


# --- Amazon Titan Text --------------------------------------------------------------------------------------

TITAN = "amazon.titan-text-express-v1"


def titan_request() -> dict[str, Any]:
    return {
        "inputText": "User: Say this is a test\nBot:",
        "textGenerationConfig": {"maxTokenCount": 10, "temperature": 0.8, "topP": 1, "stopSequences": ["|"]},
    }


def titan_response() -> dict[str, Any]:
    return {
        "inputTextTokenCount": 9,
        "results": [{"tokenCount": 10, "outputText": "\nThis is a test.", "completionReason": "LENGTH"}],
    }


def titan_stream() -> list[dict[str, Any]]:
    return [
        {
            "outputText": "\nThis is",
            "index": 0,
            "totalOutputTextTokenCount": 4,
            "completionReason": None,
            "inputTextTokenCount": 9,
        },
        {
            "outputText": " a test.",
            "index": 0,
            "totalOutputTextTokenCount": 10,
            "completionReason": "LENGTH",
            "inputTextTokenCount": None,
            "amazon-bedrock-invocationMetrics": invocation_metrics(9, 10),
        },
    ]


# --- Meta Llama ---------------------------------------------------------------------------------------------

LLAMA = "meta.llama3-1-70b-instruct-v1:0"


def llama_request() -> dict[str, Any]:
    return {
        "prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nSay this is a test<|eot_id|>",
        "max_gen_len": 10,
        "temperature": 0.8,
        "top_p": 0.9,
    }


def llama_response() -> dict[str, Any]:
    return {
        "generation": " post. This is a test post. This is",
        "prompt_token_count": 5,
        "generation_token_count": 10,
        "stop_reason": "length",
    }


def llama_stream() -> list[dict[str, Any]]:
    return [
        {"generation": " post.", "prompt_token_count": 5, "generation_token_count": 2, "stop_reason": None},
        {
            "generation": " This is a test",
            "prompt_token_count": None,
            "generation_token_count": 6,
            "stop_reason": None,
        },
        {
            "generation": " post.",
            "prompt_token_count": None,
            "generation_token_count": 8,
            "stop_reason": "stop",
            "amazon-bedrock-invocationMetrics": invocation_metrics(5, 8),
        },
    ]


# --- Mistral (text completion and chat completion) ----------------------------------------------------------

MISTRAL = "mistral.mistral-7b-instruct-v0:2"
MISTRAL_LARGE = "mistral.mistral-large-2407-v1:0"


def mistral_text_request() -> dict[str, Any]:
    return {
        "prompt": "<s>[INST] Say this is a test [/INST]",
        "max_tokens": 10,
        "temperature": 0.8,
        "top_p": 1,
        "top_k": 50,
        "stop": ["|"],
    }


def mistral_text_response() -> dict[str, Any]:
    return {"outputs": [{"text": "\n\nA man stands before a crowd of people", "stop_reason": "length"}]}


def mistral_text_stream() -> list[dict[str, Any]]:
    return [
        {"outputs": [{"text": "\n\nA man", "stop_reason": None}]},
        {
            "outputs": [{"text": " stands before a crowd", "stop_reason": "length"}],
            "amazon-bedrock-invocationMetrics": invocation_metrics(6, 10),
        },
    ]


def mistral_chat_request() -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "What is the most popular song on WZPZ?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "v6RMMiRlT", "function": {"name": "top_song", "arguments": '{"sign": "WZPZ"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "v6RMMiRlT", "content": "Elemental Hotel by 8 Storey Hike"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "top_song",
                    "description": "Get the most popular song played on a radio station.",
                    "parameters": {
                        "type": "object",
                        "properties": {"sign": {"type": "string"}},
                        "required": ["sign"],
                    },
                },
            }
        ],
        "tool_choice": "auto",
        "max_tokens": 200,
        "temperature": 0.3,
        "top_p": 0.9,
    }


def mistral_chat_response(*, tool: bool = False) -> dict[str, Any]:
    """Mistral Large 2 (24.07): an OpenAI-like chat completion with usage."""
    message: dict[str, Any] = {"role": "assistant", "content": "The most popular song is Elemental Hotel."}
    if tool:
        message = {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "bZ8y7Tw4c", "function": {"name": "top_song", "arguments": '{"sign": "WKRP"}'}}
            ],
        }
    return {
        "id": "cmpl-7d3c1a1e2b2a4d8b9f5e6c0d1a2b3c4d",
        "object": "chat.completion",
        "created": 1722463240,
        "model": "mistral-large-2407",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool else "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 61, "total_tokens": 72, "completion_tokens": 11},
    }


def mistral_large_2402_response() -> dict[str, Any]:
    """Mistral Large (24.02): ``choices`` with ``stop_reason`` and no usage (the headers carry it)."""
    return {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Elemental Hotel."},
                "stop_reason": "stop",
            }
        ]
    }


def mistral_chat_stream() -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "id": "b0098812-0ad9-42da-9f17-a5e2f554eb6b",
            "object": "chat.completion.chunk",
            "created": 1722463240,
            "model": "mistral-large-2407",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }

    return [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Elemental"}),
        chunk({"content": " Hotel."}),
        chunk({"content": ""}, "stop", **{"amazon-bedrock-invocationMetrics": invocation_metrics(61, 11)}),
    ]


# --- OpenAI gpt-oss (Chat Completions bodies) ---------------------------------------------------------------

GPT_OSS = "openai.gpt-oss-20b-1:0"


def openai_chat_request() -> dict[str, Any]:
    return {
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": "Say hello."},
        ],
        "max_completion_tokens": 150,
        "temperature": 0.7,
        "top_p": 0.9,
        "stop": ["END"],
        "seed": 11,
        "reasoning_effort": "low",
    }


def openai_chat_response() -> dict[str, Any]:
    """InvokeModel answers with the chat completion object; the reasoning leads the text in tags."""
    return {
        "id": "chatcmpl-1f3ab1d2c8f54a3c9b0f2d7e",
        "object": "chat.completion",
        "created": 1754412345,
        "model": GPT_OSS,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "<reasoning>Greet back.</reasoning>Hello!"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 21, "completion_tokens": 12, "total_tokens": 33},
    }


def openai_chat_stream() -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "id": "chatcmpl-5e2c0c8a7f6b4d3e",
            "object": "chat.completion.chunk",
            "created": 1754412345,
            "model": GPT_OSS,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }

    return [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hello"}),
        chunk({"content": "!"}),
        chunk({}, "stop", **{"amazon-bedrock-invocationMetrics": invocation_metrics(21, 3)}),
    ]


# --- Cohere Command R / R+ (chat) and Command (generate) ----------------------------------------------------

COHERE_R = "cohere.command-r-plus-v1:0"
COHERE_COMMAND = "cohere.command-text-v14"


def cohere_chat_request() -> dict[str, Any]:
    return {
        "message": "What is the most popular song on WZPZ?",
        "chat_history": [
            {"role": "USER", "message": "Who discovered gravity?"},
            {"role": "CHATBOT", "message": "Isaac Newton."},
        ],
        "preamble": "You are a radio DJ.",
        "max_tokens": 100,
        "temperature": 0.8,
        "p": 0.99,
        "k": 40,
        "stop_sequences": ["|"],
        "frequency_penalty": 0.1,
        "presence_penalty": 0.2,
        "seed": 7,
        "tools": [
            {
                "name": "top_song",
                "description": "Get the most popular song played on a radio station.",
                "parameter_definitions": {
                    "sign": {"description": "The call sign of the station.", "type": "str", "required": True}
                },
            }
        ],
    }


def cohere_tool_results_request() -> dict[str, Any]:
    body = cohere_chat_request()
    body["message"] = ""
    body["tool_results"] = [
        {
            "call": {"name": "top_song", "parameters": {"sign": "WZPZ"}},
            "outputs": [{"song": "Elemental Hotel"}],
        }
    ]
    return body


def cohere_chat_response(*, tool: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "response_id": "379ed018/aa2df2bf-edc8-483f-8cd0-d22d04ba34ba",
        "text": "This is a test. How are you doing today",
        "generation_id": "2d74c447-266d-4286-8425-a92ad7fc0cbc",
        "chat_history": [
            {"role": "USER", "message": "Say this is a test"},
            {"role": "CHATBOT", "message": "This is a test. How are you doing today"},
        ],
        "finish_reason": "MAX_TOKENS",
    }
    if tool:
        body["text"] = "I will use the top_song tool."
        body["finish_reason"] = "COMPLETE"
        body["tool_calls"] = [{"name": "top_song", "parameters": {"sign": "WZPZ"}}]
    return body


def cohere_chat_stream() -> list[dict[str, Any]]:
    final = cohere_chat_response() | {"text": "Hello there!", "finish_reason": "COMPLETE"}
    return [
        {"is_finished": False, "event_type": "stream-start", "generation_id": final["generation_id"]},
        {"is_finished": False, "event_type": "text-generation", "text": "Hello"},
        {"is_finished": False, "event_type": "text-generation", "text": " there!"},
        {
            "is_finished": True,
            "event_type": "stream-end",
            "response": final,
            "finish_reason": "COMPLETE",
            "amazon-bedrock-invocationMetrics": invocation_metrics(5, 3),
        },
    ]


def cohere_generate_request() -> dict[str, Any]:
    return {
        "prompt": "Say this is a test",
        "max_tokens": 10,
        "temperature": 0.8,
        "p": 1,
        "k": 0,
        "stop_sequences": ["|"],
        "num_generations": 1,
    }


def cohere_generate_response() -> dict[str, Any]:
    return {
        "id": "a09c1c60-6608-482a-b98d-764e4d87fcd1",
        "generations": [
            {
                "id": "8b38ce59-5f77-4b79-82c3-58eb72d4b1a2",
                "text": " Let it be a test of knowledge, skills,",
                "finish_reason": "MAX_TOKENS",
            }
        ],
        "prompt": "Say this is a test",
    }


def cohere_generate_stream() -> list[dict[str, Any]]:
    return [
        {"text": " Let it be", "is_finished": False},
        {"text": " a test.", "is_finished": False},
        {
            "is_finished": True,
            "finish_reason": "COMPLETE",
            "amazon-bedrock-invocationMetrics": invocation_metrics(5, 6),
        },
    ]


# --- embeddings ---------------------------------------------------------------------------------------------

TITAN_EMBED = "amazon.titan-embed-text-v2:0"
COHERE_EMBED = "cohere.embed-english-v3"


def titan_embed_request() -> dict[str, Any]:
    return {
        "inputText": "Refunds take 5 days.",
        "dimensions": 256,
        "normalize": True,
        "embeddingTypes": ["float"],
    }


def titan_embed_response(dimensions: int = 256) -> dict[str, Any]:
    vector = [0.01 * (i % 7) for i in range(dimensions)]
    return {"embedding": vector, "inputTextTokenCount": 6, "embeddingsByType": {"float": vector}}


def cohere_embed_request() -> dict[str, Any]:
    return {
        "texts": ["Refunds take 5 days.", "Returns need a receipt."],
        "input_type": "search_document",
        "truncate": "END",
    }


def cohere_embed_response(dimensions: int = 1024) -> dict[str, Any]:
    return {
        "embeddings": [[0.02] * dimensions, [0.03] * dimensions],
        "id": "5d1fdc5a-8d9b-4b4a-9b8f-6a1f0b7f2c11",
        "response_type": "embeddings_floats",
        "texts": ["refunds take 5 days.", "returns need a receipt."],
    }


# --- the families as test cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One family's plain call, as the tests drive and check it."""

    name: str  # the ModelFamily.name expected
    model_id: str
    operation: str
    request: Callable[[], dict[str, Any]]
    response: Callable[[], dict[str, Any]]
    stream: Callable[[], list[dict[str, Any]]] | None
    # span attributes the request gives
    parameters: dict[str, Any]
    # what the plain response gives (tokens may come from headers: ``headers``)
    finish_reasons: tuple[str, ...]
    input_tokens: int | None
    output_tokens: int | None
    output_text: str
    response_id: str | None = None
    response_model: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # what the stream gives
    stream_finish_reasons: tuple[str, ...] = ()
    stream_text: str = ""
    stream_input_tokens: int | None = None
    stream_output_tokens: int | None = None
    stream_response_id: str | None = None


FAMILIES = (
    Family(
        "anthropic",
        CLAUDE,
        "chat",
        anthropic_request,
        anthropic_response,
        anthropic_stream,
        {
            "gen_ai.request.max_tokens": 512,
            "gen_ai.request.temperature": 0.5,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.top_k": 250,
            "gen_ai.request.stop_sequences": ("\n\nHuman:",),
        },
        ("end_turn",),
        12,
        6,
        "Hello!",
        response_id="msg_bdrk_01KXkz4Ymw2cZHu1a3pUAzqu",
        response_model=CLAUDE_RESPONSE_MODEL,
        stream_finish_reasons=("end_turn",),
        stream_text="Hello!",
        stream_input_tokens=12,
        stream_output_tokens=15,
        stream_response_id="msg_bdrk_01StreamAbc",
    ),
    Family(
        "amazon.nova",
        NOVA,
        "chat",
        nova_request,
        nova_response,
        nova_stream,
        {
            "gen_ai.request.max_tokens": 10,
            "gen_ai.request.temperature": 0.8,
            "gen_ai.request.top_p": 1.0,
            "gen_ai.request.top_k": 20,
            "gen_ai.request.stop_sequences": ("|",),
        },
        ("end_turn",),
        427,
        162,
        "This is a test.",
        stream_finish_reasons=("max_tokens",),
        stream_text="It sounds like a test",
        stream_input_tokens=5,
        stream_output_tokens=10,
    ),
    Family(
        "amazon.titan",
        TITAN,
        "text_completion",
        titan_request,
        titan_response,
        titan_stream,
        {
            "gen_ai.request.max_tokens": 10,
            "gen_ai.request.temperature": 0.8,
            "gen_ai.request.top_p": 1.0,
            "gen_ai.request.stop_sequences": ("|",),
        },
        ("LENGTH",),
        9,
        10,
        "\nThis is a test.",
        stream_finish_reasons=("LENGTH",),
        stream_text="\nThis is a test.",
        stream_input_tokens=9,
        stream_output_tokens=10,
    ),
    Family(
        "meta.llama",
        LLAMA,
        "text_completion",
        llama_request,
        llama_response,
        llama_stream,
        {"gen_ai.request.max_tokens": 10, "gen_ai.request.temperature": 0.8, "gen_ai.request.top_p": 0.9},
        ("length",),
        5,
        10,
        " post. This is a test post. This is",
        stream_finish_reasons=("stop",),
        stream_text=" post. This is a test post.",
        stream_input_tokens=5,
        stream_output_tokens=8,
    ),
    Family(
        "mistral",
        MISTRAL,
        "text_completion",
        mistral_text_request,
        mistral_text_response,
        mistral_text_stream,
        {
            "gen_ai.request.max_tokens": 10,
            "gen_ai.request.temperature": 0.8,
            "gen_ai.request.top_p": 1.0,
            "gen_ai.request.top_k": 50,
            "gen_ai.request.stop_sequences": ("|",),
        },
        ("length",),
        6,
        10,
        "\n\nA man stands before a crowd of people",
        headers=token_headers(6, 10),
        stream_finish_reasons=("length",),
        stream_text="\n\nA man stands before a crowd",
        stream_input_tokens=6,
        stream_output_tokens=10,
    ),
    Family(
        "mistral",
        MISTRAL_LARGE,
        "chat",
        mistral_chat_request,
        mistral_chat_response,
        mistral_chat_stream,
        {"gen_ai.request.max_tokens": 200, "gen_ai.request.temperature": 0.3, "gen_ai.request.top_p": 0.9},
        ("stop",),
        61,
        11,
        "The most popular song is Elemental Hotel.",
        response_id="cmpl-7d3c1a1e2b2a4d8b9f5e6c0d1a2b3c4d",
        response_model="mistral-large-2407",
        stream_finish_reasons=("stop",),
        stream_text="Elemental Hotel.",
        stream_input_tokens=61,
        stream_output_tokens=11,
        stream_response_id="b0098812-0ad9-42da-9f17-a5e2f554eb6b",
    ),
    Family(
        "openai",
        GPT_OSS,
        "chat",
        openai_chat_request,
        openai_chat_response,
        openai_chat_stream,
        {
            "gen_ai.request.max_tokens": 150,
            "gen_ai.request.temperature": 0.7,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.stop_sequences": ("END",),
            "gen_ai.request.seed": 11,
        },
        ("stop",),
        21,
        12,
        "<reasoning>Greet back.</reasoning>Hello!",
        response_id="chatcmpl-1f3ab1d2c8f54a3c9b0f2d7e",
        response_model=GPT_OSS,
        stream_finish_reasons=("stop",),
        stream_text="Hello!",
        stream_input_tokens=21,
        stream_output_tokens=3,
        stream_response_id="chatcmpl-5e2c0c8a7f6b4d3e",
    ),
    Family(
        "cohere.command-r",
        COHERE_R,
        "chat",
        cohere_chat_request,
        cohere_chat_response,
        cohere_chat_stream,
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.temperature": 0.8,
            "gen_ai.request.top_p": 0.99,
            "gen_ai.request.top_k": 40,
            "gen_ai.request.stop_sequences": ("|",),
            "gen_ai.request.frequency_penalty": 0.1,
            "gen_ai.request.presence_penalty": 0.2,
            "gen_ai.request.seed": 7,
        },
        ("MAX_TOKENS",),
        5,
        10,
        "This is a test. How are you doing today",
        response_id="2d74c447-266d-4286-8425-a92ad7fc0cbc",
        headers=token_headers(5, 10),
        stream_finish_reasons=("COMPLETE",),
        stream_text="Hello there!",
        stream_input_tokens=5,
        stream_output_tokens=3,
        stream_response_id="2d74c447-266d-4286-8425-a92ad7fc0cbc",
    ),
    Family(
        "cohere.command",
        COHERE_COMMAND,
        "text_completion",
        cohere_generate_request,
        cohere_generate_response,
        cohere_generate_stream,
        {
            "gen_ai.request.max_tokens": 10,
            "gen_ai.request.temperature": 0.8,
            "gen_ai.request.top_p": 1.0,
            "gen_ai.request.top_k": 0,
            "gen_ai.request.stop_sequences": ("|",),
        },
        ("MAX_TOKENS",),
        5,
        10,
        " Let it be a test of knowledge, skills,",
        response_id="a09c1c60-6608-482a-b98d-764e4d87fcd1",
        headers=token_headers(5, 10),
        stream_finish_reasons=("COMPLETE",),
        stream_text=" Let it be a test.",
        stream_input_tokens=5,
        stream_output_tokens=6,
    ),
)
