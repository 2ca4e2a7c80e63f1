# Lintel — `make run` to try it, `make test` to check it.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint check-migrations bench clean assets

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

# The studio's modeler (bpmn-js, its properties panel and Lintel's panel) bundled by esbuild into
# webapp/static/build/, which is not committed: `make` builds it again when its sources or packages change.
STUDIO_SOURCES := $(wildcard webapp/static_src/*)
STUDIO_BUILD := webapp/static/build/studio.js
COMPARE_BUILD := webapp/static/build/compare.js
EDITORS_BUILD := webapp/static/build/editors.js

$(STUDIO_BUILD): node_modules/.installed $(STUDIO_SOURCES)
	node_modules/.bin/esbuild webapp/static_src/studio.js --bundle --minify --format=iife \
		--target=es2020 --outdir=webapp/static/build --asset-names=[name] \
		--loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
		--log-level=warning

# The compare page's diff (bpmn-js-differ over bpmn-moddle); it draws with the vendored bpmn-js viewer.
$(COMPARE_BUILD): node_modules/.installed $(STUDIO_SOURCES)
	node_modules/.bin/esbuild webapp/static_src/compare.js --bundle --minify --format=iife \
		--target=es2020 --outdir=webapp/static/build --log-level=warning

# The studio's form editor (form-js) and decision table editor (dmn-js). form-js's editor is made for the
# preact its package pins (<= 10.15.1, installed under it); its viewer would take the newer one at the top,
# so both are bundled with the editor's.
$(EDITORS_BUILD): node_modules/.installed $(STUDIO_SOURCES)
	node_modules/.bin/esbuild webapp/static_src/editors.js --bundle --minify --format=iife \
		--target=es2020 --outdir=webapp/static/build --asset-names=[name] \
		--alias:preact=./node_modules/@bpmn-io/form-js-editor/node_modules/preact \
		--loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
		--log-level=warning

assets: $(STUDIO_BUILD) $(COMPARE_BUILD) $(EDITORS_BUILD)

run: $(RUN_STAMP) node_modules/.installed assets
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

test: $(DEV_STAMP) node_modules/.installed assets lint check-migrations
	$(BIN)/pytest -n 2

bench: $(RUN_STAMP)
	$(BIN)/lintel bench engine

clean:
	rm -rf $(VENV) node_modules webapp/static/build instance .pytest_cache .mypy_cache .ruff_cache
