"""A small, deterministic, OpenAI-compatible HTTP server, so the demo and tests need no key and no network.

The server lives in the package (``src/otel_genai/demo/fake_openai_server.py``); this script runs it
standalone: ``python examples/fake_openai_server.py --port 8000``. In code::

    from otel_genai.demo.fake_openai_server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-local")
"""

from __future__ import annotations

from otel_genai.demo.fake_openai_server import ROUTES, TOOL_SKILLS, FakeOpenAIServer, ToolSkill, main

__all__ = ["ROUTES", "TOOL_SKILLS", "FakeOpenAIServer", "ToolSkill", "main"]

if __name__ == "__main__":
    main()
