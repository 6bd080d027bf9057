"""The model stage: a learned signal trained walk-forward, added to the signals the sweep trades.

With ``model.name`` other than ``none``, the model is fitted on its inputs (``model.features``,
else ``features.names``; they pass the leakage guard) against its label (``model.label``, else
the first of ``labels.names``) with purged, embargoed walk-forward blocks, where the book lives
(``docs/models.md``). Its out-of-sample score becomes the signal ``model_<name>``: it gets a
scale and information coefficients like every feature, and the search sweeps it like one.
"""

from __future__ import annotations

from dataclasses import replace

from l2gpu.config.schema import AppConfig
from l2gpu.features import compute
from l2gpu.labels import check_inputs, label_horizon
from l2gpu.labels.registry import TOUCH_SUFFIX
from l2gpu.models import ModelRun, ModelSettings, fit_walk_forward
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.progress import Progress
from l2gpu.pipeline.signals import Signals, information_coefficients
from l2gpu.search import signal_scales


def settings_of(cfg: AppConfig) -> ModelSettings:
    """Return the model group as the trainer's settings."""
    m = cfg.model
    return ModelSettings(
        name=m.name,
        window=m.window,
        hidden=m.hidden,
        kernel=m.kernel,
        epochs=m.epochs,
        learning_rate=m.learning_rate,
        l2=m.l2,
        seed=m.seed,
        n_splits=m.n_splits,
        embargo=m.embargo,
        train_blocks=m.train_blocks,
        min_train_rows=m.min_train_rows,
        backend=m.backend,
    )


def add_model_signal(
    inputs: BookInputs, signals: Signals, cfg: AppConfig, progress: Progress
) -> tuple[Signals, ModelRun | None]:
    """Return the signals with the model's score added, and the model's run (``None``: no model)."""
    if cfg.model.name == "none":
        return signals, None
    names = list(cfg.model.features or cfg.features.names)
    check_inputs(names)
    missing = [n for n in names if n not in signals.features]
    features = dict(signals.features)
    if missing:  # inputs the strategy does not trade on
        features.update(compute(inputs.book, missing, engine=inputs.engine, trades=inputs.trades))
    targets = [n for n in signals.labels if not n.endswith(TOUCH_SUFFIX)]
    label = cfg.model.label or targets[0]
    settings = settings_of(cfg)
    with progress.step(f"model {settings.name}: {settings.n_splits} walk-forward blocks"):
        run = fit_walk_forward(
            inputs.book.host_ts(),
            {n: features[n] for n in names},
            signals.labels[label],
            label,
            label_horizon(label).text,
            settings,
        )
    scored = {run.signal: run.scores}
    return (
        replace(
            signals,
            features={**signals.features, **scored},
            scales={**signals.scales, **signal_scales(scored, cfg.strategy.signal_scale_quantile)},
            ics={**signals.ics, **information_coefficients(scored, signals.labels)},
            declared_causal=(*signals.declared_causal, run.signal),
        ),
        run,
    )
