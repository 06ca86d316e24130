"""``python -m otel_genai.demo``: the same as ``otel-genai demo``."""

from __future__ import annotations

import sys

from otel_genai.demo import run

sys.exit(run())
