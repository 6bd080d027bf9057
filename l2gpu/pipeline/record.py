"""``RunRecord``: everything one job produced, the single thing tracking and the summary read.

It also says, in one place, what a run is called, what its headline metrics are and how its
outcome reads in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from l2gpu.backtest import STRATEGIES, StrategyFamily
from l2gpu.config.schema import AppConfig
from l2gpu.models import ModelRun
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.evaluation import Evaluation
from l2gpu.pipeline.results import SavedResults
from l2gpu.pipeline.search import SearchResult
from l2gpu.pipeline.signals import Signals


@dataclass
class RunRecord:
    """One job's inputs, stages and outputs.

    Attributes
    ----------
    cfg : AppConfig
        The validated config.
    overrides : list of str
        The command-line overrides the user typed (``data=ethusdt``), for the run's name.
    inputs, signals, search, evaluation
        The stages' results.
    saved : SavedResults
        Where the results table and trades were written.
    model : ModelRun or None
        The learned signal's walk-forward training, when ``model.name`` chose one.
    timings : dict of str to float
        Seconds per stage.
    """

    cfg: AppConfig
    overrides: list[str]
    inputs: BookInputs
    signals: Signals
    search: SearchResult
    evaluation: Evaluation
    saved: SavedResults
    model: ModelRun | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def family(self) -> StrategyFamily:
        """The strategy family that ran."""
        return STRATEGIES[self.cfg.strategy.family]

    @property
    def objective(self) -> str:
        """The metric the configs are ranked by."""
        return self.cfg.sweep.objectives[0]

    def metrics(self) -> dict[str, float]:
        """Return the run's metrics: the search, the best config, overfitting, model, risk, ICs."""
        table = self.search.table
        sharpe = table.sharpe.replace([np.inf, -np.inf], np.nan)
        out = {
            "configs_run": float(len(table)),
            "share_profitable": float((table.pnl > 0).mean()),
            "median_sharpe": float(sharpe.median()),
            "steps_per_second": float(self.search.steps_per_second),
            **self.signals.ics,
        }
        top = self.evaluation.top.table
        if len(top):
            best = top.iloc[0]
            out.update({f"best_{m}": float(best[m]) for m in self.family.metrics})
        judged = self.evaluation.overfitting
        if judged is not None:
            out.update(
                {
                    "dsr": judged.dsr,
                    "pbo": judged.pbo,
                    "best_sharpe_per_bucket": judged.sharpe_per_bucket,
                    "expected_max_sharpe_per_bucket": judged.expected_max_sharpe,
                }
            )
        walk = self.evaluation.walk_forward
        if walk is not None and len(walk.folds):
            out.update(
                {
                    "oos_pnl_total": walk.oos_total,
                    "oos_folds": float(len(walk.folds)),
                    "oos_share_profitable_folds": float((walk.folds.oos_pnl > 0).mean()),
                    "is_pnl_mean": float(walk.folds.is_pnl.mean()),
                }
            )
        if self.model is not None:
            out.update(self.model.metrics())
        risk = self.evaluation.risk
        if len(risk):
            out.update({f"best_{k}": float(v) for k, v in risk.iloc[0].items() if k != "config"})
        return out

    def run_name(self) -> str:
        """Return the run's name (see :func:`run_name`)."""
        return run_name(self.cfg, self.overrides)


def run_name(cfg: AppConfig, overrides: list[str]) -> str:
    """Name a run by data, search and the overrides typed: ``btcusdt grid execution/fees=zero``.

    Overrides of where things are stored (``paths.*``, ``logger.*``, ``hydra.*``) are left out.
    """
    hidden = ("hydra", "paths.", "logger.")
    shown = [o for o in overrides if not o.lstrip("+~").startswith(hidden)]
    return " ".join([cfg.data.name, cfg.sweep.kind, *shown])
