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
    """Where the kernels run, and over how many CPU processes or GPUs a sweep is sharded."""

    engine: str = "auto"
    workers: int = 1
    devices: list[int] = field(default_factory=list)


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
    """What every strategy family's config has: the family and the signals' scale.

    A family's own parameter lists are in its subclass (:class:`ThresholdConfig`,
    :class:`QuoteConfig`); ``strategy=<option>`` picks a file whose schema is one of them.
    Parameters typed as multiples of a signal's scale use its ``signal_scale_quantile``
    quantile of absolute values (``docs/config.md``).
    """

    family: str = "threshold"
    signal_scale_quantile: float = 0.99


@dataclass
class ThresholdConfig(StrategyConfig):
    """The threshold family's parameter lists (a grid, or the space Optuna searches).

    ``entry`` and ``exit`` are multiples of each signal's scale; ``max_hold`` rows or durations;
    the latency and the taker fee are in the ``execution`` group.
    """

    family: str = "threshold"
    entry: list[float] = field(default_factory=lambda: [0.3, 0.5, 0.7])
    exit: list[float] = field(default_factory=lambda: [0.0])
    max_hold: list[Any] = field(default_factory=lambda: ["1s"])
    stop_loss_bps: list[float] = field(default_factory=lambda: [0.0])
    take_profit_bps: list[float] = field(default_factory=lambda: [0.0])
    size: list[float] = field(default_factory=lambda: [0.01])
    cooldown: list[int] = field(default_factory=lambda: [0])
    direction: list[str] = field(default_factory=lambda: ["both"])


@dataclass
class QuoteConfig(StrategyConfig):
    """The quote family's parameter lists (``docs/quote.md``).

    ``skew_bps`` is bps of centre shift per signal scale; ``requote`` and ``max_hold`` rows or
    durations; ``max_position`` base units or null (no limit). Latencies, queue model and fees
    are in the ``execution`` group.
    """

    family: str = "quote"
    half_spread_ticks: list[float] = field(default_factory=lambda: [1.0])
    skew_bps: list[float] = field(default_factory=lambda: [0.0])
    inventory_skew_ticks: list[float] = field(default_factory=lambda: [0.0])
    size: list[float] = field(default_factory=lambda: [0.01])
    max_position: list[Any] = field(default_factory=lambda: [None])
    requote: list[Any] = field(default_factory=lambda: [0])
    stop_loss_bps: list[float] = field(default_factory=lambda: [0.0])
    max_hold: list[Any] = field(default_factory=lambda: [None])
    cooldown: list[int] = field(default_factory=lambda: [0])


@dataclass
class LatencyConfig:
    """Latencies, rows or durations: each list is a grid axis of the families that use it.

    ``latency``: the threshold family's decision to fill. ``entry_latency`` and
    ``response_latency``: the quote family's order to the exchange and fill back to it.
    """

    latency: list[Any] = field(default_factory=lambda: [0])
    entry_latency: list[Any] = field(default_factory=lambda: [0])
    response_latency: list[Any] = field(default_factory=lambda: [0])


@dataclass
class FeesConfig:
    """Fees, bps of notional per fill; a negative maker fee is a rebate."""

    taker_fee_bps: float = 5.0
    maker_fee_bps: float = 2.0


@dataclass
class QueueConfig:
    """The quote family's queue position model: grid axes (``docs/quote.md``)."""

    model: list[str] = field(default_factory=lambda: ["risk_averse"])
    power: list[float] = field(default_factory=lambda: [2.0])
    partial_fills: list[bool] = field(default_factory=lambda: [False])


@dataclass
class ExecutionConfig:
    """How orders meet the book: latency, fees and queue (three sub-groups)."""

    latency: LatencyConfig = field(default_factory=LatencyConfig)
    fees: FeesConfig = field(default_factory=FeesConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)


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
    heatmap: list[str] | None = None


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
class ModelConfig:
    """A learned signal: a model trained walk-forward whose out-of-sample score is swept.

    ``name`` ``none`` trains nothing. ``features`` empty means ``features.names``; ``label`` null
    means the first of ``labels.names`` (``docs/models.md``).
    """

    name: str = "none"
    features: list[str] = field(default_factory=list)
    label: str | None = None
    backend: str = "auto"
    window: int = 1
    hidden: int = 8
    kernel: int = 3
    epochs: int = 100
    learning_rate: float = 0.1
    l2: float = 1e-3
    seed: int = 0
    n_splits: int = 5
    embargo: str = "1s"
    train_blocks: int = 0
    min_train_rows: int = 100


@dataclass
class AppConfig:
    """The whole application config."""

    data: DataConfig = field(default_factory=DataConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    debug: DebugConfig = field(default_factory=DebugConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    model: ModelConfig = field(default_factory=ModelConfig)


GROUPS: dict[str, type] = {
    "data": DataConfig,
    "backend": BackendConfig,
    "features": FeaturesConfig,
    "labels": LabelsConfig,
    "strategy": StrategyConfig,
    "execution/latency": LatencyConfig,
    "execution/fees": FeesConfig,
    "execution/queue": QueueConfig,
    "sweep": SweepConfig,
    "logger": LoggerConfig,
    "experiment": ExperimentConfig,
    "paths": PathsConfig,
    "debug": DebugConfig,
    "eval": EvalConfig,
    "model": ModelConfig,
}


FAMILY_SCHEMAS: dict[str, type] = {"threshold": ThresholdConfig, "quote": QuoteConfig}
"""Each strategy family's config schema (``strategy/<option>.yaml`` starts from one)."""


def register_configs() -> None:
    """Register the app schema and one ``schema`` entry per group in Hydra's ConfigStore."""
    store = ConfigStore.instance()
    store.store(name="app_schema", node=AppConfig)
    for group, schema in GROUPS.items():
        store.store(group=group, name="schema", node=schema)
    for name, schema in FAMILY_SCHEMAS.items():
        store.store(group="strategy", name=f"schema_{name}", node=schema)
