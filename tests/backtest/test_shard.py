"""A sweep sharded over processes or devices equals the single-process sweep, exactly."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from l2gpu.backend import is_device_array, to_device
from l2gpu.backtest import sweep
from l2gpu.backtest.quote import quote_sweep
from l2gpu.backtest.shard import plan
from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from tests.backtest import configs as threshold_cases
from tests.backtest import quote_cases
from tests.backtest.sharding import assert_identical
from tests.books import random_book, random_trades
from tests.samples import BTCUSDT


def naive_plan(n_configs, n_shards):
    """Deal the configs one by one to the shards in turn, then keep each shard's count."""
    counts = [0] * min(n_configs, n_shards)
    for config in range(n_configs):
        counts[config % len(counts)] += 1
    shards, start = [], 0
    for count in counts:
        shards.append(range(start, start + count))
        start += count
    return shards


@pytest.mark.parametrize("n_configs", [1, 2, 7, 40, 41])
@pytest.mark.parametrize("n_shards", [1, 3, 4, 50])
def test_shards_are_contiguous_and_as_even_as_possible(n_configs, n_shards):
    assert plan(n_configs, n_shards) == naive_plan(n_configs, n_shards)


def test_a_shard_plan_needs_configs_and_shards():
    with pytest.raises(ValueError, match="cannot shard 0 configs"):
        plan(0, 3)


@pytest.fixture(scope="module")
def btcusdt(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=10, trades_out=tmp / "t.parquet")
    book = read_book(tmp / "b.parquet", engine="cpu")
    signals = compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
    return book, read_trades(tmp / "t.parquet"), signals


def test_a_threshold_sweep_over_three_processes_equals_one_process(btcusdt):
    book, _, signals = btcusdt
    configs = threshold_cases.random_configs(np.random.default_rng(3), 41, signals)
    record = [0, 13, 14, 27, 28, 40]  # both ends of every shard (14, 14, 13 configs)
    options = dict(params=configs, engine="cpu", record=record, bucket_returns=True)
    single = sweep(book, signals, **options)
    assert (single.table.n_trades.iloc[record] > 0).all()
    events = []
    sharded = sweep(book, signals, workers=3, progress=lambda *e: events.append(e), **options)
    assert_identical(sharded, single)
    rows = len(book)
    assert len(events) == 3 and events[-1] == (rows, rows)
    assert [done for done, _ in events] == sorted(done for done, _ in events)


def test_a_quote_sweep_over_three_processes_equals_one_process(btcusdt):
    book, trades, signals = btcusdt
    configs = quote_cases.random_configs(np.random.default_rng(5), 20, signals, time_unit="00ms")
    record = [2, 6, 7, 13, 19]  # shards of 7, 7 and 6 configs
    options = dict(params=configs, engine="cpu", record=record, bucket_returns=True)
    single = quote_sweep(book, trades, signals, **options)
    assert (single.table.n_fills.iloc[record] > 0).all()
    assert_identical(quote_sweep(book, trades, signals, workers=3, **options), single)


def test_more_workers_than_configs_run_one_config_each(btcusdt):
    book, trades, signals = btcusdt
    grid: dict[str, list] = {
        "signal": ["ofi_2s"],
        "entry": [0.5, 2.0],
        "max_hold": ["1s"],
        "latency": ["5ms"],
    }
    single = sweep(book, signals, grid=grid, engine="cpu", record=[1], bucket_returns=True)
    sharded = sweep(
        book, signals, grid=grid, engine="cpu", record=[1], bucket_returns=True, workers=5
    )
    assert_identical(sharded, single, layout=False)
    quotes = quote_cases.random_configs(np.random.default_rng(8), 2, signals, time_unit="00ms")
    once = quote_sweep(book, trades, signals, params=quotes, engine="cpu", record=[0, 1])
    assert_identical(
        quote_sweep(book, trades, signals, params=quotes, engine="cpu", record=[0, 1], workers=9),
        once,
        layout=False,
    )


