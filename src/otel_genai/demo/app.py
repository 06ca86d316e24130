"""A tiny support bot, traced end to end by otel-genai: ``otel-genai demo`` (or ``make demo``).

It runs the real ``openai`` client against a local fake of the API (``fake_openai_server.py``), so it
needs no API key, no network and no Docker (only the ``openai`` and ``chromadb`` packages). One customer
question becomes one trace:

    support_request                          (the application's own span)
    └─ invoke_agent support-bot              (the bot's loop: its input, output and summed usage)
       ├─ embeddings text-embedding-3-small  (embed the question)
       ├─ retrieval help-articles            (Chroma, in process: the nearest articles, ids and distances)
       ├─ chat gpt-4o-mini                   (the model asks for the get_order_status tool)
       ├─ execute_tool get_order_status      (the tool runs, linked to the model's call by its id)
       └─ chat gpt-4o-mini                   (the tool's result goes back; the answer is streamed)

The bot runs as a release (``RELEASE``: model, prompt and index versioned together), so every GenAI span
carries the release, the prompt's name and version, the tenant, session and a pseudonymous user id, and
every model and embedding call its cost from the shipped price table. The streamed answer is sent with
another temperature than the release pins, on purpose: the tree shows what drift looks like.

The trace is printed as a tree at the end (``exporter="console"``). When ``OTEL_EXPORTER_OTLP_ENDPOINT``
is set, it is also sent there over OTLP, e.g. to a local Jaeger or an OpenTelemetry Collector.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import chromadb
import openai
from chromadb.config import Settings
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import Status, StatusCode

import otel_genai
from otel_genai.demo.fake_openai_server import FakeOpenAIServer

if TYPE_CHECKING:  # the request shapes the openai client declares (names vary across its releases)
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
EMBEDDING_DIMENSIONS = 256
HELP_ARTICLES_SHOWN = 2
PROMPT_NAME, PROMPT_VERSION = "support-answer", "v3"

# The release manifest (usually a release.yaml: instrument(release="release.yaml") or OTEL_GENAI_RELEASE).
# It pins what the bot was evaluated with; a call that differs is marked as drift.
RELEASE: dict[str, Any] = {
    "release": {
        "feature": "support-bot",
        "version": "2024-06-10-rc1",
        "model": {
            "provider": "openai",
            "name": CHAT_MODEL,
            "pinned_version": "2024-07-18",  # the snapshot the fake API answers with, as the real one does
            "temperature": 0.2,
            "max_tokens": 800,
        },
        "prompt": {"template_ref": f"{PROMPT_NAME}@{PROMPT_VERSION}"},
        "retrieval": {
            "index": "help-articles@2024-06-01",
            "embedding_model": EMBEDDING_MODEL,
            "top_k": HELP_ARTICLES_SHOWN,
        },
        "rollback_to": "2024-06-03-stable",
    }
}
MODEL_SETTINGS = RELEASE["release"]["model"]
# A hot-fix nobody released: the streamed answer runs warmer than the release was evaluated with.
DRIFTED_TEMPERATURE = 0.7

# Who the request is for. The user id leaves the process only as an HMAC under this secret
# (OTEL_GENAI_USER_ID_SECRET in production: the same secret in every service joins their pseudo ids).
TENANT, USER, SESSION = "acme-shop", "customer-1842", "chat-7f3a"
USER_ID_SECRET = "demo-secret-not-for-production"

SYSTEM_PROMPT = (
    "You are the support assistant of Acme Shop. Be brief and friendly; use the tools to look up orders."
)
# Fake PII on purpose: the redacting span processor removes it before anything is exported.
QUESTION = (
    "Hi, I'm Jane Doe (jane.doe@example.com, (212) 555-0147, 1742 Evergreen Terrace, Springfield, IL 62704). "
    "Where is my order A-1042?"
)

# The help centre, searched by embedding (the fake API's vectors stand in for a real model's).
HELP_ARTICLES = {
    "kb-shipping": "Orders ship within two business days; the tracking link arrives by e-mail.",
    "kb-address": "You can change the delivery address until the order has shipped.",
    "kb-returns": "Returns are free within 30 days of delivery.",
    "kb-payment": "We accept cards and PayPal; refunds reach you within 5 to 7 days.",
}

# The shop's "database".
ORDERS: dict[str, dict[str, str | None]] = {
    "A-1042": {"status": "shipped", "carrier": "UPS", "expected_delivery": "2024-06-14"},
    "A-1043": {"status": "processing", "carrier": None, "expected_delivery": "2024-06-20"},
}

TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Look up the shipping status of an order by its id.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "description": "The order id, e.g. A-1042."}},
                "required": ["order_id"],
            },
        },
    }
]


AGENT_NAME = "support-bot"


@otel_genai.tool
def get_order_status(order_id: str) -> dict[str, Any]:
    """Look up the shipping status of an order by its id."""
    order = ORDERS.get(order_id.strip().upper())
    if order is None:
        return {"order_id": order_id, "found": False}
    return {"order_id": order_id, **order}


LOCAL_TOOLS = {"get_order_status": get_order_status}


def run_tool(call: Any) -> dict[str, Any]:
    """Run a tool call the model asked for, traced as that call; bad calls become error results."""
    name = call.function.name
    tool = LOCAL_TOOLS.get(name)
    if tool is None:
        return {"error": f"unknown tool {name!r}"}
    try:
        return otel_genai.run_tool(call, tool)  # the execute_tool span carries call.id
    except (TypeError, ValueError) as error:
        return {"error": f"bad arguments for {name}: {error}"}


def say(who: str, text: str) -> None:
    print(f"  {who:<9}{text}", flush=True)


def build_help_index(client: openai.OpenAI) -> Any:
    """Embed the help articles into an in-process Chroma collection (set-up, so not traced)."""
    with suppress_instrumentation():
        vectors = client.embeddings.create(
            model=EMBEDDING_MODEL, input=list(HELP_ARTICLES.values()), dimensions=EMBEDDING_DIMENSIONS
        )
        store = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
        index = store.get_or_create_collection(
            "help-articles", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        # chromadb's declared element type: a float or an int sequence per document
        embeddings: list[Sequence[float] | Sequence[int]] = [item.embedding for item in vectors.data]
        index.upsert(
            ids=list(HELP_ARTICLES),
            embeddings=embeddings,
            documents=list(HELP_ARTICLES.values()),
        )
    return index


@otel_genai.agent(name=AGENT_NAME, description="Answers Acme Shop customers' questions about their orders")
def answer_support_request(client: openai.OpenAI, help_index: Any, question: str) -> str:
    """The bot, an agent: embed the question, look up help articles, let the model call a tool, then stream
    its answer. Its span holds the loop; with content capture, the question and the answer are its input and
    output."""
    say("customer", question)

    embedding = client.embeddings.create(
        model=EMBEDDING_MODEL, input=question, dimensions=EMBEDDING_DIMENSIONS
    )
    hits = help_index.query(query_embeddings=[embedding.data[0].embedding], n_results=HELP_ARTICLES_SHOWN)
    article_ids = hits["ids"][0]
    say("bot", f"(looked up help articles: {', '.join(article_ids)})")

    # the model calls inside carry gen_ai.prompt.name / .version (variables only with content capture)
    with otel_genai.prompt(
        PROMPT_NAME, version=PROMPT_VERSION, variables={"articles": ",".join(article_ids)}
    ):
        return converse(client, question, " ".join(hits["documents"][0]))


def converse(client: openai.OpenAI, question: str, help_text: str) -> str:
    """The model asks for a tool, the tool runs, the model streams its answer."""
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": f"{SYSTEM_PROMPT} Help articles: {help_text}"},
        {"role": "user", "content": question},
    ]
    first = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=messages,
        tools=TOOLS,
        temperature=MODEL_SETTINGS["temperature"],
        max_tokens=MODEL_SETTINGS["max_tokens"],
    )
    reply = first.choices[0].message
    calls = [call for call in reply.tool_calls or () if call.type == "function"]
    if not calls:  # the model answered without a (function) tool
        say("bot", reply.content or "")
        return reply.content or ""

    messages.append(
        {
            "role": "assistant",
            "content": reply.content,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in calls
            ],
        }
    )
    for call in calls:
        say("bot", f"(calls {call.function.name}({call.function.arguments}), call id {call.id})")
        result = run_tool(call)
        say("tool", json.dumps(result))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})

    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=messages,
        tools=TOOLS,
        temperature=DRIFTED_TEMPERATURE,  # not the release's: this span is marked as drift
        max_tokens=MODEL_SETTINGS["max_tokens"],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces = []
    print(f"  {'bot':<9}", end="", flush=True)
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            print(chunk.choices[0].delta.content, end="", flush=True)
    print(flush=True)
    return "".join(pieces)


def main(question: str = QUESTION) -> int:
    """Run the demo: one support request, traced, then the trace printed as a tree."""
    # "console" prints each finished trace as a tree; "otlp" also sends it to a Collector when one is set.
    otlp_endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    instrumentation = otel_genai.instrument(
        service_name="support-bot-demo",
        capture_content=True,
        exporter="console,otlp" if otlp_endpoint else "console",
        release=RELEASE,
        attribution=otel_genai.AttributionPolicy(user_id_secret=USER_ID_SECRET),
        # judged off the request path: the tool call's arguments against the tool's schema, and the streamed
        # answer's groundedness in the help articles retrieved before it (shown under each model call)
        evaluators=["schema_valid", "groundedness"],
    )
    tracer = instrumentation.tracer_provider.get_tracer("support-bot-demo")

    try:
        with FakeOpenAIServer() as server:
            print(f"Support bot demo: the real openai client against a local fake API at {server.base_url}\n")
            client = openai.OpenAI(base_url=server.base_url, api_key="sk-local-demo", max_retries=0)
            help_index = build_help_index(client)
            with (
                tracer.start_as_current_span("support_request") as span,
                otel_genai.attributes(tenant=TENANT, user=USER, session=SESSION),
            ):
                answer_support_request(client, help_index, question)
                span.set_status(Status(StatusCode.OK))
            print()
            if question == QUESTION:
                print("Content capture is ON. The customer's (fake) name, email, phone and address were")
                print("replaced by the redacting span processor (Presidio, off the request path) before")
                print("any exporter saw them.")
            else:
                print("Content capture is ON. Personal data in the question was replaced by the redacting")
                print("span processor (Presidio, off the request path) before any exporter saw it.")
            release = RELEASE["release"]
            print(f"\nThe GenAI spans carry the release ({release['feature']}@{release['version']}), the")
            print("tenant, the session and the user as a pseudonymous id (an HMAC: the raw id stays in")
            print("the process); model and embedding calls their cost (~: priced by the table shipped")
            print(
                f"with otel-genai). The streamed answer was sent with temperature {DRIFTED_TEMPERATURE} where"
            )
            print(f"the release pins {MODEL_SETTINGS['temperature']}: its span is marked as drift.")
            if otlp_endpoint:
                print(f"The trace is also exported over OTLP to {otlp_endpoint}.")
            print("\nThe trace, as it was exported:\n", flush=True)
            instrumentation.force_flush()
    finally:
        instrumentation.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
