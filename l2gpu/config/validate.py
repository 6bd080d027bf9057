"""Check every value of a composed config before any work starts (``docs/config.md``).

Hydra's schemas catch a misspelt key or a value of the wrong type; :func:`validate` catches the
values a type cannot: a NaN or negative fee, an empty list, ``batch_size=0``, an unknown
objective, sampler or feature. Each problem is a :class:`ConfigError` whose message is one line:
the parameter, what is wrong, and what to do. The job validates before it opens an MLflow run,
so a refused config leaves no run behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from l2gpu.backend.engine import ENGINES
from l2gpu.backtest import STRATEGIES
from l2gpu.backtest.walkforward import MODES
from l2gpu.config.schema import AppConfig
from l2gpu.core.spans import Window
from l2gpu.data.ingest import FORMATS, Policies
from l2gpu.data.ingest.policies import POLICY_CHOICES
from l2gpu.features import parse_name
from l2gpu.labels import LeakageError, check_inputs, is_label, parse_label
from l2gpu.labels.registry import TOUCH_SUFFIX
from l2gpu.models import MODELS, TRAINERS, trainer
from l2gpu.search import validate_search

FIELD = re.compile(r"(\w+)")
"""The field a family's parameter error names first (``direction 'up' is not one of ...``)."""


class ConfigError(ValueError):
    """A config value that cannot work; the message names the parameter and what to do."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


def _require(ok: bool, parameter: str, problem: str) -> None:
    if not ok:
        raise ConfigError(parameter, problem)


def _non_empty(values: Sequence[Any], parameter: str) -> None:
    _require(len(values) > 0, parameter, "the list is empty; give at least one value")


def _duration(text: str, parameter: str, allow_zero: bool = False) -> None:
    try:
        span = Window.parse(str(text), allow_zero=allow_zero)
    except ValueError as exc:
        raise ConfigError(parameter, str(exc)) from None
    _require(span.ns is not None, parameter, f"{text!r} must be a duration such as '60s'")


def _finite(value: float, parameter: str, at_least: float | None = None) -> None:
    _require(math.isfinite(value), parameter, f"{value} is not a finite number; give a real value")
    if at_least is not None:
        _require(value >= at_least, parameter, f"{value} is below {at_least:g}; it must be >= it")


def _data(cfg: AppConfig) -> None:
    data = cfg.data
    _require(
        data.format in FORMATS,
        "data.format",
        f"{data.format!r} is not a format; the formats are {', '.join(FORMATS)}",
    )
    _non_empty(data.paths, "data.paths")
    _require(data.depth >= 1, "data.depth", f"{data.depth} levels; keep at least 1")
    try:
        Policies(**{policy: getattr(data, policy) for policy in POLICY_CHOICES})
    except ValueError as exc:
        raise ConfigError("data", str(exc)) from None


def _names(
    names: Sequence[str], parameter: str, parse: Callable[[str], Any], allow_empty: bool
) -> None:
    if not allow_empty:
        _non_empty(names, parameter)
    for name in names:
        try:
            parse(name)
        except ValueError as exc:
            raise ConfigError(parameter, str(exc)) from None


def _signals(cfg: AppConfig) -> None:
    try:
        check_inputs([name for name in cfg.features.names if is_label(name)])
    except LeakageError as exc:
        raise ConfigError("features.names", str(exc)) from None
    _names(cfg.features.names, "features.names", parse_name, allow_empty=False)
    try:
        check_inputs(cfg.features.names)
    except LeakageError as exc:
        raise ConfigError("features.names", str(exc)) from None
    _names(cfg.labels.names, "labels.names", parse_label, allow_empty=True)


def _strategy(cfg: AppConfig) -> None:
    """Each value of each list, checked by the family's own parameter rules."""
    _require(
        cfg.strategy.family in STRATEGIES,
        "strategy.family",
        f"{cfg.strategy.family!r} is not a family; the families are {', '.join(STRATEGIES)}",
    )
    family = STRATEGIES[cfg.strategy.family]
    lists = family.lists(cfg)
    for parameter in family.parameters:
        _non_empty(lists[parameter.name], f"{parameter.source}.{parameter.key}")
    signal = cfg.features.names[0]
    first = {name: values[0] for name, values in lists.items()}
    base = {**family.example, **first, "signal": signal}
    for parameter in family.parameters:
        for value in lists[parameter.name]:
            try:
                family.normalise(pd.DataFrame([{**base, parameter.name: value}]), [signal])
            except ValueError as exc:
                problem = str(exc).removeprefix("config 0: ")
                named = FIELD.match(problem)
                culprit = family.parameter(named[1]) if named and named[1] in lists else parameter
                raise ConfigError(f"{culprit.source}.{culprit.key}", problem) from None
    quantile = cfg.strategy.signal_scale_quantile
    _require(
        0 < quantile <= 1,
        "strategy.signal_scale_quantile",
        f"{quantile} must be in (0, 1]: the quantile of |signal| that thresholds multiply",
    )


