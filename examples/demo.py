"""A tiny support bot, traced end to end by otel-genai: ``make demo`` (the same as ``otel-genai demo``).

It runs the real ``openai`` client against a local fake of the API, so it needs no API key, no network
and no Docker; one customer question becomes one trace, printed as a tree.

The app lives in the package, so that ``otel-genai demo`` works from an installed otel-genai too: read it,
and the trace it makes, in ``src/otel_genai/demo/app.py`` (the fake API is
``src/otel_genai/demo/fake_openai_server.py``).
"""

from __future__ import annotations

import sys

from otel_genai.demo import run

if __name__ == "__main__":
    sys.exit(run())
