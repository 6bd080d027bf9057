# Two entry points: `make run` (the main job on bundled data) and `make test` (lint, types, tests,
# the offline CUDA compile table). Each creates or reuses .venv and installs only when
# pyproject.toml changed since the last install. `make gpu-check` is for a machine with a GPU.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test test-postgres lint typecheck pytest pytest-cudasim gpu-compile gpu-check gpu-wheels bench clean

run: $(VENV)/.installed-base
	$(BIN)/l2gpu

test: $(VENV)/.installed-dev lint typecheck pytest pytest-cudasim gpu-compile

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

# The PostgreSQL tests (`.ci/run` runs them after `make test`): the server installed with apt-get
# when missing (needs root), a throwaway cluster per session, three workers of one study with one
# SIGKILLed, an MLflow server. L2GPU_PG_REQUIRED=1 makes a missing server a failure, not a skip.
test-postgres: $(VENV)/.installed-dev
	$(BIN)/python -m tools.postgres install
	L2GPU_PG_REQUIRED=1 $(BIN)/pytest -m postgres --postgres

# Every CUDA kernel compiled for sm_90 and sm_80 with ptxas -v: registers, spills, occupancy and
# fused multiply-adds in one table; fails on a compile error, a spill or a budget overrun.
gpu-compile: $(VENV)/.installed-dev
	$(BIN)/python -m tools.gpu_compile

# On a machine with an NVIDIA GPU, in one call: the GPU tests, CPU/GPU parity on the Binance
# samples, the GPU benchmark rows; results in $(GPU_CHECK_OUT)/. It runs on that machine's Python
# with the wheels carried in .whl/ (see gpu-wheels), with no .venv and no package index.
GPU_PYTHON    ?= python3
GPU_CHECK_OUT ?= gpu-check
GPU_CHECK_ARGS ?=
gpu-check:
	$(GPU_PYTHON) -m tools.gpu_check --out $(GPU_CHECK_OUT) $(GPU_CHECK_ARGS)

# Wheels of what gpu-check needs beyond the device machine's numpy, pandas, pyarrow, numba-cuda
# and CuPy, for each Python it may have; add more with GPU_WHEEL_EXTRA='numba-cuda==0.30.4 ...'.
GPU_WHEEL_PYTHONS ?= 3.10 3.11 3.12 3.13
GPU_WHEEL_EXTRA   ?=
gpu-wheels: $(VENV)/.python
	for v in $(GPU_WHEEL_PYTHONS); do \
	  $(PIP) download --dest .whl --only-binary=:all: --implementation cp --python-version $$v \
	    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	    --platform manylinux2014_x86_64 orjson rich pytest hypothesis $(GPU_WHEEL_EXTRA) || exit 1; \
	done

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "l2gpu needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel
	touch $@

$(VENV)/.installed-base: pyproject.toml | $(VENV)/.python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/.python
	$(PIP) install -e ".[dev,gpu-compile,dist,fast-ingest]"
	touch $@ $(VENV)/.installed-base

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .gpu-site
