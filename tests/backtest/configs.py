"""Random threshold-family configs that vary every parameter, for tests and checks."""

from __future__ import annotations

import numpy as np


def random_configs(rng, n, signals):
    """``n`` configs: entries at quantiles of each signal's size, every parameter drawn."""
    configs = []
    for _ in range(n):
        name = rng.choice(list(signals))
        scale = np.nanquantile(np.abs(signals[name]), rng.uniform(0.5, 0.98))
        configs.append(
            {
                "signal": str(name),
                "entry": float(max(scale, 1e-6)),
                "exit": float(rng.choice([0.0, -0.5 * scale, 0.3 * scale])),
                "max_hold": rng.choice(
                    [None, int(rng.integers(1, 40)), f"{rng.integers(1, 30)}ms", "1s"]
                ),
                "stop_loss_bps": float(rng.choice([0.0, 0.5, 3.0])),
                "take_profit_bps": float(rng.choice([0.0, 1.0, 5.0])),
                "size": float(rng.choice([0.01, 0.5, 3.0])),
                "latency": rng.choice([0, int(rng.integers(1, 5)), f"{rng.integers(1, 20)}ms"]),
                "taker_fee_bps": float(rng.choice([0.0, 2.0, 5.0])),
                "cooldown": int(rng.choice([0, 0, 3])),
                "direction": str(rng.choice(["long", "short", "both"])),
            }
        )
    return configs
