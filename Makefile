# ecodata — set-up, demo and tests. `make demo` and `make test` are all a newcomer needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENDOR := src/ecodata/web/static/vendor
ASSETS := $(VENDOR)/.built
PYTEST_ARGS ?=

.PHONY: demo test install assets lint typecheck pytest bench clean

demo: install assets
	$(BIN)/ecodata demo

test: install assets lint typecheck pytest

install: $(STAMP)

$(STAMP): pyproject.toml src/ecodata/protocols/_hj212_speedups.c
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

assets: $(ASSETS)

$(ASSETS): package.json package-lock.json scripts/copy_assets.py scripts/echarts-entry.js
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/copy_assets.py node_modules $(VENDOR)
	node_modules/.bin/esbuild scripts/echarts-entry.js --bundle --minify --format=iife \
	  --target=es2019 --log-level=warning --outfile=$(VENDOR)/echarts/echarts.custom.min.js
	touch $(ASSETS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src

typecheck: install
	$(BIN)/mypy

pytest: install assets
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
