# Lintel — `make run` to try it, `make test` to check it.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint check-migrations bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# What running needs; the dev tools (tests, linters, the browser driver) only come with `make test`.
$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $(DEV_STAMP) $(RUN_STAMP)

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

run: $(RUN_STAMP) node_modules/.installed
	$(BIN)/lintel init --demo
	$(BIN)/lintel demo
	$(BIN)/lintel serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check-migrations: $(DEV_STAMP)
	$(BIN)/python -m webapp.migration_check

test: $(DEV_STAMP) node_modules/.installed lint check-migrations
	$(BIN)/pytest -n 2

bench: $(RUN_STAMP)
	$(BIN)/lintel bench engine

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .mypy_cache .ruff_cache
