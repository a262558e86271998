# ZorgVeilig: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := zorgveilig/static/vendor
PYENV_ROOT := $(shell pyenv root 2>/dev/null)

# The first interpreter that really runs: a pyenv shim can exist on PATH and still fail.
PYTHON := $(firstword $(foreach candidate,python3.13 python3.12 \
	$(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) \
	$(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12), \
	$(shell $(candidate) -c '' >/dev/null 2>&1 && echo $(candidate))))

.PHONY: help run test install assets migrate demo serve lint typecheck migrations-check translations-check \
	guidance-check translations pytest browser-test clean bench bench-import bench-linkage bench-insights

help:
	@echo "make run    install, migrate, load the demo data and serve on http://127.0.0.1:8000 (with the worker)"
	@echo "make test   ruff, mypy, migrations, translation and guidance-rule checks, then the whole test suite"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "ZorgVeilig needs Python 3.12 or 3.13, and none runs here:" >&2; \
		echo "  tried python3.13, python3.12 and $(or $(PYENV_ROOT),<no pyenv>)/versions/3.1[23]*/bin/python3.1[23]." >&2; \
		echo "  Install one (for example 'pyenv install 3.13') and run make again." >&2; \
		exit 1; \
	fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark]'
	@touch $@

install: $(STAMP) assets

$(VENDOR)/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install the front-end libraries (apt-get install npm)" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/htmx $(VENDOR)/vega $(VENDOR)/leaflet/images $(VENDOR)/world
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/htmx.min.js
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
		node_modules/vega-embed/build/vega-embed.min.js $(VENDOR)/vega/
	# Vega's expression interpreter, so charts run under the strict CSP without eval; it is published as an
	# ES module only, so esbuild bundles it into one script that defines `vegaInterpreter`.
	node_modules/.bin/esbuild node_modules/vega-interpreter/build/vega-interpreter.js --bundle --minify \
		--format=iife --global-name=vegaInterpreter --log-level=warning \
		--outfile=$(VENDOR)/vega/vega-interpreter.min.js
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
		node_modules/leaflet.markercluster/dist/MarkerCluster.css \
		node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css $(VENDOR)/leaflet/
	cp node_modules/topojson-client/dist/topojson-client.min.js $(VENDOR)/world/
	# Country outlines (Natural Earth 1:110m and 1:50m, public domain, via world-atlas): the offline basemap.
	cp node_modules/world-atlas/countries-110m.json node_modules/world-atlas/countries-50m.json \
		node_modules/world-atlas/LICENSE $(VENDOR)/world/
	@touch $@

assets: $(VENDOR)/.installed

translations: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "GNU gettext is needed to compile translations (apt-get install gettext)" >&2; exit 1; }
	$(BIN)/zorgveilig compilemessages --ignore '.venv' --ignore 'node_modules' --verbosity 0

migrate: install translations
	$(BIN)/zorgveilig migrate --no-input

demo: migrate
	ZORGVEILIG_DEMO=1 $(BIN)/zorgveilig load_demo

run: demo
	ZORGVEILIG_DEMO=1 $(BIN)/zorgveilig serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

migrations-check: $(STAMP)
	$(BIN)/zorgveilig makemigrations --check --dry-run

translations-check: $(STAMP)
	$(BIN)/zorgveilig check_translations

# The action-framework rule files (guidance/rules/): schema, references, translations, sources.
guidance-check: $(STAMP)
	$(BIN)/zorgveilig guidance check

pytest: install translations
	$(BIN)/pytest

browser-test: install translations
	ZORGVEILIG_REQUIRE_BROWSER=1 $(BIN)/pytest -m browser

test: lint typecheck migrations-check translations-check guidance-check pytest

# Submits 1000 reports with files over HTTP to a fresh gunicorn per database; options: make bench BENCH_ARGS="--help"
bench: install translations
	$(BIN)/python bench/meldpunt_submit.py $(BENCH_ARGS)

# Imports synthetic ACLED files (250,000 and 1,000,000 rows) next to DuckDB's read_csv; options: BENCH_ARGS="--help"
bench-import: install
	$(BIN)/python bench/dataset_import.py $(BENCH_ARGS)

# Links 1,000,000 synthetic records of four sources (time per stage, peak memory, F1), then the real files in
# ../shared/data; options: BENCH_ARGS="--help"
bench-linkage: install
	$(BIN)/python bench/record_linkage.py --with-real $(BENCH_ARGS)

# Times the dashboard aggregates, the whole page and its throughput (wrk) on 2,000,000 synthetic events;
# options: BENCH_ARGS="--help"
bench-insights: install translations
	$(BIN)/python bench/insights_dashboard.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache
