"""The registry: every instrumentor otel-genai ships, declared once.

Each entry says what ``instrument()``, ``opentelemetry-instrument``, ``otel-genai doctor`` and the README need
to know about an instrumentor without importing it or its client library: its name (the entry point's and
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``'), where the class is, the library's import name (the
post-import hook waits on it) and distribution, and the supported version range. The instrumentor class
names its entry (``name = "openai"``) and reads its ``instrumentation_dependencies()`` from it.

Why here and not as attributes of the classes: ``instrument()`` must decide, for every library, whether to
turn on now or wait for the application's import, without importing our instrumentor modules (``mcp.py``
imports pydantic, which an application without MCP should not pay for, and one broken module must disable
itself only). ``tests/test_instrumentors.py`` checks that each class names its entry, that the
``pyproject.toml`` entry points and the README table match this list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Declaration:
    """One instrumentor: what it instruments and which releases it supports."""

    name: str  # entry point name, and what OTEL_PYTHON_DISABLED_INSTRUMENTATIONS lists
    instrumentor: str  # "package.module:Class"
    module: str  # the library's import name: what the post-import hook waits for
    distribution: str  # the library's distribution (PyPI) name
    versions: str  # supported releases, a PEP 440 specifier set

    @property
    def requirement(self) -> str:
        """``"openai >= 1.0.0, < 4"``: what ``instrumentation_dependencies()`` returns."""
        return f"{self.distribution} {self.versions}"

    def load(self) -> Any:
        """The instrumentor class (imports our module, which imports no client library)."""
        module_name, class_name = self.instrumentor.split(":")
        return getattr(importlib.import_module(module_name), class_name)


_PACKAGE = "otel_genai.instrumentation"

# Registry order is the order instrument() turns them on and doctor lists them.
DECLARATIONS: tuple[Declaration, ...] = (
    # tested (make test-matrix): 1.66.0, the first with the Responses API, and the newest 3.x. Below it,
    # no Responses API, and 1.40's beta parse() calls chat.completions.create inside (two spans, one call)
    Declaration("openai", f"{_PACKAGE}.openai:OpenAIInstrumentor", "openai", "openai", ">= 1.66.0, < 4"),
    # tested (make test-matrix): 0.43 (httpx, no native tracing; below it the messages.stream() manager
    # reads the HTTP response itself) and the newest 2.x (httpx2, the SDK's own spans replaced by ours);
    # 1.17 by hand
    Declaration(
        "anthropic", f"{_PACKAGE}.anthropic:AnthropicInstrumentor", "anthropic", "anthropic", ">= 0.43, < 3"
    ),
    # tested (make test-matrix): 1.8 (below it: no thoughts usage, stream errors named by reason phrase) and
    # the newest 3.x
    Declaration(
        "google_genai",
        f"{_PACKAGE}.google_genai:GoogleGenAIInstrumentor",
        "google.genai",
        "google-genai",
        ">= 1.8, < 4",
    ),
    # tested (make test-matrix): 1.34.116, the first with Converse (newer API members skip by detection)
    Declaration(
        "bedrock", f"{_PACKAGE}.bedrock:BedrockInstrumentor", "botocore", "botocore", ">= 1.34.116, < 2"
    ),
    Declaration(
        "chromadb", f"{_PACKAGE}.chromadb:ChromaInstrumentor", "chromadb", "chromadb", ">= 1.0.8, < 2"
    ),
    Declaration(
        "qdrant", f"{_PACKAGE}.qdrant:QdrantInstrumentor", "qdrant_client", "qdrant-client", ">= 1.13, < 2"
    ),
    Declaration(
        "pinecone", f"{_PACKAGE}.pinecone:PineconeInstrumentor", "pinecone", "pinecone", ">= 10, < 11"
    ),
    Declaration(
        "langchain",
        f"{_PACKAGE}.langchain:LangChainInstrumentor",
        "langchain_core",
        "langchain-core",
        ">= 0.3.26",
    ),
    # tested: 0.3.34 (langgraph-prebuilt 0.1) and 1.2.24. Imported as ``langgraph.pregel``: ``langgraph``
    # is a namespace package, whose import no post-import hook sees
    Declaration(
        "langgraph",
        f"{_PACKAGE}.langgraph:LangGraphInstrumentor",
        "langgraph.pregel",
        "langgraph",
        ">= 0.3.34, < 2",
    ),
    # tested (make test-matrix): 1.23 (tests/test_mcp_v1.py: no native tracing) and the newest 2.x
    # (tests/test_mcp.py: the SDK's own span replaced by ours)
    # The long tail of model clients (issue 15). LiteLLM's model span owns the SDK calls it makes inside.
    # groq: tested 0.4.0 (the first Stainless release; embeddings from 0.6, in-stream errors raised from
    # 0.11) and 1.7.0 (tests/test_groq.py, tests/test_providers.py)
    Declaration("groq", f"{_PACKAGE}.groq:GroqInstrumentor", "groq", "groq", ">= 0.4, < 2"),
    # mistralai: tested 2.9.2 and 3.7.0 (tests/test_mistralai.py). Imported as ``mistralai.client``: from
    # 2.0 ``mistralai`` is a namespace package, whose import no post-import hook sees (1.x, a plain
    # ``mistralai``, is read by the module too, but this name never fires there); 2.0-2.9.1 pin
    # opentelemetry-semantic-conventions < 0.61, which no opentelemetry-instrumentation we support allows
    Declaration(
        "mistralai",
        f"{_PACKAGE}.mistralai:MistralInstrumentor",
        "mistralai.client",
        "mistralai",
        ">= 2.9.2, < 4",
    ),
    # cohere: tested 5.16.0 (the first release with the v2 raw client that is wrapped; before it the SDK's
    # per-instance ``chat`` binding hides clients made before instrument()) and 7.3.1 (tests/test_cohere.py,
    # tests/test_providers.py)
    Declaration("cohere", f"{_PACKAGE}.cohere:CohereInstrumentor", "cohere", "cohere", ">= 5.16, < 8"),
    # ollama: tested 0.4.0 (the first with typed responses; 0.3 answers dicts) and 0.6.3
    # (tests/test_ollama.py, tests/test_providers.py); `think` from 0.5, a schema as `format` from 0.4.3
    Declaration("ollama", f"{_PACKAGE}.ollama:OllamaInstrumentor", "ollama", "ollama", ">= 0.4, < 1"),
    # tested: 1.60.0 (tests/test_litellm.py; streams have no close() and no answering model before 1.10x /
    # 1.9x: those checks skip or adapt) and 1.110.2
    Declaration("litellm", f"{_PACKAGE}.litellm:LiteLLMInstrumentor", "litellm", "litellm", ">= 1.60, < 2"),
    Declaration("mcp", f"{_PACKAGE}.mcp:MCPInstrumentor", "mcp", "mcp", ">= 1.23, < 3"),
    # tested: 0.24.0 (tests/test_openai_agents.py)
    Declaration(
        "openai_agents",
        f"{_PACKAGE}.openai_agents:OpenAIAgentsInstrumentor",
        "agents",
        "openai-agents",
        ">= 0.24.0, < 1",
    ),
)

BY_NAME: dict[str, Declaration] = {declaration.name: declaration for declaration in DECLARATIONS}


def declaration(name: str) -> Declaration:
    """The registry entry called ``name`` (``KeyError`` for a name nobody declared)."""
    return BY_NAME[name]


def is_installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it. A dotted name whose package is missing
    (``langgraph.pregel`` without langgraph) is not installed: ``find_spec`` raises for it rather than
    answering None."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
