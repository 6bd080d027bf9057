"""Markers and the one collection hook that skips what cannot run on this machine.

- ``gpu``: needs a real CUDA device.
- ``cuda_kernel``: runs CUDA kernels, on a real device or under ``NUMBA_ENABLE_CUDASIM=1``.
- ``slow``: long; runs with ``--runslow``.
"""

from __future__ import annotations

import numpy as np
import pytest

from l2gpu.backend.engine import gpu_status


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def _skip_reason(item: pytest.Item, config: pytest.Config) -> str | None:
    status = gpu_status()
    if "gpu" in item.keywords and not (status.usable and not status.simulator):
        why = "the CUDA simulator is on" if status.simulator else status.reason
        return (
            f"needs a real CUDA device ({why}); run on an NVIDIA GPU machine after "
            "`pip install -e '.[gpu,dev]'`"
        )
    if "cuda_kernel" in item.keywords and not status.usable:
        return (
            "needs a CUDA device or Numba's simulator; run "
            "`NUMBA_ENABLE_CUDASIM=1 pytest -m cuda_kernel` (part of `make test`)"
        )
    if "slow" in item.keywords and not config.getoption("--runslow"):
        return "slow; run with `pytest --runslow`"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = _skip_reason(item, config)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)
