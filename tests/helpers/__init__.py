"""Plain helpers shared by the tests (pytest fixtures stay in ``tests/conftest.py``).

pytest puts ``tests/`` on ``sys.path`` (rootdir-relative ``conftest.py``), so tests import them as
``from helpers.<topic> import ...``:

- ``helpers.telemetry``: ``Telemetry`` (what one instrumented test emitted), metric readers' points.
- ``helpers.openai_fakes``: a local OpenAI API (``FakeOpenAI``) and the response bodies it serves.
- ``helpers.processes``: child programs (free ports, a clean environment, collecting results) and
  parsing what they print.
- ``helpers.schemas``: the GenAI semconv JSON schemas and a validator.
- ``helpers.otlp_receiver``: OTLP receivers (gRPC and HTTP) that decode what they are sent, and a blackhole.
- ``helpers.pii_corpus``: the labelled PII corpus redaction is measured against.
- ``helpers.vector_store_asserts``: what every vector-store client's retrieval and database spans must carry.
"""
