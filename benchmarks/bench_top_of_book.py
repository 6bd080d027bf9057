"""Rows per second of the top-of-book kernel (mid, spread, imbalance_5), CPU and GPU.

Checks each engine against the naive reference on a slice first, then times it. On the GPU the
book is uploaded once beforehand and every timed run ends with a device synchronise, so the
clock reads the kernel's finish and not its launch.
Run: ``.venv/bin/python -m benchmarks.bench_top_of_book [--rows N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.backend import gpu_status, synchronize
from l2gpu.data import Book, synthetic
from l2gpu.features import top_of_book
from tests.reference import top_of_book_reference

LEVELS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    book = synthetic(args.rows, depth=10, seed=1)
    check = book[:20_000]
    want = top_of_book_reference(check, LEVELS)
    engines = ["cpu"] + (["gpu"] if gpu_status().usable and not gpu_status().simulator else [])
    for engine in engines:
        got = top_of_book(check, LEVELS, engine=engine)
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-12, equal_nan=True)
    bytes_moved = (2 + 2 * LEVELS) * 8 * len(book) + 3 * 8 * len(book)
    print(f"machine: {machine()}; rows: {len(book):,}; correctness vs reference: ok")
    for engine in engines:
        work = book.to("gpu" if engine == "gpu" else "cpu")

        def run(work: Book = work, engine: str = engine) -> None:
            top_of_book(work, LEVELS, engine=engine)
            synchronize()

        seconds = median_seconds(run)
        print(
            f"{engine}: median {seconds * 1e3:.1f} ms, {len(book) / seconds / 1e6:.1f} M rows/s, "
            f"{bytes_moved / seconds / 1e9:.2f} GB/s effective"
        )


if __name__ == "__main__":
    main()
