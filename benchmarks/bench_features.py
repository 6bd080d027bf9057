"""Rows per second and effective GB/s of the default feature set, against copy bandwidth.

Builds a synthetic book (10**7 rows, 10 levels) with synthetic trades, checks every default
feature against the plain-loop reference on the first rows (and, where a GPU runs, the GPU
against the CPU on the first 20,000 rows), then times ``compute()`` of the whole set and of each
feature alone, on the CPU and on a real GPU where there is one. The whole set is timed twice:
into new arrays (the default), and into one reused feature matrix (``compute(..., out=)``),
which writes into memory already touched as the copy yardstick's destination is. The device's
copy bandwidth (a large array copied into a reused one, read + write) is the yardstick for the
memory-bound families: each feature alone is also given as a share of it, from the fewest bytes
it must move (:mod:`benchmarks.feature_bytes`).
Run: ``.venv/bin/python -m benchmarks.bench_features [--rows N] [--engines gpu] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import machine, median_seconds
from benchmarks.feature_bytes import minimum_bytes
from l2gpu.backend.arrays import to_device
from l2gpu.backend.engine import gpu_status
from l2gpu.data import Book, Trades, synthetic, synthetic_trades
from l2gpu.features import DEFAULT_FEATURES, compute
from tests.reference_features import feature_reference

CHECK_ROWS = 1500
WHOLE_SET_REPEATS = 3
"""Repeats of the whole default set, as a multiple of each feature's alone."""
TARGET_SHARE = {"cpu": 0.25, "gpu": 0.50}
"""The default set's effective bandwidth as a share of the engine's copy bandwidth, the goal."""


def on_device(engine: str) -> tuple[Any, Callable[[], None]]:
    """The array module of ``engine`` and a function that waits for its work.

    Under Numba's simulator (``tools/gpu_check.py --dry-run``) the "GPU" is the host.
    """
    if engine == "gpu" and not gpu_status().simulator:
        import cupy

        return cupy, cupy.cuda.Device().synchronize
    return np, lambda: None


