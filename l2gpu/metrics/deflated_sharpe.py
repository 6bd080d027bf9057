"""The Deflated Sharpe Ratio (Bailey and López de Prado, 2014).

Selecting the best of ``N`` trials inflates its Sharpe ratio even when every trial is noise. The
expected maximum Sharpe of ``N`` unskilled trials whose Sharpe ratios have variance ``V`` is::

    SR0 = sqrt(V) * ((1 - g) * Z(1 - 1/N) + g * Z(1 - 1/(N e)))

with ``g`` the Euler-Mascheroni constant and ``Z`` the standard normal quantile. The DSR is the
probability that the true Sharpe exceeds ``SR0``, given ``T`` observations and the returns'
skewness ``s`` and kurtosis ``k`` (3 for normal returns)::

    DSR = Phi((SR - SR0) * sqrt(T - 1) / sqrt(1 - s * SR + (k - 1) / 4 * SR**2))

All Sharpe ratios are per period (not annualised).
"""

from __future__ import annotations

import math
from statistics import NormalDist

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(sr_variance: float, n_trials: int) -> float:
    """Return ``SR0``, the expected best per-period Sharpe of ``n_trials`` unskilled trials."""
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if sr_variance < 0:
        raise ValueError(f"sr_variance must be >= 0, got {sr_variance}")
    if n_trials == 1:
        return 0.0
    return math.sqrt(sr_variance) * (
        (1 - EULER_GAMMA) * _NORMAL.inv_cdf(1 - 1 / n_trials)
        + EULER_GAMMA * _NORMAL.inv_cdf(1 - 1 / (n_trials * math.e))
    )


def deflated_sharpe(
    sr: float,
    n_obs: int,
    sr_variance: float,
    n_trials: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Probability that the selected strategy's true Sharpe beats the best of unskilled trials.

    Parameters
    ----------
    sr : float
        Per-period Sharpe ratio of the selected strategy.
    n_obs : int
        Number of return observations behind ``sr``, ``T`` (at least 2).
    sr_variance : float
        Variance of the per-period Sharpe ratios across the trials.
    n_trials : int
        Number of (independent) trials the strategy was selected from.
    skew, kurtosis : float
        Skewness and (non-excess) kurtosis of the strategy's returns.

    Returns
    -------
    float
        The DSR, in [0, 1]; NaN when the denominator is not positive.
    """
    if n_obs < 2:
        raise ValueError(f"n_obs must be at least 2, got {n_obs}")
    sr0 = expected_max_sharpe(sr_variance, n_trials)
    spread = 1 - skew * sr + (kurtosis - 1) / 4 * sr**2
    if spread <= 0:
        return math.nan
    return _NORMAL.cdf((sr - sr0) * math.sqrt(n_obs - 1) / math.sqrt(spread))
