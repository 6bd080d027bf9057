"""Dataclass schemas of the config groups (``docs/config.md``).

Each YAML file under ``l2gpu/conf/<group>/`` starts from its group's schema
(``defaults: [schema]``), so a misspelt key or a value of the wrong type fails when the config is
composed, naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class DataConfig:
    """A raw recording and how to ingest it (the book store is cached by fingerprint)."""

    name: str = "btcusdt"
    format: str = "binance"
    paths: list[str] = field(default_factory=list)
    depth: int = 10
    symbol: str | None = None
    on_gap: str = "error"
    on_crossed: str = "keep"
    on_bad_line: str = "error"
    on_time_backwards: str = "error"
    on_trade_backwards: str = "error"
    on_duplicate_trade: str = "error"
    on_other_symbol: str = "error"
    on_inconsistent: str = "error"


@dataclass
class BackendConfig:
    """Where the kernels run."""

    engine: str = "auto"


@dataclass
class FeaturesConfig:
    """Features computed as signals for the strategy (see ``l2gpu.features``)."""

    names: list[str] = field(default_factory=lambda: ["imbalance_5", "ofi_2s"])


@dataclass
class LabelsConfig:
    """Forward labels computed for reference (information coefficients in the run)."""

    names: list[str] = field(default_factory=lambda: ["fwd_ret_2s"])


@dataclass
class StrategyConfig:
    """The threshold family's parameter lists (a grid, or the space Optuna searches).

    ``entry``, ``exit``, ``stop_loss_bps`` and ``take_profit_bps`` are multiples of each
    signal's scale (its 99th percentile of absolute value) for ``entry``/``exit``; rows or
    durations for ``max_hold`` and ``latency``.
    """

    family: str = "threshold"
    entry: list[float] = field(default_factory=lambda: [0.3, 0.5, 0.7])
    exit: list[float] = field(default_factory=lambda: [0.0])
    max_hold: list[Any] = field(default_factory=lambda: ["1s"])
    stop_loss_bps: list[float] = field(default_factory=lambda: [0.0])
    take_profit_bps: list[float] = field(default_factory=lambda: [0.0])
    size: list[float] = field(default_factory=lambda: [0.01])
    latency: list[Any] = field(default_factory=lambda: [0])
    cooldown: list[int] = field(default_factory=lambda: [0])
    direction: list[str] = field(default_factory=lambda: ["both"])
    signal_scale_quantile: float = 0.99


@dataclass
class CostsConfig:
    """Trading costs."""

    taker_fee_bps: float = 5.0


@dataclass
class SweepConfig:
    """Inner search: a grid in one launch, or a batched Optuna study."""

    kind: str = "grid"
    objectives: list[str] = field(default_factory=lambda: ["pnl"])
    n_trials: int = 2000
    batch_size: int = 500
    sampler: str = "tpe"
    seed: int = 0
    storage: str | None = None
    study_name: str | None = None
    sharpe_bucket: str = "1s"
    chunk_rows: int | None = None
    top_k: int = 5


@dataclass
class LoggerConfig:
    """MLflow tracking."""

    enabled: bool = True
    tracking_uri: str | None = None
    experiment: str = "l2gpu"
    artifact_dir: str = "mlruns"


@dataclass
class ExperimentConfig:
    """What a run is for, and how it is shown."""

    name: str = "default"
    heatmap: list[str] = field(default_factory=lambda: ["entry_multiple", "max_hold"])


@dataclass
class PathsConfig:
    """Where inputs and outputs live; relative paths are from the project root."""

    root: str = "."
    cache_dir: str = "outputs/cache"
    optuna_dir: str = "outputs/optuna"


@dataclass
class DebugConfig:
    """Shortcuts for quick runs."""

    max_rows: int | None = None


@dataclass
class EvalConfig:
    """Out-of-sample evaluation after the sweep: none, or walk-forward folds by time."""

    kind: str = "none"
    train: str = "120s"
    test: str = "60s"
    mode: str = "rolling"
    embargo: str = "1s"
    top_k: int = 1


@dataclass
class AppConfig:
    """The whole application config."""

    data: DataConfig = field(default_factory=DataConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    debug: DebugConfig = field(default_factory=DebugConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


GROUPS: dict[str, type] = {
    "data": DataConfig,
    "backend": BackendConfig,
    "features": FeaturesConfig,
    "labels": LabelsConfig,
    "strategy": StrategyConfig,
    "costs": CostsConfig,
    "sweep": SweepConfig,
    "logger": LoggerConfig,
    "experiment": ExperimentConfig,
    "paths": PathsConfig,
    "debug": DebugConfig,
    "eval": EvalConfig,
}


def register_configs() -> None:
    """Register the app schema and one ``schema`` entry per group in Hydra's ConfigStore."""
    store = ConfigStore.instance()
    store.store(name="app_schema", node=AppConfig)
    for group, schema in GROUPS.items():
        store.store(group=group, name="schema", node=schema)
