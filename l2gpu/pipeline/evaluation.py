"""The evaluation stage: the top configs and their trades, then overfitting, risk, out of sample.

:func:`record_top` comes first (the job saves what it returns with the results table before any
statistic runs, so a later failure loses nothing):

- **top**: the ``top_k`` configs with trades, best first by the first objective;
- **trades**: the top configs run again with their trades recorded, on the same engine.

Then :func:`evaluate`:

- **overfitting**: the deflated Sharpe ratio of the best config and the PBO of the whole search
  (:func:`l2gpu.metrics.overfitting`);
- **risk**: risk and execution metrics of the top configs (:func:`l2gpu.metrics.risk.risk_table`);
- **out of sample**: an entry of :data:`OUT_OF_SAMPLE` (``eval.kind``): none, or walk-forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import array_device, to_device
from l2gpu.backtest.walkforward import WalkForwardResult, walk_forward
from l2gpu.config.schema import AppConfig
from l2gpu.core.registry import Registry
from l2gpu.core.spans import Window
from l2gpu.labels import label_horizon
from l2gpu.metrics import Overfitting, overfitting
from l2gpu.metrics.risk import risk_table
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.progress import Progress
from l2gpu.pipeline.search import SearchResult, family_of
from l2gpu.pipeline.signals import Signals
from l2gpu.search.objectives import MAXIMISE


@dataclass(frozen=True)
class TopConfigs:
    """The best configs and their trades.

    Attributes
    ----------
    table : pandas.DataFrame
        The best configs (rows of the results table, index kept), best first.
    trades : dict of int to pandas.DataFrame
        Recorded trades of each top config, by its row in the results table.
    """

    table: pd.DataFrame
    trades: dict[int, pd.DataFrame]


@dataclass
class Evaluation:
    """What the evaluation stage adds to the search.

    Attributes
    ----------
    top : TopConfigs
        The best configs and their trades.
    overfitting : Overfitting or None
        DSR and PBO; ``None`` with fewer than two configs or no config with trades.
    top_bucket_pnl : numpy.ndarray
        ``[buckets, top configs]`` equity change per Sharpe bucket of the top configs, best
        first (host), quote currency.
    risk : pandas.DataFrame
        Risk and execution metrics of the top configs, one row each.
    walk_forward : WalkForwardResult or None
        Out-of-sample folds, when ``eval.kind`` asks for them.
    """

    top: TopConfigs
    overfitting: Overfitting | None
    top_bucket_pnl: np.ndarray
    risk: pd.DataFrame
    walk_forward: WalkForwardResult | None


OutOfSample = Callable[[BookInputs, Signals, SearchResult, AppConfig], WalkForwardResult | None]
OUT_OF_SAMPLE: Registry[OutOfSample] = Registry("evaluation")


@OUT_OF_SAMPLE.register("none")
def no_out_of_sample(
    inputs: BookInputs, signals: Signals, search: SearchResult, cfg: AppConfig
) -> None:
    """No out-of-sample evaluation."""
    return None


def _horizon_ns(name: str, inputs: BookInputs) -> int:
    """Return a label's horizon in ns (rows at the book's mean pace)."""
    horizon = label_horizon(name)
    if horizon.ns is not None:
        return horizon.ns
    first, last = inputs.book.span_ns()
    pace = (last - first) / max(len(inputs.book) - 1, 1)
    return int(np.ceil((horizon.rows or 0) * pace))


@OUT_OF_SAMPLE.register("walkforward")
def walk_forward_folds(
    inputs: BookInputs, signals: Signals, search: SearchResult, cfg: AppConfig
) -> WalkForwardResult:
    """Walk-forward folds of the configs the search ran (see ``docs/evaluation.md``)."""
    horizon = max((_horizon_ns(name, inputs) for name in cfg.labels.names), default=0)
    family = family_of(cfg)
    params = search.table[list(family.columns)].drop_duplicates().reset_index(drop=True)
    return walk_forward(
        inputs.book,
        signals.features,
        params,
        family=family,
        trades=inputs.trades,
        train=cfg.eval.train,
        test=cfg.eval.test,
        mode=cfg.eval.mode,
        label_horizon=f"{horizon}ns",
        embargo=cfg.eval.embargo,
        objective=cfg.sweep.objectives[0],
        top_k=cfg.eval.top_k,
        engine=inputs.engine,
        sharpe_bucket=cfg.sweep.sharpe_bucket,
        declared_causal=signals.declared_causal,
    )


def select_top(table: pd.DataFrame, objective: str, k: int, activity: str) -> pd.DataFrame:
    """Return the ``k`` best configs that traded (``activity > 0``) by ``objective``.

    NaN and infinite values of the objective rank last.
    """
    ranked = table[table[activity] > 0].copy()
    ranked[objective] = ranked[objective].replace([np.inf, -np.inf], np.nan)
    ascending = objective not in MAXIMISE
    return ranked.sort_values(objective, ascending=ascending, na_position="last").head(k)


def book_quotes(inputs: BookInputs) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Mid and spread at given book rows, gathered where the book lives; only they come back."""
    book = inputs.book

    def quotes(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = to_device(np.asarray(rows, dtype=np.int64), book.device, "decision rows")
        bid, ask = book.bid_px[0][at], book.ask_px[0][at]
        mid = to_device((bid + ask) / 2, "cpu", "mid at decision rows")
        return mid, to_device(ask - bid, "cpu", "spread at decision rows")

    return quotes


def record_top(
    inputs: BookInputs, signals: Signals, search: SearchResult, cfg: AppConfig
) -> TopConfigs:
    """Select the top configs and run them again recording their trades, on the same engine."""
    family = family_of(cfg)
    top = select_top(search.table, cfg.sweep.objectives[0], cfg.sweep.top_k, family.activity)
    recorded = family.run(
        inputs.book,
        signals.features,
        top[list(family.columns)],
        trades=inputs.trades,
        engine=inputs.engine,
        record=range(len(top)),
        sharpe_bucket=cfg.sweep.sharpe_bucket,
    )
    return TopConfigs(top, {int(i): recorded.trades(k) for k, i in enumerate(top.index)})


def evaluate(
    inputs: BookInputs,
    signals: Signals,
    search: SearchResult,
    top: TopConfigs,
    cfg: AppConfig,
    progress: Progress,
) -> Evaluation:
    """Evaluate the search's configs (see the module doc)."""
    table = search.table
    judged = None
    if len(top.table) and len(table) > 1:
        with progress.step(f"overfitting statistics over {len(table):,} configs"):
            judged = overfitting(search.bucket_pnl, int(top.table.index[0]), inputs.engine)
    bucket_s = (Window.parse(cfg.sweep.sharpe_bucket).ns or 0) / 1e9
    configs = [int(i) for i in top.table.index]
    columns = to_device(np.asarray(configs, np.int64), array_device(search.bucket_pnl), "top ids")
    top_pnl = to_device(search.bucket_pnl[:, columns], "cpu", "top configs' bucket pnl")
    risk = risk_table(top_pnl, configs, bucket_s, top.trades, table, quotes=book_quotes(inputs))
    out_of_sample = OUT_OF_SAMPLE[cfg.eval.kind]
    if out_of_sample is no_out_of_sample:
        return Evaluation(top, judged, top_pnl, risk, None)
    with progress.step(f"out of sample: {cfg.eval.kind} folds of {cfg.eval.test}"):
        outside = out_of_sample(inputs, signals, search, cfg)
    return Evaluation(top, judged, top_pnl, risk, outside)
