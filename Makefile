# ctdhub developer entry points. The README's two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-hub

.PHONY: demo test lint typecheck bench bench-scale clean install system-deps vendor-js screenshots

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip==26.3"  # pinned: a new pip must not change how the project installs
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: chromium (browser tests), Pango (PDF briefings), fonts.
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "warning: missing Debian packages:$$missing (browser and PDF tests will be skipped)"; fi; \
	fi

demo: $(STAMP)
	$(BIN)/ctdhub demo run --dir $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps lint typecheck
	$(BIN)/pytest --cov=ctdhub --cov-report=term-missing:skip-covered -q

# DuckDB's own load of an .xlsx (the ingest-by-shape baseline): its `excel` extension ships on PyPI only for
# DuckDB 1.4, so that DuckDB lives in a venv of its own, beside ctdhub's (bench/ingest_shapes.py)
EXCEL_BASELINE := .venv-duckdb-excel
$(EXCEL_BASELINE)/.installed-stamp: requirements/bench-duckdb-excel.txt
	test -x $(EXCEL_BASELINE)/bin/python || $(PYTHON) -m venv $(EXCEL_BASELINE)
	$(EXCEL_BASELINE)/bin/python -m pip install --quiet -r requirements/bench-duckdb-excel.txt
	touch $@

bench: $(STAMP) $(EXCEL_BASELINE)/.installed-stamp
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test,bench]'
	$(BIN)/python -m bench.run

# 1, 3 and 10 million cases end to end (generate, ingest, release, serve): time and peak memory per stage
bench-scale: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test,bench]'
	$(BIN)/python -m bench.run --only scale

# Screenshots of every dashboard page × en/fr/es × desktop/phone into docs/screenshots (demo data)
screenshots: $(STAMP) system-deps
	$(BIN)/python tools/screenshots.py

# Refresh the charts' JavaScript shipped in the package (pinned versions, from the npm registry; needs npm)
vendor-js:
	sh tools/vendor_js.sh

clean:
	rm -rf $(VENV) $(EXCEL_BASELINE) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache .coverage
