import numpy as np
import pandas as pd
import pytest

from l2gpu.metrics.risk import bucket_risk, execution_costs, trade_risk


def test_bucket_risk_by_hand():
    x = np.array([1.0, -2.0, 3.0, -1.0, -1.0, 4.0, 0.5, -0.5, 2.0, -3.0])
    got = bucket_risk(x, bucket_s=1.0)
    per_year = 365 * 86400
    downside = np.sqrt(np.mean(np.minimum(x, 0) ** 2))
    assert got["sortino"] == pytest.approx(x.mean() / downside * np.sqrt(per_year))
    path = np.cumsum(x)  # 1, -1, 2, 1, 0, 4, 4.5, 4, 6, 3
    assert got["calmar"] == pytest.approx(x.mean() * per_year / 3.0)  # worst fall 6 -> 3
    assert got["longest_drawdown_s"] == 2.0  # 2 -> 1 -> 0 sits below the peak for 2 buckets
    assert path.max() == 6.0
    q05 = np.quantile(x, 0.05)
    assert got["var_95"] == pytest.approx(-q05)
    assert got["cvar_95"] == pytest.approx(-x[x <= q05].mean())
    assert got["tail_ratio"] == pytest.approx(abs(np.quantile(x, 0.95)) / abs(q05))


def test_trade_risk_by_hand():
    trades = pd.DataFrame(
        {
            "net_pnl": [1.0, -1.0, -2.0, -0.5, 3.0, -1.0],
            "entry_px": [100.0] * 6,
            "size": [1.0, -1.0, 1.0, 1.0, -1.0, 1.0],
        }
    )
    got = trade_risk(trades, fees=2.0, gross=-0.5)
    assert got["longest_losing_streak"] == 3
    assert got["trade_bps_p50"] == pytest.approx(
        np.quantile([100, -100, -200, -50, 300, -100], 0.5)
    )
    assert got["fees_share_of_gross"] == pytest.approx(4.0)


def test_execution_costs_by_hand():
    mid = np.array([100.0, 100.0, 101.0, 99.0])
    spread = np.array([1.0, 2.0, 1.0, 1.0])
    # a long: decided at row 0 (mid 100, spread 1), filled at 100.5; closed: decided at row 2
    # (mid 101, spread 1), sold at 100.5. A short: decided at row 1 (mid 100, spread 2), sold
    # at 99.0; closed: decided at row 3 (mid 99, spread 1), bought at 99.5.
    trades = pd.DataFrame(
        {
            "size": [1.0, -1.0],
            "entry_px": [100.5, 99.0],
            "exit_px": [100.5, 99.5],
            "entry_decision_row": [0, 1],
            "exit_decision_row": [2, 3],
        }
    )
    got = execution_costs(trades, lambda rows: (mid[rows], spread[rows]))
    paid = [0.5, 1.0, 0.5, 0.5]  # quote per unit: +0.5, -(99 - 100) = 1, -(100.5 - 101), +0.5
    mids = [100.0, 100.0, 101.0, 99.0]
    spreads = [1.0, 2.0, 1.0, 1.0]
    assert got["slippage_bps"] == pytest.approx(
        np.mean([1e4 * p / m for p, m in zip(paid, mids, strict=True)])
    )
    assert got["spread_share_paid"] == pytest.approx(
        np.mean([p / s for p, s in zip(paid, spreads, strict=True)])
    )
