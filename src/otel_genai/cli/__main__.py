"""``python -m otel_genai.cli``: the ``otel-genai`` command."""

from __future__ import annotations

import sys

from otel_genai.cli import main

sys.exit(main())