def test_one_worker_runs_in_this_process_and_equals_the_sweep(btcusdt):
    book, _, signals = btcusdt
    configs = threshold_cases.random_configs(np.random.default_rng(4), 6, signals)
    options = dict(params=configs, engine="cpu", record=[5], bucket_returns=True)
    assert_identical(sweep(book, signals, workers=1, **options), sweep(book, signals, **options))


@pytest.mark.parametrize(
    ("sharding", "message"),
    [
        ({"workers": 0}, "workers must be a whole number >= 1, got 0"),
        ({"workers": 2.5}, "workers must be a whole number >= 1, got 2.5"),
        ({"devices": []}, r"devices must be distinct GPU ids .* got \[\]"),
        ({"devices": [0, 0]}, r"devices must be distinct GPU ids .* got \[0, 0\]"),
        ({"devices": [-1]}, r"devices must be distinct GPU ids .* got \[-1\]"),
        ({"workers": 2, "devices": [0]}, "give workers= .* or devices= .*, not both"),
        ({"devices": [0, 1]}, r"devices=\[0, 1\] needs the GPU engine, not 'cpu'"),
    ],
)
def test_a_sharding_that_cannot_work_is_refused_in_one_line(sharding, message):
    rng = np.random.default_rng(1)
    book = random_book(rng, rows=30, depth=2)
    signals = {"a": rng.normal(size=len(book))}
    configs = threshold_cases.random_configs(rng, 3, signals)
    with pytest.raises(ValueError, match=message):
        sweep(book, signals, params=configs, engine="cpu", **sharding)


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(29)
    book = random_book(rng, rows=120, depth=3)
    signals = {"a": rng.normal(size=len(book)), "b": np.cumsum(rng.normal(size=len(book))) / 4}
    return book, signals, threshold_cases.random_configs(rng, 11, signals)


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("on_device", [True, False])
def test_a_threshold_sweep_over_two_devices_equals_one_device(tiny, on_device):
    book, signals, configs = tiny
    if on_device:
        book = book.to("gpu")
        signals = {name: to_device(values, "gpu") for name, values in signals.items()}
    options = dict(params=configs, engine="gpu", record=[0, 5, 6, 10], bucket_returns=True)
    single = sweep(book, signals, chunk_rows=50, **options)
    sharded = sweep(book, signals, chunk_rows=50, devices=[0, 1], **options)
    assert is_device_array(sharded.bucket_pnl) == on_device, "on the book's device, as one sweep"
    assert_identical(sharded, single)


@pytest.mark.cuda_kernel
def test_a_quote_sweep_over_three_devices_equals_one_device():
    rng = np.random.default_rng(31)
    book = quote_cases.stretched(random_book(rng, rows=70, depth=3), 20)
    trades = random_trades(rng, book, 150)
    signals = {"a": rng.normal(size=len(book))}
    configs = quote_cases.random_configs(rng, 7, signals)
    options = dict(params=configs, engine="gpu", record=[1, 2, 3, 6], bucket_returns=True)
    single = quote_sweep(book, trades, signals, **options)
    assert_identical(quote_sweep(book, trades, signals, devices=[0, 1, 2], **options), single)


KILLED_PARENT = """
import multiprocessing, os, signal
import numpy as np
from l2gpu.backtest import sweep
from tests.books import random_book

if __name__ == "__main__":
    rng = np.random.default_rng(1)
    book = random_book(rng, rows=50, depth=2)
    signals = {"a": rng.normal(size=len(book))}
    sweep(book, signals, grid={"signal": ["a"], "entry": [0.5, 1.0]}, engine="cpu", workers=2)
    print(*[child.pid for child in multiprocessing.active_children()], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def running(pid):
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the processes")
def test_the_pool_processes_exit_when_their_parent_is_killed(tmp_path):
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", KILLED_PARENT],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -9, done.stderr
    children = [int(pid) for pid in done.stdout.split()]
    assert len(children) == 2
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(running(pid) for pid in children), "orphaned pool processes are left"
