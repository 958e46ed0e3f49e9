# The two commands: `make run` serves the demo bot, `make test` runs the whole suite.
# Both set everything up from a fresh clone first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# torch first and pinned: an unpinned torch resolves to a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# The suite runs in one process per core, at most this many (each holds a model or two).
TEST_WORKERS ?= 4

.PHONY: help run test check fmt clean

help:
	@echo "make run    set up and serve the demo bot on http://$${DESKBOT_HOST:-127.0.0.1}:$${DESKBOT_PORT:-8000}"
	@echo "make test   set up and run the whole test suite"
	@echo "make check  formatting, lint, types and migration drift"
	@echo "make fmt    format the code"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run
	$(VENV)/bin/deskbot train --project examples/demo
	$(VENV)/bin/deskbot serve

test: $(VENV)/.installed-dev
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and apt-get is not available: browser tests will skip"; fi; \
	fi
	$(PY) -m pytest -q -ra --durations=15 -n logical --maxprocesses=$(TEST_WORKERS) --dist loadfile

check: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	  DESKBOT_DATABASE_URL=sqlite:///$$tmp/check.db $(VENV)/bin/deskbot db upgrade >/dev/null && \
	  DESKBOT_DATABASE_URL=sqlite:///$$tmp/check.db $(VENV)/bin/alembic check
	$(PY) -m pytest -q tests/test_import_direction.py

fmt: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
