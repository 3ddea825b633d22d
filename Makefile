# `make run` and `make test` are the two commands README.md promises on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help run test lint typecheck unit bench bench-quick format clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(VENV)/.installed ## Install and run Laneway on the embedded default (SQLite, demo data)
	$(BIN)/laneway serve --demo

test: lint typecheck unit bench-quick ## Install what tests need and run every check (CI runs this)

lint: $(VENV)/.installed ## ruff format check and lint (incl. security rules)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(VENV)/.installed ## mypy --strict on src/
	$(BIN)/mypy

unit: $(VENV)/.installed ## pytest on SQLite and PostgreSQL, with coverage, on every core
	$(BIN)/pytest -n auto --cov --cov-report=term

bench-quick: $(VENV)/.installed ## The bench on a small dataset, a few seconds per workload; fails on any error
	$(BIN)/python -m bench --quick

bench: $(VENV)/.installed ## The full bench; writes bench/results/<date>-<commit>.{json,md,png}
	$(BIN)/python -m bench

format: $(VENV)/.installed ## Apply ruff formatting and safe fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean: ## Remove the virtualenv and caches (keeps laneway-data/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
