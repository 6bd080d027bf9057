"""Markers and the one collection hook that skips what cannot run on this machine.

- ``gpu``: needs a real CUDA device.
- ``cuda_kernel``: runs CUDA kernels, on a real device or under ``NUMBA_ENABLE_CUDASIM=1``.
- ``slow``: long; runs with ``--runslow``.
- ``postgres``: needs a real PostgreSQL server, started by ``tools/postgres.py``; runs with
  ``--postgres`` (``make test-postgres``, which ``.ci/run`` calls). Where the server cannot be
  found (no root to install it) it skips with the reason, unless ``L2GPU_PG_REQUIRED=1``
  (``.ci/run``), where that is a failure.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import numpy as np
import pytest

from l2gpu.backend.engine import gpu_status
from tools import postgres


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")
    parser.addoption(
        "--postgres", action="store_true", help="also run tests marked postgres (a real server)"
    )


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
    if "postgres" in item.keywords and not config.getoption("--postgres"):
        return "needs PostgreSQL; run `make test-postgres` (starts a throwaway server)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = _skip_reason(item, config)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[postgres.Cluster]:
    """A throwaway PostgreSQL cluster for the session (installed first where we may)."""
    required = os.environ.get("L2GPU_PG_REQUIRED") == "1"
    try:
        cluster = postgres.start(install_missing=required)
    except postgres.PostgresError as exc:
        if required:
            raise
        pytest.skip(f"no PostgreSQL server: {exc}")
    previous = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = cluster.password  # psycopg reads it; child processes inherit it
    yield cluster
    if previous is None:
        os.environ.pop("PGPASSWORD", None)
    else:
        os.environ["PGPASSWORD"] = previous
    postgres.stop(cluster.folder)


_DATABASES = itertools.count()


@pytest.fixture
def postgres_url(postgres_cluster: postgres.Cluster) -> str:
    """The URL of a new, empty database of the session's cluster."""
    return postgres_cluster.create_database(f"test_{next(_DATABASES)}")
