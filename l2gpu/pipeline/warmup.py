"""Compile the job's kernels up front, saying so, instead of stalling silently in the first step.

Numba compiles a kernel on its first call and caches the machine code on disk (``cache=True``),
so only the first run on a machine (or after an upgrade) pays for it, about a minute on two
cores. :func:`warm_up` runs the features, labels and sweep the job will run on a tiny synthetic
book, inside a step that says it is compiling when the cache is cold.
"""

from __future__ import annotations

from pathlib import Path

from l2gpu import labels
from l2gpu.backend.engine import ResolvedEngine
from l2gpu.backtest import sweep
from l2gpu.data.synthetic import synthetic, synthetic_trades
from l2gpu.features import compute
from l2gpu.kernels.sweep_cpu import sweep_cpu
from l2gpu.pipeline.progress import Progress

WARM_UP_ROWS = 64


def sweep_kernels_cached() -> bool:
    """Whether Numba's on-disk cache already holds the CPU sweep kernel (false when unsure)."""
    cache_file = getattr(getattr(sweep_cpu, "_cache", None), "_cache_file", None)
    index = getattr(cache_file, "_index_path", "")
    return bool(index) and Path(index).exists()


def warm_up(
    engine: ResolvedEngine,
    depth: int,
    feature_names: list[str],
    label_names: list[str],
    progress: Progress,
) -> None:
    """Run every kernel the job needs once on a tiny book of ``depth`` levels."""
    if engine == "gpu":
        what = "compiling the CUDA kernels for this device"
    elif sweep_kernels_cached():
        what = "loading the kernels"
    else:
        what = "compiling the kernels (first run only: they are cached for later runs)"
    with progress.step(what):
        book = synthetic(rows=WARM_UP_ROWS, depth=depth, seed=0).to(engine, "warm-up book")
        trades = synthetic_trades(book.to("cpu"), seed=0)
        signals = compute(book, feature_names, engine=engine, trades=trades)
        labels.compute(book, label_names, engine=engine)
        first = next(iter(signals))
        sweep(book, signals, grid={"signal": [first], "entry": [0.1]}, engine=engine, record=[0])
