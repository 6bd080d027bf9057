"""Time and memory of the PBO (CSCV) over a per-bucket pnl matrix, on the CPU (and GPU if lent).

Checks first that the chunked computation equals the unchunked one to the last bit on a small
matrix and that it matches the slow reference of ``tests/metrics/test_overfitting.py``; then,
for a ``buckets x configs`` matrix of normal returns, reports the median of repeated runs after a
warm-up and the peak of the temporaries (tracemalloc) against the memory budget.
Run: ``.venv/bin/python -m benchmarks.bench_pbo [--configs N] [--splits S] [--budget MiB]``.
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.backend import gpu_status, synchronize, to_device
from l2gpu.backend.arrays import Device
from l2gpu.metrics import pbo
from tests.metrics.test_overfitting import pbo_reference


def check() -> None:
    values = np.random.default_rng(1).normal(0, 1, (120, 40))
    whole = pbo(values, n_splits=8, memory_budget=2**34)
    part = pbo(values, n_splits=8, memory_budget=20_000)
    assert part.pbo == whole.pbo and np.array_equal(part.logits, whole.logits)
    want, logits = pbo_reference(values, 8)
    assert whole.pbo == want
    np.testing.assert_allclose(whole.logits, logits, rtol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buckets", type=int, default=345)
    parser.add_argument("--configs", type=int, default=10_000)
    parser.add_argument("--splits", type=int, default=16)
    parser.add_argument("--budget", type=float, default=256, help="MiB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    check()
    budget = int(args.budget * 2**20)
    values = np.random.default_rng(7).normal(0, 1, (args.buckets, args.configs))
    print(f"machine: {machine()}; {args.buckets} x {args.configs:,}; {args.splits} blocks; ok")
    tracemalloc.start()
    pbo(values, n_splits=args.splits, memory_budget=budget)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak of the temporaries: {peak / 2**20:.1f} MiB (budget {args.budget:g} MiB)")
    engines: list[Device] = ["cpu"]
    if gpu_status().usable and not gpu_status().simulator:
        engines.append("gpu")
    for engine in engines:
        work = to_device(values, engine)

        def run(work: object = work) -> None:
            pbo(work, n_splits=args.splits, memory_budget=budget)
            synchronize()

        seconds = median_seconds(run, repeat=args.repeat)
        print(f"{engine}: median {seconds:.2f} s")


if __name__ == "__main__":
    main()
