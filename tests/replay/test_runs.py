"""Replay equals the sweep for the recorded configs of logged runs, on both real samples.

Each job's top configs have their trades recorded (``trades_config_<n>.parquet``) beside the
results table. The run is read back from MLflow, its book and features rebuilt, and every
recorded config is replayed in steps of random sizes: its fills must equal the run's recorded
trades and its metrics the run's results table, exactly.
"""

import io
import math

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from l2gpu.backtest import STRATEGIES
from l2gpu.pipeline.progress import Progress
from l2gpu.replay import start_replay
from l2gpu.replay.inputs import load_inputs
from l2gpu.replay.run import load_run
from tests.app.conftest import ROOT
from tests.replay.runs import JOBS


@pytest.mark.parametrize(("sample", "family"), list(JOBS))
def test_replay_equals_the_run_for_its_recorded_configs(logged, sample, family):
    run = load_run(logged.ids[sample, family], logged.uri)
    assert run.family == family and run.max_rows == 2000
    strategy = STRATEGIES[family]
    inputs = load_inputs(run, ROOT, Progress(Console(file=io.StringIO())))
    assert not inputs.stores.rebuilt and inputs.stores.fingerprint == run.fingerprint
    assert len(inputs.book) == 2000 and len(run.recorded) >= 3
    rng = np.random.default_rng(len(sample))
    for config, recorded in run.recorded.items():
        params = run.params(config, strategy.columns)
        stepper = start_replay(
            family, inputs.book, inputs.signals, params, inputs.trades, run.sharpe_bucket
        )
        while stepper.done < stepper.rows:
            stepper.advance(stepper.done + int(rng.integers(1, 400)))
        stepper.finish()
        assert len(recorded) > 0
        pd.testing.assert_frame_equal(stepper.fills(), recorded, check_exact=True)
        replayed, logged_row = stepper.result().iloc[0], run.row(config)
        for name in strategy.metrics:
            a, b = float(replayed[name]), float(logged_row[name])
            assert a == b or (math.isnan(a) and math.isnan(b)), (config, name, a, b)
