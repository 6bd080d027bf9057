# Two entry points: `make run` (the main job on bundled data) and `make test` (lint, types, tests).
# Each creates or reuses .venv and installs only when pyproject.toml changed since the last install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint typecheck pytest pytest-cudasim bench clean

run: $(VENV)/.installed-base
	$(BIN)/l2gpu

test: $(VENV)/.installed-dev lint typecheck pytest pytest-cudasim

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest

# CUDA kernels under Numba's simulator: tiny inputs, no GPU needed.
pytest-cudasim: $(VENV)/.installed-dev
	NUMBA_ENABLE_CUDASIM=1 $(BIN)/pytest -m cuda_kernel

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "l2gpu needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel
	touch $@

$(VENV)/.installed-base: pyproject.toml | $(VENV)/.python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/.python
	$(PIP) install -e ".[dev]"
	touch $@ $(VENV)/.installed-base

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
