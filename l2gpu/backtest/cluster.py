"""One sweep sharded over a Dask cluster: the same shards and the same exact merge as one machine.

The ``dist`` extra (``pip install 'l2gpu[dist]'``) brings Dask's ``distributed``; nothing here
imports it: the caller passes a ``distributed.Client`` (of a ``LocalCluster``, of a scheduler
started by hand, SLURM or Kubernetes). Why Dask and its limits are in ``docs/distributed.md``.

- Data is not shipped: a shard carries a :class:`Stored` source, the paths of the book and
  trades stores on a store every worker can read (a shared file system, a mounted bucket), and
  the names of the features; each worker process reads them once and keeps them for its next
  shards (:func:`load_stored`).
- The shards are :func:`l2gpu.backtest.shard.run_shard` with the family's own sweep; they are
  pure, so a shard lost with its worker is run again elsewhere (Dask's own rescheduling) and a
  shard that raised may be retried (``retries=``): the merged result is the same either way.
- A worker sweeps with the engine of the options; for GPUs start one worker per GPU (each with
  its ``CUDA_VISIBLE_DEVICES``, as ``dask-cuda`` does) and pass ``engine="gpu"``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from l2gpu.backtest.params import expand_grid
from l2gpu.backtest.result import SweepResult
from l2gpu.backtest.shard import Loaded, merge, run_shard, shards_of


@dataclass(frozen=True)
class Stored:
    """A shard's inputs as stores every worker can read.

    Attributes
    ----------
    book : str
        Path of the book store (Parquet).
    features : tuple of str
        Features computed as the signals, on the worker, on the CPU.
    trades : str, optional
        Path of the trades store, for families that read it.
    """

    book: str
    features: tuple[str, ...]
    trades: str | None = None

    def load(self) -> Loaded:
        """Return the book, the signals and the trades, read once per worker process."""
        return load_stored(self)


@functools.lru_cache(maxsize=2)
def load_stored(source: Stored) -> Loaded:
    """Read ``source``'s stores and compute its features (cached per process)."""
    from l2gpu.data import read_book, read_trades
    from l2gpu.features import compute

    book = read_book(source.book, engine="cpu")
    signals = compute(book, list(source.features), engine="cpu")
    trades = read_trades(source.trades) if source.trades else None
    return book, signals, trades


def cluster_sweep(
    client: Any,
    family: str,
    source: Stored,
    grid: Mapping[str, Sequence[Any]] | None = None,
    params: pd.DataFrame | None = None,
    record: Sequence[int] = (),
    n_shards: int | None = None,
    retries: int = 0,
    **options: Any,
) -> SweepResult:
    """Sweep ``family``'s configs in shards on the cluster of ``client``; merged exactly.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    family : str
        The strategy family (``threshold``, ``quote``, ...).
    source : Stored
        The stores the workers read and the features they compute.
    grid : mapping of str to list, optional
        Parameter lists combined as a cartesian product.
    params : pandas.DataFrame, optional
        Explicit configs, one per row.
    record : sequence of int
        Configs whose trades to keep.
    n_shards : int, optional
        Shards of configs; default one per worker of the cluster now.
    retries : int
        Times Dask runs a shard again after it raised.
    **options
        The family sweep's options (``engine``, ``chunk_rows``, ``sharpe_bucket``,
        ``bucket_returns``, ...).

    Returns
    -------
    SweepResult
        Equal to the family's sweep of the same configs on one machine, exactly.
    """
    from l2gpu.backtest.family import STRATEGIES

    if (grid is None) == (params is None):
        raise ValueError("give either grid= (lists to combine) or params= (a table of configs)")
    if params is not None and not isinstance(params, pd.DataFrame):
        raise ValueError(f"params= must be a pandas DataFrame here, got {type(params).__name__}")
    configs = expand_grid(grid) if grid is not None else params
    assert configs is not None
    if len(configs) == 0:
        raise ValueError("the sweep has no configs")
    table = STRATEGIES[family].normalise(configs, list(source.features))
    record = sorted(set(record))
    for i in record:
        if not 0 <= i < len(table):
            raise ValueError(f"record={i} is not a config (there are {len(table)})")
    shards = n_shards or len(client.scheduler_info()["workers"])
    ranges, tasks = shards_of(family, source, configs, record, options, shards)
    started = time.perf_counter()
    futures = client.map(run_shard, tasks, pure=False, retries=retries)
    parts = client.gather(futures)
    rows = pq.ParquetFile(Path(source.book)).metadata.num_rows
    return merge(table, ranges, parts, rows, time.perf_counter() - started)
