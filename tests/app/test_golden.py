"""The bundled runs give, bit for bit, the results tables stored in ``tests/golden``."""

from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from l2gpu.cli.job import run_job
from l2gpu.pipeline.results import as_text_where_mixed
from tests.app.conftest import composed

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
RUNS = {
    "btcusdt_grid": [],
    "ethusdt_grid": ["data=ethusdt"],
    "btcusdt_walkforward": ["eval=walkforward", "strategy=small"],
    "btcusdt_optuna": [
        "sweep=optuna",
        "sweep.n_trials=300",
        "sweep.batch_size=100",
        "sweep.sampler=random",
    ],
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_bundled_run_reproduces_its_stored_results_bit_for_bit(name, isolated):
    cfg = composed([*isolated, "logger=none", *RUNS[name]])
    table = as_text_where_mixed(run_job(cfg, Console(width=150)).table)
    stored = pd.read_parquet(GOLDEN / f"{name}.parquet")
    assert list(table.columns) == list(stored.columns)
    pd.testing.assert_frame_equal(table, stored, check_exact=True, check_dtype=True)


@pytest.mark.parametrize("name", ["btcusdt_grid", "btcusdt_optuna"])
def test_a_bundled_run_sharded_over_processes_reproduces_its_stored_results(name, isolated):
    sharded = ["backend.engine=cpu", "backend.workers=3"]
    cfg = composed([*isolated, "logger=none", *sharded, *RUNS[name]])
    table = as_text_where_mixed(run_job(cfg, Console(width=150)).table)
    stored = pd.read_parquet(GOLDEN / f"{name}.parquet")
    pd.testing.assert_frame_equal(table, stored, check_exact=True, check_dtype=True)
