"""The support-bot demo (``otel-genai demo``, ``make demo``) and the local fake OpenAI API it runs against.

Importing this package is cheap; ``run()`` checks that the demo's client libraries (``openai``,
``chromadb``: they are not dependencies of otel-genai) are installed before importing the app.
"""

from __future__ import annotations

import importlib.util
import sys

# module name -> the package that provides it
REQUIRED = {"openai": "openai", "chromadb": "chromadb"}


def missing_packages() -> list[str]:
    """The packages the demo needs that are not installed."""
    return [package for module, package in REQUIRED.items() if importlib.util.find_spec(module) is None]


def run(question: str | None = None) -> int:
    """Run the demo; exit status 2 (with what to install) when its client libraries are missing."""
    missing = missing_packages()
    if missing:
        print(
            f"The demo needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not "
            f"installed here ({sys.executable}). Install {'it' if len(missing) == 1 else 'them'} with:\n\n"
            f"    {sys.executable} -m pip install {' '.join(missing)}\n",
            file=sys.stderr,
        )
        return 2
    from otel_genai.demo import app

    return app.main(question) if question else app.main()
