"""What a stress scenario costs: each transformation of a large synthetic book, on the CPU.

Builds a synthetic book (10**6 rows, 10 levels by default) with its trades, checks that each
scenario's stressed book passes every book check of the store (:func:`book_violations`) and is
the same for the same seed, then times ``SCENARIOS[name].apply(book, trades, seed)`` with its
default parameters: the median of 5 timed runs after a warm-up.
Run: ``.venv/bin/python -m benchmarks.bench_stress [--rows N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.data import synthetic, synthetic_trades
from l2gpu.data.validation import book_violations
from l2gpu.stress import SCENARIOS, Scenario, Stressed


def main() -> None:
    """Check, then time every scenario; print one line per scenario."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    book = synthetic(rows=args.rows, depth=10, seed=7)
    trades = synthetic_trades(book, seed=7)
    first, last = book.span_ns()
    print(f"{machine()}; book {len(book):,} rows x 10 levels over {(last - first) / 1e9:,.0f} s")
    for name, scenario in SCENARIOS.items():
        out = scenario.apply(book, trades, 0)
        again = scenario.apply(book, trades, 0)
        problems = book_violations(out.book)
        assert not problems, f"{name}: {problems}"
        for key, value in out.book.arrays().items():
            np.testing.assert_array_equal(value, again.book.arrays()[key], err_msg=key)

        def run(scenario: Scenario = scenario) -> Stressed:
            return scenario.apply(book, trades, 0)

        seconds = median_seconds(run)
        print(
            f"{name:<18} {len(out.book):>10,} rows out  {seconds * 1e3:8.1f} ms  "
            f"{len(book) / seconds / 1e6:6.1f} M rows/s"
        )


if __name__ == "__main__":
    main()
