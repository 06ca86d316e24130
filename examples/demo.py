"""A tiny support bot, traced end to end by otel-genai: ``make demo`` (the same as ``otel-genai demo``).

It runs the real ``openai`` client against a local fake of the API, so it needs no API key, no network
and no Docker. One customer question becomes one trace:

    support_request                       (the application's own span)
    ├─ embeddings text-embedding-3-small  (embed the question)
    ├─ retrieval help-articles            (Chroma, in process: the nearest help articles, ids and distances)
    ├─ chat gpt-4o-mini                   (the model asks for the get_order_status tool)
    ├─ execute_tool get_order_status      (the tool runs, linked to the model's call by its id)
    └─ chat gpt-4o-mini                   (the tool's result goes back; the answer is streamed)

The app lives in the package, so that ``otel-genai demo`` works from an installed otel-genai too: read it
in ``src/otel_genai/demo/app.py`` (and the fake API in ``src/otel_genai/demo/fake_openai_server.py``).
"""

from __future__ import annotations

import sys

from otel_genai.demo import run

if __name__ == "__main__":
    sys.exit(run())
