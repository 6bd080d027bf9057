"""Rows per second and effective GB/s of the default feature set, against copy bandwidth.

Builds a synthetic book (10**7 rows, 10 levels) with synthetic trades, checks every default
feature against the plain-loop reference on the first rows, then times ``compute()`` of the whole
set and of each feature alone, on the CPU and on a real GPU where there is one. The device's
copy bandwidth (a large array copied, read + write) is the yardstick for the memory-bound families.
Run: ``.venv/bin/python -m benchmarks.bench_features [--rows N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.backend.engine import gpu_status
from l2gpu.data import Book, Trades, synthetic, synthetic_trades
from l2gpu.features import DEFAULT_FEATURES, compute
from tests.reference_features import feature_reference

CHECK_ROWS = 1500


def copy_bandwidth(engine: str, nbytes: int = 1 << 30) -> float:
    """GB/s of copying a ``nbytes`` array on ``engine``, counting the read and the write."""
    if engine == "gpu":
        import cupy as xp

        sync = xp.cuda.Device().synchronize
    else:
        xp, sync = np, (lambda: None)
    src = xp.ones(nbytes // 8)
    dst = xp.empty_like(src)

    def run() -> None:
        xp.copyto(dst, src)
        sync()

    return 2 * nbytes / median_seconds(run, repeat=5) / 1e9


def bytes_per_row(book: Book) -> int:
    """Bytes a row of the book carries (ts + 4 level arrays) plus one float64 per feature."""
    return 8 + 4 * book.depth * 8 + 8 * len(DEFAULT_FEATURES)


def check(book: Book, trades: Trades) -> None:
    head = book[:CHECK_ROWS]
    got = compute(head, DEFAULT_FEATURES, engine="cpu", trades=trades)
    for name in DEFAULT_FEATURES:
        np.testing.assert_allclose(
            got[name],
            feature_reference(head, name, trades),
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
            err_msg=name,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--depth", type=int, default=10)
    args = parser.parse_args()
    book = synthetic(args.rows, depth=args.depth, seed=3)
    trades = synthetic_trades(book, per_row=0.3, seed=3)
    check(book, trades)
    status = gpu_status()
    engines = ["cpu"] + (["gpu"] if status.usable and not status.simulator else [])
    print(f"machine: {machine()}; GPU: {status.device_name or status.reason}")
    print(
        f"book: {len(book):,} rows x {book.depth} levels, {len(trades):,} trades; "
        f"correctness vs reference on {CHECK_ROWS:,} rows: ok"
    )
    for engine in engines:
        work = book.to("gpu" if engine == "gpu" else "cpu")
        bandwidth = copy_bandwidth(engine)

        def run(names: tuple[str, ...], w: Book = work, e: str = engine) -> None:
            out = compute(w, names, engine=e, trades=trades)
            if e == "gpu":
                import cupy

                cupy.cuda.Device().synchronize()
            del out

        seconds = median_seconds(lambda: run(DEFAULT_FEATURES), repeat=3)
        gbs = len(book) * bytes_per_row(book) / seconds / 1e9
        print(
            f"{engine}: copy bandwidth {bandwidth:.1f} GB/s; all {len(DEFAULT_FEATURES)} "
            f"features: {seconds:.2f} s, {len(book) / seconds / 1e6:.1f} M rows/s, "
            f"{gbs:.2f} GB/s effective ({gbs / bandwidth:.0%} of copy)"
        )
        for name in DEFAULT_FEATURES:
            alone = median_seconds(lambda n=name: run((n,)), repeat=3)  # type: ignore[misc]
            print(f"  {name:<22} {alone * 1e3:9.1f} ms  {len(book) / alone / 1e6:8.1f} M rows/s")


if __name__ == "__main__":
    main()
