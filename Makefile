# Set-up, run and test commands. Every target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
HTMX_VERSION ?= 4.0.1

.PHONY: run test lint bench vendor-htmx clean

$(STAMP): pyproject.toml
	scripts/ensure-python.sh $(PYTHON) $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	PORT=$(PORT) scripts/run.sh

test: $(STAMP)
	scripts/check-vendor.sh
	scripts/ensure-services.sh
	$(BIN)/pytest $(PYTEST_ARGS)

# The load benchmark (docs/benchmarks.md). A tiny run: make bench BENCH_SECONDS=1 BENCH_VOTES=small
bench: $(STAMP)
	VERSUS_SKIP_BROWSER=1 scripts/ensure-services.sh
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check site tests
	$(BIN)/ruff format --check site tests

vendor-htmx:
	scripts/vendor-htmx.sh $(HTMX_VERSION)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