def copy_bandwidth(engine: str, nbytes: int = 1 << 30) -> float:
    """GB/s of copying a ``nbytes`` array on ``engine``, counting the read and the write."""
    xp, sync = on_device(engine)
    src = xp.ones(nbytes // 8)
    dst = xp.empty_like(src)

    def run() -> None:
        xp.copyto(dst, src)
        sync()

    return 2 * nbytes / median_seconds(run, repeat=5) / 1e9


def bytes_per_row(book: Book) -> int:
    """Bytes a row of the book carries (ts + 4 level arrays) plus one float64 per feature."""
    return 8 + 4 * book.depth * 8 + 8 * len(DEFAULT_FEATURES)


def book_and_trades(rows: int, depth: int = 10, seed: int = 3) -> tuple[Book, Trades]:
    book = synthetic(rows, depth=depth, seed=seed)
    return book, synthetic_trades(book, per_row=0.3, seed=seed)


def check(book: Book, trades: Trades) -> None:
    """Every default feature against the plain-loop reference, into new arrays and a matrix."""
    head = book[:CHECK_ROWS]
    got = compute(head, DEFAULT_FEATURES, engine="cpu", trades=trades)
    matrix = np.full((len(DEFAULT_FEATURES), len(head)), np.inf)
    compute(head, DEFAULT_FEATURES, engine="cpu", trades=trades, out=matrix)
    for i, name in enumerate(DEFAULT_FEATURES):
        np.testing.assert_array_equal(matrix[i], got[name], err_msg=name)
        np.testing.assert_allclose(
            got[name],
            feature_reference(head, name, trades),
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
            err_msg=name,
        )


def check_gpu(book: Book, trades: Trades, rows: int = 20_000) -> dict[str, Any]:
    """GPU against CPU on the first ``rows`` (rtol 1e-10); which features are bit-identical."""
    head = book[:rows]
    cpu = compute(head, DEFAULT_FEATURES, engine="cpu", trades=trades)
    gpu = compute(head, DEFAULT_FEATURES, engine="gpu", trades=trades)
    identical = []
    for name in DEFAULT_FEATURES:
        got = np.asarray(to_device(gpu[name], "cpu"))
        np.testing.assert_allclose(got, cpu[name], rtol=1e-10, atol=1e-12, equal_nan=True)
        if np.array_equal(got, cpu[name], equal_nan=True):
            identical.append(name)
    return {"rows": rows, "bit_identical": identical}


def time_engine(
    book: Book, trades: Trades, engine: str, copy_bytes: int = 1 << 30, repeat: int = 3
) -> dict[str, Any]:
    """Copy bandwidth, the whole default set and each feature alone on ``engine``.

    Medians after a warm-up: of ``repeat`` runs for each feature alone, of
    :data:`WHOLE_SET_REPEATS` times as many for the whole set (into new arrays and into a
    reused matrix).
    """
    work = book.to("gpu" if engine == "gpu" else "cpu")
    bandwidth = copy_bandwidth(engine, copy_bytes)
    xp, sync = on_device(engine)

    def run(names: tuple[str, ...], matrix: Any = None) -> None:
        out = compute(work, names, engine=engine, trades=trades, out=matrix)
        sync()
        del out

    # The whole set is the headline figure: more repeats, so that one slow run on a shared
    # machine moves its median less.
    seconds = median_seconds(lambda: run(DEFAULT_FEATURES), repeat=WHOLE_SET_REPEATS * repeat)
    # On the device the book is on (under the simulator: a strict device array).
    matrix = to_device(xp.zeros((len(DEFAULT_FEATURES), len(book))), work.device, "feature matrix")
    seconds_into = median_seconds(
        lambda: run(DEFAULT_FEATURES, matrix), repeat=WHOLE_SET_REPEATS * repeat
    )
    alone = {}
    for name in DEFAULT_FEATURES:
        alone[name] = median_seconds(lambda n=name: run((n,)), repeat=repeat)  # type: ignore[misc]
    whole_bytes = len(book) * bytes_per_row(book)
    alone_share = {}
    for name, took in alone.items():
        moved = minimum_bytes(name, len(book), len(trades))
        if moved is not None:
            alone_share[name] = moved / took / 1e9 / bandwidth
    return {
        "engine": engine,
        "rows": len(book),
        "copy_gbs": bandwidth,
        "all_seconds": seconds,
        "all_mrows_per_s": len(book) / seconds / 1e6,
        "effective_gbs": whole_bytes / seconds / 1e9,
        "into_matrix_seconds": seconds_into,
        "into_matrix_effective_gbs": whole_bytes / seconds_into / 1e9,
        "alone_seconds": alone,
        "alone_share_of_copy": alone_share,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--engines", nargs="+", default=["cpu", "gpu"], choices=["cpu", "gpu"])
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    book, trades = book_and_trades(args.rows, args.depth)
    check(book, trades)
    status = gpu_status()
    on_gpu = status.usable and not status.simulator
    engines = [e for e in args.engines if e == "cpu" or on_gpu]
    print(f"machine: {machine()}; GPU: {status.device_name or status.reason}")
    print(
        f"book: {len(book):,} rows x {book.depth} levels, {len(trades):,} trades; "
        f"correctness vs reference on {CHECK_ROWS:,} rows: ok"
    )
    if "gpu" in engines:
        print(f"GPU vs CPU: ok, {check_gpu(book, trades)}")
    results = []
    for engine in engines:
        r = time_engine(book, trades, engine)
        results.append(r)
        print(
            f"{engine}: copy bandwidth {r['copy_gbs']:.1f} GB/s; all {len(DEFAULT_FEATURES)} "
            f"features: {r['all_seconds']:.2f} s, {r['all_mrows_per_s']:.1f} M rows/s, "
            f"{r['effective_gbs']:.2f} GB/s effective into new arrays; "
            f"{r['into_matrix_seconds']:.2f} s, {r['into_matrix_effective_gbs']:.2f} GB/s "
            "into a reused matrix"
        )
        for what, key in (
            ("new arrays", "effective_gbs"),
            ("a reused matrix", "into_matrix_effective_gbs"),
        ):
            share = r[key] / r["copy_gbs"]
            print(
                f"  target {TARGET_SHARE[engine]:.0%} of {engine} copy bandwidth, into {what}: "
                f"{'met' if share >= TARGET_SHARE[engine] else 'not met'} ({share:.1%})"
            )
        for name, alone in r["alone_seconds"].items():
            share_alone = r["alone_share_of_copy"].get(name)
            of_copy = f"{share_alone:6.1%} of copy alone" if share_alone is not None else ""
            print(
                f"  {name:<22} {alone * 1e3:9.1f} ms  {len(book) / alone / 1e6:8.1f} M rows/s"
                f"  {of_copy}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
