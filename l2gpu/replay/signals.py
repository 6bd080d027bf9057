"""A run's signals rebuilt on the CPU the way its job computed them, its model's score included.

The features of ``features.names`` are computed again (:func:`l2gpu.features.compute`). A run
with a model (``model.name`` other than ``none``) also swept its out-of-sample score
``model_<name>``: its labels are computed again and the model retrained walk-forward by the
job's own stages (:func:`l2gpu.pipeline.signals.compute_signals`,
:func:`l2gpu.pipeline.models.add_model_signal`) with the run's config. The training is seeded
and deterministic, so on the same book the score is the job's, bit for bit. See
``docs/replay.md`` and ``docs/models.md``.
"""

from __future__ import annotations

import numpy as np

from l2gpu.config.schema import AppConfig
from l2gpu.features import compute
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.models import add_model_signal
from l2gpu.pipeline.progress import Progress
from l2gpu.pipeline.signals import compute_signals


def run_signals(app: AppConfig, inputs: BookInputs, progress: Progress) -> dict[str, np.ndarray]:
    """Return the run's signals on ``inputs``' book, one ``[T]`` float64 array each.

    Parameters
    ----------
    app : AppConfig
        The run's config (:attr:`l2gpu.replay.run.RecordedRun.app`).
    inputs : BookInputs
        The book (host arrays) and its trades; ``inputs.engine`` is ``"cpu"``.
    progress : Progress
        Shows the features, and the model's training when the run has one.
    """
    names = list(app.features.names)
    book = inputs.book
    if app.model.name == "none":
        with progress.step(f"features {', '.join(names)} over {len(book):,} rows"):
            features = compute(book, names, engine=inputs.engine, trades=inputs.trades)
    else:
        signals = compute_signals(
            inputs,
            names,
            list(app.labels.names),
            app.execution.fees.taker_fee_bps,
            app.strategy.signal_scale_quantile,
            progress,
        )
        features = add_model_signal(inputs, signals, app, progress)[0].features
    return {name: np.asarray(values, dtype=np.float64) for name, values in features.items()}
