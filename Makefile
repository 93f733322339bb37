# Everyday commands; each one is what CI or a reviewer runs (see README and docs/performance.md).
PYTHON ?= python

.PHONY: lint format type test test-fast coverage bench docs screenshots check

lint:  ## ruff: style, common bugs, complexity and formatting
	ruff check .
	ruff format --check .

format:  ## ruff format: the one layout of the code
	ruff format .

type:  ## mypy --strict over the package
	mypy

test:  ## the whole suite, as CI runs it
	$(PYTHON) -m pytest -q -n auto

test-fast:  ## the inner loop: no explorer tests, no statistically heavy ones
	$(PYTHON) -m pytest -q -n 2 -m "not tui and not slow"

coverage:  ## the whole suite with line and branch coverage of initscope, then the engine's total
	$(PYTHON) -m pytest -q -n auto --cov=initscope --cov-report=term
	$(PYTHON) -m coverage report --include='initscope/engine/*' | tail -1

bench:  ## the engine and explorer benchmarks (ratios within one process; read docs/performance.md)
	$(PYTHON) tests/benchmarks/bench_engine.py
	$(PYTHON) tests/benchmarks/bench_plots.py
	$(PYTHON) tests/benchmarks/bench_ui.py

docs:  ## regenerate the catalogue reference from the code
	$(PYTHON) -m initscope.reference > docs/initializers.md

screenshots:  ## drive the real explorer and save SVG + PNG screenshots
	$(PYTHON) scripts/make_screenshots.py --small

check: lint type test
