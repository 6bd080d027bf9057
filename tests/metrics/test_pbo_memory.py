"""PBO and DSR in bounded memory: chunking changes nothing, temporaries stay within the budget.

The answers are compared with the unchunked computation (a budget that holds every config at
once, which is what the statistics computed before they were chunked) and with the plain NumPy
moments; memory is measured with tracemalloc, the strict device's account, and (slow) the peak
RSS of a subprocess running 10^6 configs on the bundled sample.
"""

import json
import math
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from scipy import stats

from l2gpu.backend import strict_memory, transfers
from l2gpu.backend.strict import upload
from l2gpu.metrics import deflated_sharpe, expected_max_sharpe, overfitting, pbo
from l2gpu.metrics.overfitting import column_sharpe

WHOLE = 2**34  # a budget that holds every config of these tests in one chunk


def returns(rows, configs, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, (rows, configs)) * rng.lognormal(0, 1, configs)
    values[rng.random(values.shape) < 0.01] = np.nan
    return values


@pytest.mark.parametrize(("rows", "configs", "splits"), [(345, 301, 10), (120, 40, 6)])
@pytest.mark.parametrize("budget", [40_000, 4_000])
def test_chunked_pbo_equals_the_unchunked_to_the_last_bit(rows, configs, splits, budget):
    values = returns(rows, configs, configs)
    whole = pbo(values, n_splits=splits, memory_budget=WHOLE)
    for layout in (values, np.asfortranarray(values)):
        part = pbo(layout, n_splits=splits, memory_budget=budget)
        assert part.pbo == whole.pbo and part.n_combinations == math.comb(splits, splits // 2)
        np.testing.assert_array_equal(part.logits, whole.logits)


def test_chunked_moments_equal_numpy_and_the_dsr_follows_its_formula():
    values = np.nan_to_num(returns(345, 77, 1))
    mean, std = column_sharpe(np.asfortranarray(values), np, memory_budget=20_000)
    np.testing.assert_array_equal(mean, values.mean(axis=0))
    np.testing.assert_array_equal(std, values.std(axis=0))
    got = overfitting(values, 5, memory_budget=20_000)
    sharpe = np.where(std > 0, mean / np.where(std > 0, std, 1.0), 0.0)
    variance = float(np.var(sharpe, ddof=1))
    chosen = values[:, 5]
    want = deflated_sharpe(
        float(sharpe[5]),
        345,
        variance,
        77,
        float(stats.skew(chosen)),
        float(stats.kurtosis(chosen, fisher=False)),
    )
    assert got.dsr == want and got.sharpe_per_bucket == sharpe[5]
    assert got.expected_max_sharpe == expected_max_sharpe(variance, 77)
    assert got.pbo == pbo(values, n_splits=16, memory_budget=WHOLE).pbo


def test_pbo_temporaries_stay_within_the_budget():
    values = returns(345, 20_000, 2)
    budget = 8 * 2**20
    tracemalloc.start()
    try:
        pbo(values, n_splits=8, memory_budget=budget)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    block_sums = 2 * 8 * 20_000 * 8
    assert peak < budget + block_sums + 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert peak < values.nbytes / 4, "no copy of the matrix"


@pytest.mark.cuda_kernel
def test_on_the_device_pbo_reads_the_matrix_in_place_and_equals_the_host():
    values = returns(200, 3000, 3)
    device = upload(values)
    budget = 2**20
    memory = strict_memory.memory()
    memory.reset_peak()
    before = memory.live
    with transfers.recording() as moves:
        got = overfitting(device, 7, engine="gpu", memory_budget=budget)
    want = overfitting(values, 7, memory_budget=budget)
    assert vars(got) == vars(want)
    extra = memory.peak - before
    assert extra < budget + 2 * 16 * 3000 * 8 + 2**16 < values.nbytes / 2, f"{extra:,} bytes"
    assert "overfitting bucket pnl" not in moves.labels(), "the matrix is not moved"
    assert moves.nbytes("d2h") < values.nbytes / 10, moves.summary()


@pytest.mark.slow
def test_a_million_configs_on_the_bundled_sample_stay_under_4_gib(tmp_path):
    """Sweep 10^6 configs with bucket returns, then DSR and PBO, in a fresh process."""
    script = textwrap.dedent(
        f"""
        import json, resource, time
        import numpy as np
        from l2gpu.backtest import sweep
        from l2gpu.data import read_book
        from l2gpu.data.ingest import ingest
        from l2gpu.features import compute
        from l2gpu.metrics import overfitting
        from tests.samples import BTCUSDT

        ingest(BTCUSDT, format="binance", out="{tmp_path}/b.parquet", depth=5)
        book = read_book("{tmp_path}/b.parquet", engine="cpu")
        signals = compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
        grid = {{  # 2 * 250 * 2 * 5 * 5 * 5 * 2 * 2 * 2 = 10^6 configs
            "signal": ["imbalance_5", "ofi_2s"],
            "entry": list(np.linspace(0.05, 3.0, 250)),
            "exit": [0.0, -0.1],
            "max_hold": [50, 200, "1s", "5s", None],
            "latency": [0, 2, "20ms", "50ms", "100ms"],
            "size": [0.01, 0.1, 0.5, 1.0, 2.0],
            "taker_fee_bps": [0.0, 5.0],
            "cooldown": [0, 3],
            "stop_loss_bps": [0.0, 5.0],
        }}
        started = time.perf_counter()
        result = sweep(book, signals, grid=grid, engine="cpu", bucket_returns=True)
        swept = time.perf_counter() - started
        best = int(result.table.pnl.to_numpy().argmax())
        judged = overfitting(result.bucket_pnl, best, pbo_splits=8)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({{"configs": len(result.table), "buckets": result.bucket_pnl.shape[0],
                          "peak": peak, "sweep_s": swept, "pbo": judged.pbo,
                          "seconds": time.perf_counter() - started}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=3600
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(figures)
    assert figures["configs"] == 1_000_000 and figures["buckets"] == 345
    assert 0.0 <= figures["pbo"] <= 1.0
    assert figures["peak"] < 4 * 2**30, f"peak RSS {figures['peak'] / 2**30:.2f} GiB"
