import itertools
import math

import numpy as np
import pytest
from scipy import stats

from l2gpu.metrics import deflated_sharpe, expected_max_sharpe, pbo

GAMMA = 0.5772156649015329


def dsr_by_hand(sr, n_obs, var, n, skew, kurt):
    sr0 = math.sqrt(var) * (
        (1 - GAMMA) * stats.norm.ppf(1 - 1 / n) + GAMMA * stats.norm.ppf(1 - 1 / (n * math.e))
    )
    z = (sr - sr0) * math.sqrt(n_obs - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    return stats.norm.cdf(z)


@pytest.mark.parametrize(
    ("sr", "n_obs", "var", "n", "skew", "kurt"),
    [
        (0.1, 1000, 0.001, 100, 0.0, 3.0),
        (0.05, 250, 0.0004, 10, -0.5, 6.0),
        (0.2, 60, 0.01, 1000, 0.3, 4.0),
    ],
)
def test_deflated_sharpe_matches_the_formula(sr, n_obs, var, n, skew, kurt):
    assert deflated_sharpe(sr, n_obs, var, n, skew, kurt) == pytest.approx(
        dsr_by_hand(sr, n_obs, var, n, skew, kurt), rel=1e-12
    )


def test_deflated_sharpe_known_points():
    # One trial: nothing to deflate, the DSR is the probabilistic Sharpe ratio against 0.
    assert expected_max_sharpe(0.01, 1) == 0.0
    assert deflated_sharpe(0.0, 100, 0.01, 1) == pytest.approx(0.5)
    # A Sharpe equal to the expected maximum of the noise trials is a coin flip.
    sr0 = expected_max_sharpe(0.002, 500)
    assert deflated_sharpe(sr0, 400, 0.002, 500) == pytest.approx(0.5)
    # More trials raise the bar.
    assert deflated_sharpe(0.1, 500, 0.002, 1000) < deflated_sharpe(0.1, 500, 0.002, 10)
    with pytest.raises(ValueError, match="n_obs"):
        deflated_sharpe(0.1, 1, 0.01, 10)


def pbo_reference(returns, n_splits):
    """CSCV the slow way: every split recomputed from the raw rows."""
    rows, configs = returns.shape
    edges = np.linspace(0, rows, n_splits + 1).astype(int)
    blocks = [np.arange(a, b) for a, b in itertools.pairwise(edges)]
    values = []
    for combo in itertools.combinations(range(n_splits), n_splits // 2):
        ins = np.concatenate([blocks[i] for i in combo])
        outs = np.concatenate([blocks[i] for i in range(n_splits) if i not in combo])

        def sharpe(rows_):
            x = returns[rows_]
            std = x.std(axis=0)
            return np.where(std > 0, x.mean(axis=0) / np.where(std > 0, std, 1), 0.0)

        sr_in, sr_out = sharpe(ins), sharpe(outs)
        best = int(np.argmax(sr_in))
        rank = (sr_out < sr_out[best]).sum() + ((sr_out == sr_out[best]).sum() + 1) / 2
        omega = rank / (configs + 1)
        values.append(math.log(omega / (1 - omega)))
    logits = np.array(values)
    return float((logits <= 0).mean()), logits


@pytest.mark.parametrize(("rows", "configs", "splits"), [(120, 7, 6), (200, 30, 8), (97, 5, 4)])
def test_pbo_matches_the_slow_reference(rows, configs, splits):
    rng = np.random.default_rng(rows)
    returns = rng.normal(0, 1, (rows, configs)) + rng.normal(0, 0.05, configs)
    got = pbo(returns, n_splits=splits)
    want, logits = pbo_reference(returns, splits)
    assert got.pbo == want and got.n_combinations == math.comb(splits, splits // 2)
    np.testing.assert_allclose(got.logits, logits, rtol=1e-9)


def test_pbo_is_near_zero_with_one_planted_strong_config():
    rng = np.random.default_rng(1)
    returns = rng.normal(0, 1, (1000, 50))
    returns[:, 17] += 0.5
    assert pbo(returns, n_splits=16).pbo < 0.05


def test_pbo_is_near_one_half_for_pure_noise():
    values = [
        pbo(np.random.default_rng(seed).normal(0, 1, (1000, 50)), n_splits=16).pbo
        for seed in range(8)
    ]
    assert abs(np.mean(values) - 0.5) < 0.12


def test_pbo_refuses_bad_shapes():
    with pytest.raises(ValueError, match="even number"):
        pbo(np.zeros((100, 3)), n_splits=5)
    with pytest.raises(ValueError, match="at least two configs"):
        pbo(np.zeros((100, 1)))
