"""Walk-forward training time of each model, with the NumPy and (if installed) torch trainers.

Synthetic inputs (``--rows`` rows, 2 features; the label follows the last 8 rows of one and the
current row of the other). First checks, on 4,000 rows and 200 steps, that each trainer's scores
predict that label out of sample (IC > 0.05 in every block) and that torch agrees with NumPy to
1e-9; then times ``fit_walk_forward`` (5 blocks, ``--epochs`` steps per fold; ridge is closed
form) and reports the median and the training rows x epochs per second.
Run: ``.venv/bin/python -m benchmarks.bench_models [--rows N] [--epochs E]``.
"""

from __future__ import annotations

import argparse
import importlib.util
from functools import partial

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.models import MODELS, ModelRun, ModelSettings, fit_walk_forward

CHECK_EPOCHS = 200
WINDOWS = {"logistic": 1, "ridge": 4, "mlp": 4, "conv1d": 16}


def run(rows: int, name: str, backend: str, epochs: int) -> ModelRun:
    """Fit ``name`` walk-forward on synthetic rows with ``backend``."""
    rng = np.random.default_rng(0)
    ts = np.arange(rows, dtype=np.int64) * 10_000_000
    a, b = rng.standard_normal(rows), rng.standard_normal(rows)
    recent = np.convolve(a, np.ones(8), "full")[:rows] / np.sqrt(8)
    label = 0.5 * recent - 0.2 * b + rng.standard_normal(rows)
    settings = ModelSettings(
        name, window=WINDOWS[name], kernel=4, epochs=epochs, embargo="0s", backend=backend
    )
    return fit_walk_forward(ts, {"a": a, "b": b}, label, "y", "10", settings, ("a", "b"))


def main() -> None:
    """Check, then time every model with every installed trainer."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    backends = ["numpy"] + (["torch"] if importlib.util.find_spec("torch") else [])
    print(machine())
    print("| model | trainer | rows | epochs | median s | train rows x epochs / s |")
    print("|---|---|---|---|---|---|")
    for name in MODELS:
        small = {b: run(4000, name, b, CHECK_EPOCHS) for b in backends}
        for fitted in small.values():
            assert fitted.folds.ic.gt(0.05).all(), (name, fitted.folds)
        if "torch" in small:
            np.testing.assert_allclose(
                small["torch"].scores, small["numpy"].scores, atol=1e-9, equal_nan=True
            )
        for backend in backends:
            seconds = median_seconds(partial(run, args.rows, name, backend, args.epochs), repeat=3)
            steps = 1 if MODELS[name].closed_form else args.epochs
            trained = sum(range(1, 5)) * args.rows / 5 * steps  # expanding: 1 + 2 + 3 + 4 blocks
            print(
                f"| {name} | {backend} | {args.rows:,} | {steps} | {seconds:.3f} | "
                f"{trained / seconds / 1e6:.2f} M |"
            )


if __name__ == "__main__":
    main()