def _fees(cfg: AppConfig) -> None:
    fees = cfg.execution.fees
    _finite(fees.taker_fee_bps, "execution.fees.taker_fee_bps", at_least=0.0)
    _finite(fees.maker_fee_bps, "execution.fees.maker_fee_bps")


def _search(cfg: AppConfig) -> None:
    from l2gpu.pipeline.search import SEARCHES

    sweep = cfg.sweep
    _require(
        sweep.kind in SEARCHES,
        "sweep.kind",
        f"{sweep.kind!r} is not a search; the searches are {', '.join(SEARCHES)}",
    )
    _non_empty(sweep.objectives, "sweep.objectives")
    metrics = STRATEGIES[cfg.strategy.family].metrics
    for objective in sweep.objectives:
        _require(
            objective in metrics,
            "sweep.objectives",
            f"{objective!r} is not a metric; the metrics are {', '.join(metrics)}",
        )
    # Optuna's settings are checked whatever the kind (a config is checked whole); its
    # objectives need a direction only when a study optimises them.
    try:
        validate_search(
            sampler=sweep.sampler,
            objectives=sweep.objectives if sweep.kind == "optuna" else ["pnl"],
            n_trials=sweep.n_trials,
            batch_size=sweep.batch_size,
            seed=sweep.seed,
            storage=sweep.storage,
            study_name=sweep.study_name,
        )
    except ValueError as exc:
        parameter, _, problem = str(exc).partition(": ")
        raise ConfigError(parameter, problem) from None
    _duration(sweep.sharpe_bucket, "sweep.sharpe_bucket")
    _require(
        sweep.chunk_rows is None or sweep.chunk_rows > 0,
        "sweep.chunk_rows",
        f"{sweep.chunk_rows}; give a positive number of rows, or null for automatic",
    )
    _require(sweep.top_k >= 1, "sweep.top_k", f"{sweep.top_k}; keep at least 1 config")


def _evaluation(cfg: AppConfig) -> None:
    from l2gpu.pipeline.evaluation import OUT_OF_SAMPLE

    ev = cfg.eval
    _require(
        ev.kind in OUT_OF_SAMPLE,
        "eval.kind",
        f"{ev.kind!r} is not an evaluation; the choices are {', '.join(OUT_OF_SAMPLE)}",
    )
    if ev.kind == "none":
        return
    _duration(ev.train, "eval.train")
    _duration(ev.test, "eval.test")
    _duration(ev.embargo, "eval.embargo", allow_zero=True)
    _require(
        ev.mode in MODES, "eval.mode", f"{ev.mode!r} is not a mode; use one of {', '.join(MODES)}"
    )
    _require(ev.top_k >= 1, "eval.top_k", f"{ev.top_k}; carry at least 1 config out of sample")


def _sharding(cfg: AppConfig) -> None:
    backend = cfg.backend
    workers, devices = backend.workers, list(backend.devices)
    _require(workers >= 1, "backend.workers", f"{workers}; use 1 (this process) or more")
    _require(
        all(d >= 0 for d in devices) and len(set(devices)) == len(devices),
        "backend.devices",
        f"{devices} must be distinct GPU ids (0, 1, ...), or [] for the current GPU",
    )
    _require(
        workers == 1 or not devices,
        "backend.workers",
        f"{workers} CPU processes and devices {devices}: shard over one or the other",
    )
    _require(
        workers == 1 or backend.engine != "gpu",
        "backend.workers",
        f"{workers} CPU processes with engine 'gpu'; shard over GPUs with backend.devices",
    )
    _require(
        not devices or backend.engine != "cpu",
        "backend.devices",
        f"{devices} with engine 'cpu'; use engine 'gpu' (or 'auto'), or backend.workers",
    )


