"""CPU against GPU on a real recording: features, labels and a sweep, compared result by result.

For one Binance sample: ingest it (book and trades), compute the default features and three
labels on both engines, and sweep a deterministic set of configs on both engines with the same
signals. Integer outputs (trade counts, depth-exhausted counts, open positions, class labels,
touch times) must be equal; floats must agree to rtol 1e-10; what breaks its rule is listed in
``problems``, and how many columns are bit-identical is recorded. The sweep kernel forms its
products unfused, so its results are expected to be bit-identical; features may differ in the
last bits (fused sums, scans in another order).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

LABELS = ("fwd_ret_2s", "fwd_class_2s_cost", "tbarrier_5s_2spread")
INTEGER_METRICS = ("n_trades", "depth_exhausted", "open_position")
RTOL = 1e-10


def _host(values: Any) -> np.ndarray:
    from l2gpu.backend.arrays import to_device

    return np.asarray(to_device(values, "cpu"))


def compare(cpu: dict[str, Any], gpu: dict[str, Any], exact: tuple[str, ...] = ()) -> dict:
    """Compare two dicts of arrays: integers (and ``exact``) equal, floats within rtol 1e-10.

    Returns counts, the largest relative difference (over values of magnitude above 1e-9) and
    the names that break their rule (``mismatched``).
    """
    identical, mismatched, worst = [], [], 0.0
    for name, want in cpu.items():
        a, b = _host(want), _host(gpu[name])
        nan_equal = a.dtype.kind == "f"
        if a.shape != b.shape:
            mismatched.append(f"{name}: shape {b.shape}, CPU {a.shape}")
            continue
        if np.array_equal(a, b, equal_nan=nan_equal):
            identical.append(name)
        elif name in exact or a.dtype.kind in "iub":
            mismatched.append(f"{name}: {int(np.sum(a != b))} values differ")
        else:
            if not np.allclose(b, a, rtol=RTOL, atol=1e-12, equal_nan=True):
                mismatched.append(f"{name}: beyond rtol {RTOL}")
            big = np.isfinite(a) & np.isfinite(b) & (np.abs(a) > 1e-9)
            if big.any():
                worst = max(worst, float(np.max(np.abs(b[big] - a[big]) / np.abs(a[big]))))
    return {
        "compared": len(cpu),
        "bit_identical": len(identical),
        "max_rel_diff": worst,
        "mismatched": mismatched,
    }


def parity(sample: Path, rows: int | None, configs: int) -> dict[str, Any]:
    """Features, labels and sweep of one sample on both engines (see the module doc)."""
    from l2gpu import labels
    from l2gpu.backtest import METRICS, sweep
    from l2gpu.data import read_book, read_trades
    from l2gpu.data.ingest import ingest
    from l2gpu.features import DEFAULT_FEATURES, compute
    from tests.backtest.configs import random_configs

    with tempfile.TemporaryDirectory() as tmp:
        book_path, trades_path = Path(tmp) / "book.parquet", Path(tmp) / "trades.parquet"
        ingest(sample, format="binance", out=book_path, depth=10, trades_out=trades_path)
        book = read_book(book_path, engine="cpu")
        trades = read_trades(trades_path)
    if rows:
        book = book[:rows]
    out: dict[str, Any] = {"sample": sample.name, "rows": len(book), "trades": len(trades)}
    cpu = compute(book, DEFAULT_FEATURES, engine="cpu", trades=trades)
    gpu = compute(book, DEFAULT_FEATURES, engine="gpu", trades=trades)
    out["features"] = compare(cpu, gpu)
    out["labels"] = compare(
        labels.compute(book, LABELS, engine="cpu"), labels.compute(book, LABELS, engine="gpu")
    )
    signals = {"imbalance_5": cpu["imbalance_5"], "ofi_2s": cpu["ofi_2s"]}
    params = random_configs(np.random.default_rng(8), configs, signals)
    tables = [
        sweep(book, signals, params=params, engine=e, bucket_returns=True) for e in ("cpu", "gpu")
    ]
    metrics = {m: tables[0].table[m].to_numpy() for m in METRICS}
    got = {m: tables[1].table[m].to_numpy() for m in METRICS}
    metrics["bucket_pnl"], got["bucket_pnl"] = tables[0].bucket_pnl, tables[1].bucket_pnl
    out["sweep"] = {
        "configs": configs,
        "trades": int(tables[0].table.n_trades.sum()),
        **compare(metrics, got, exact=INTEGER_METRICS),
        "tables_bit_identical": bool(tables[0].table.equals(tables[1].table)),
    }
    out["problems"] = [
        f"{out['sample']} {part}: {m}"
        for part in ("features", "labels", "sweep")
        for m in out[part]["mismatched"]
    ]
    return out
