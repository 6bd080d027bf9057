"""Compile the job's kernels up front, saying so, instead of stalling silently in the first step.

Numba compiles a kernel on its first call and caches the machine code on disk (``cache=True``),
so only the first run on a machine (or after an upgrade) pays for it, about a minute on two
cores. :func:`warm_up` runs the features, labels and sweep the job will run on a tiny synthetic
book, inside a step that says it is compiling when the cache is cold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from l2gpu import labels
from l2gpu.backend.engine import ResolvedEngine
from l2gpu.backtest.family import StrategyFamily
from l2gpu.data.synthetic import synthetic, synthetic_trades
from l2gpu.features import compute
from l2gpu.kernels.quote_cpu import quote_sweep_cpu
from l2gpu.kernels.sweep_cpu import sweep_cpu
from l2gpu.pipeline.progress import Progress

WARM_UP_ROWS = 64


def kernels_cached(dispatchers: tuple[Any, ...] = (sweep_cpu, quote_sweep_cpu)) -> bool:
    """Whether Numba's on-disk cache already holds the families' CPU kernels (false if unsure)."""
    for dispatcher in dispatchers:
        cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
        index = getattr(cache_file, "_index_path", "")
        if not (index and Path(index).exists()):
            return False
    return True


def warm_up(
    engine: ResolvedEngine,
    depth: int,
    family: StrategyFamily,
    feature_names: list[str],
    label_names: list[str],
    progress: Progress,
) -> None:
    """Run every kernel the job needs once on a tiny book of ``depth`` levels."""
    if engine == "gpu":
        what = "compiling the CUDA kernels for this device"
    elif kernels_cached():
        what = "loading the kernels"
    else:
        what = "compiling the kernels (first run only: they are cached for later runs)"
    with progress.step(what):
        host = synthetic(rows=WARM_UP_ROWS, depth=depth, seed=0)
        trades = synthetic_trades(host, seed=0)
        book = host.to(engine, "warm-up book")
        signals = compute(book, feature_names, engine=engine, trades=trades)
        labels.compute(book, label_names, engine=engine)
        config = pd.DataFrame([{**family.example, "signal": next(iter(signals))}])
        family.run(book, signals, config, trades=trades, engine=engine, record=[0])
