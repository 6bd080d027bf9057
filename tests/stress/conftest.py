"""Two short jobs logged to a temporary MLflow store, for the tests of ``l2gpu stress``.

``debug=quick`` (the first 2,000 rows of the bundled Binance samples): the threshold family on
BTCUSDT with a small grid, and the quote family on ETHUSDT.
"""

import io

import pytest
from rich.console import Console

from l2gpu.cli.job import run_job
from tests.app.conftest import composed
from tests.replay.runs import isolated

JOBS = {
    "threshold": ["strategy=small", "strategy.max_hold=[50,1s]"],
    "quote": [
        "data=ethusdt",
        "strategy=quote",
        "strategy.half_spread_ticks=[0.0,1.0]",
        "strategy.skew_bps=[0.0,1.0]",
        "strategy.inventory_skew_ticks=[1.0]",
        "strategy.requote=[100ms]",
    ],
}


@pytest.fixture(scope="session")
def stress_runs(tmp_path_factory):
    """Run ids by family, and the tracking store's URI."""
    folder = tmp_path_factory.mktemp("stress_runs")
    uri, stores = isolated(folder)
    ids = {}
    for family, overrides in JOBS.items():
        result = run_job(composed([*stores, *overrides]), Console(file=io.StringIO(), width=200))
        assert result.run_id is not None
        ids[family] = result.run_id
    return ids, uri
