"""Random quote configs and the comparison of the kernel with the plain-Python reference."""

from __future__ import annotations

import dataclasses

import numpy as np

from l2gpu.backtest.quote import METRICS, quote_sweep
from l2gpu.backtest.quote.result import INTEGER_METRICS
from tests.reference_quote import backtest


def stretched(book, factor):
    """The same book with its time gaps multiplied by ``factor``."""
    ts = book.ts[0] + (book.ts - book.ts[0]) * factor
    return dataclasses.replace(book, ts=ts, local_ts=ts + 1000)


def random_configs(rng, n, signals, time_unit="ms"):
    names = [None, *signals]
    configs = []
    for _ in range(n):
        signal = names[int(rng.integers(len(names)))]
        spans = [0, int(rng.integers(1, 4)), f"{int(rng.integers(1, 30))}{time_unit}"]
        configs.append(
            {
                "signal": signal,
                "half_spread_ticks": float(rng.choice([0.0, 0.5, 1.0, 3.0])),
                "skew_bps": 0.0 if signal is None else float(rng.choice([0.0, 2.0, -5.0])),
                "inventory_skew_ticks": float(rng.choice([0.0, 0.5, 2.0])),
                "size": float(rng.choice([0.01, 0.5, 2.0])),
                "max_position": rng.choice([None, 1.0, 5.0]),
                "requote": spans[int(rng.integers(3))],
                "entry_latency": spans[int(rng.integers(3))],
                "response_latency": spans[int(rng.integers(3))],
                "queue": str(rng.choice(["risk_averse", "prob_power", "prob_log"])),
                "queue_power": float(rng.choice([0.5, 1.0, 2.0, 3.0])),
                "partial_fills": bool(rng.random() < 0.5),
                "maker_fee_bps": float(rng.choice([-0.5, 0.0, 2.0])),
                "taker_fee_bps": float(rng.choice([0.0, 5.0])),
                "stop_loss_bps": float(rng.choice([0.0, 0.0, 2.0, 20.0])),
                "max_hold": rng.choice(
                    [None, int(rng.integers(2, 40)), f"{int(rng.integers(2, 90))}{time_unit}"]
                ),
                "cooldown": int(rng.choice([0, 0, 5])),
            }
        )
    # Orders that pile up in flight, fills that pile up unseen: the two bounded queues.
    configs[0].update(entry_latency=40, requote=0, max_position=None)
    configs[1].update(
        response_latency=150, half_spread_ticks=0.0, partial_fills=True, max_position=None
    )
    for cfg in configs:
        if cfg["max_position"] is not None and cfg["max_position"] < cfg["size"]:
            cfg["max_position"] = cfg["size"]
    return configs


def assert_agrees_with_reference(book, trades, signals, configs, record=(), **kwargs):
    """Every metric, per-bucket pnl and recorded fill of the kernel against the reference."""
    result = quote_sweep(
        book,
        trades,
        signals,
        params=configs,
        engine="cpu",
        record=record,
        bucket_returns=True,
        **kwargs,
    )
    assert result.bucket_pnl is not None
    for i, cfg in enumerate(configs):
        x = None if cfg["signal"] is None else signals[cfg["signal"]]
        want, fills = backtest(book, trades, x, cfg)
        got = result.table.iloc[i]
        for metric in METRICS:
            if metric in INTEGER_METRICS:
                assert got[metric] == want[metric], (i, metric, got[metric], want[metric], cfg)
            else:
                np.testing.assert_allclose(
                    float(got[metric]),
                    want[metric],
                    rtol=1e-10 if metric != "sharpe" else 1e-9,
                    atol=1e-9,
                    equal_nan=True,
                    err_msg=f"config {i} {metric} {cfg}",
                )
        np.testing.assert_allclose(
            result.bucket_pnl[:, i], want["bucket_changes"], rtol=1e-10, atol=1e-9
        )
        if i in record:
            table = result.trades(i)
            assert len(table) == len(fills), (i, len(table), len(fills))
            for column in ("row", "ts", "maker", "order_id"):
                np.testing.assert_array_equal(
                    table[column].to_numpy(), [f[column] for f in fills], err_msg=column
                )
            for column in ("qty", "px", "fee", "position"):
                np.testing.assert_allclose(
                    table[column].to_numpy(),
                    [f[column] for f in fills],
                    rtol=1e-10,
                    atol=1e-12,
                    err_msg=column,
                )
    return result