def _model(cfg: AppConfig) -> None:
    model = cfg.model
    if model.name == "none":
        return
    _require(
        model.name in MODELS,
        "model.name",
        f"{model.name!r} is not a model; the models are none, {', '.join(MODELS)}",
    )
    try:
        check_inputs([name for name in model.features if is_label(name)])
    except LeakageError as exc:
        raise ConfigError("model.features", str(exc)) from None
    _names(model.features, "model.features", parse_name, allow_empty=True)
    try:
        check_inputs(model.features)
    except LeakageError as exc:
        raise ConfigError("model.features", str(exc)) from None
    targets = [n for n in cfg.labels.names if not n.endswith(TOUCH_SUFFIX)]
    label = model.label or (targets[0] if targets else None)
    _require(label is not None, "model.label", "no label to train on; name one in labels.names")
    _require(
        label in targets,
        "model.label",
        f"{label!r} is not one of labels.names ({', '.join(targets) or 'empty'}); add it there",
    )
    _require(
        model.backend in TRAINERS,
        "model.backend",
        f"{model.backend!r}; use one of {', '.join(TRAINERS)}",
    )
    try:
        trainer(model.backend)
    except ValueError as exc:
        raise ConfigError("model.backend", str(exc).removeprefix("model.backend torch: ")) from None
    for key in ("window", "hidden", "kernel", "epochs", "min_train_rows"):
        value = getattr(model, key)
        _require(value >= 1, f"model.{key}", f"{value}; it must be at least 1")
    _require(
        model.name != "conv1d" or model.kernel <= model.window,
        "model.kernel",
        f"{model.kernel} rows is longer than the window of {model.window}; keep it <= model.window",
    )
    _finite(model.learning_rate, "model.learning_rate")
    _require(
        model.learning_rate > 0,
        "model.learning_rate",
        f"{model.learning_rate}; give a positive step size",
    )
    _finite(model.l2, "model.l2", at_least=0.0)
    _require(model.n_splits >= 2, "model.n_splits", f"{model.n_splits}; use at least 2 blocks")
    _duration(model.embargo, "model.embargo", allow_zero=True)
    _require(
        model.train_blocks >= 0,
        "model.train_blocks",
        f"{model.train_blocks}; give 0 (every earlier block) or a positive number of blocks",
    )


def validate(cfg: AppConfig) -> None:
    """Raise :class:`ConfigError` for the first value of ``cfg`` that cannot work."""
    _require(
        cfg.backend.engine in ENGINES,
        "backend.engine",
        f"{cfg.backend.engine!r}; use one of {', '.join(ENGINES)}",
    )
    _sharding(cfg)
    _data(cfg)
    _signals(cfg)
    _fees(cfg)
    _strategy(cfg)
    _search(cfg)
    _evaluation(cfg)
    _model(cfg)
    _require(
        cfg.debug.max_rows is None or cfg.debug.max_rows >= 2,
        "debug.max_rows",
        f"{cfg.debug.max_rows}; keep at least 2 rows, or null for all",
    )
    heatmap = cfg.experiment.heatmap
    if heatmap is None:
        return
    _require(
        len(heatmap) == 2,
        "experiment.heatmap",
        f"{list(heatmap)} must name two parameters (x and y), e.g. [entry_multiple, max_hold]",
    )
    family = STRATEGIES[cfg.strategy.family]
    scaled = [f"{p.name}_multiple" for p in family.parameters if p.scale]
    known = {*family.columns, *scaled}
    for axis in heatmap:
        _require(
            axis in known,
            "experiment.heatmap",
            f"{axis!r} is not a parameter; use one of {', '.join(sorted(known))}",
        )


def typed_config(cfg: DictConfig) -> AppConfig:
    """Return the composed config as its dataclass, every value validated."""
    app = OmegaConf.to_object(cfg)
    assert isinstance(app, AppConfig)
    validate(app)
    return app
