"""Strategy families: the one object the sweep, the search, walk-forward and the job read.

A family is a :class:`StrategyFamily` registered in :data:`STRATEGIES` where it is defined
(``l2gpu/backtest/threshold.py``, ``l2gpu/backtest/quote/family.py``); ``strategy.family`` in the
config selects it. It holds:

- its **parameters**, in the order a grid combines them: where each one's list of values comes
  from in the config (the ``strategy`` group, or the ``execution`` group's latency, fees and
  queue), how the Optuna search treats a list (a float range between its ends, or categorical),
  and whether the values are typed as multiples of each signal's scale;
- its **table**: defaults and validation of a table of configs (``normalise``), the parameter
  columns of the results table;
- its **run**: the sweep of the family, whose kernel composes the execution models
  (:mod:`l2gpu.kernels.execution`): ``run(book, signals, params, trades=..., engine=...,
  record=..., chunk_rows=..., sharpe_bucket=..., progress=..., bucket_returns=...,
  workers=..., devices=...)``; the last two shard the sweep over CPU processes or GPUs
  (its sweep hands its configs to :func:`l2gpu.backtest.shard_run.sharded`);
- its **horizon**: how far a config can look ahead, in ns (walk-forward's purge);
- its **metrics**: all of them, those that are integers (exact across engines), the headline
  ones a person reads first, and the activity metric (a config traded when it is above 0);
- an **example**: one valid config, against which each value of a config file is checked alone;
- the **heatmap**'s two parameters by default (the results-table columns a person compares).

A family's slow, obvious reference is in ``tests/`` (``tests/reference_sweep.py``,
``tests/reference_quote.py``). Adding a family touches its own module, its reference and one
registration (``docs/registries.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from l2gpu.backtest.result import SweepResult
from l2gpu.core.registry import Registry
from l2gpu.core.spans import Window
from l2gpu.data.book import Book

Search = Literal["range", "choice"]
Scale = Literal["", "times", "per"]


@dataclass(frozen=True)
class Parameter:
    """One parameter of a family, as the config and the search see it.

    Attributes
    ----------
    name : str
        Its column in the table of configs.
    source : str
        The config node its values come from: ``strategy``, ``execution.latency``,
        ``execution.fees`` or ``execution.queue``.
    field : str
        Its key in that node (``name`` unless given).
    search : {"range", "choice"}
        Optuna searches a float range between the smallest and largest value, or chooses among
        the values. A parameter with one value is fixed.
    scale : {"", "times", "per"}
        Typed as a multiple of each signal's scale: the config value times the scale
        (a threshold in signal units), or per the scale (a sensitivity per signal unit).
    unit : str
        Shown beside its name in tables.
    """

    name: str
    source: str = "strategy"
    field: str = ""
    search: Search = "choice"
    scale: Scale = ""
    unit: str = ""

    @property
    def key(self) -> str:
        """Its key in the config node."""
        return self.field or self.name

    def values(self, cfg: Any) -> list[Any]:
        """Its values in ``cfg`` (the app config): a list, or a scalar as a list of one."""
        node = cfg
        for part in self.source.split("."):
            node = getattr(node, part)
        value = getattr(node, self.key)
        return list(value) if isinstance(value, list | tuple) else [value]


Run = Callable[..., SweepResult]


@dataclass(frozen=True)
class StrategyFamily:
    """A strategy family (see the module doc)."""

    name: str
    parameters: tuple[Parameter, ...]
    columns: tuple[str, ...]
    normalise: Callable[[pd.DataFrame, Sequence[str]], pd.DataFrame]
    run: Run
    horizon_ns: Callable[[pd.DataFrame, Book], int]
    metrics: tuple[str, ...]
    integer_metrics: tuple[str, ...]
    headline: tuple[str, ...]
    activity: str
    needs_trades: bool
    example: Mapping[str, Any]
    heatmap: tuple[str, str]
    doc: str

    def parameter(self, name: str) -> Parameter:
        """Return the parameter called ``name``."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(f"{self.name} family has no parameter {name!r}")

    def lists(self, cfg: Any) -> dict[str, list[Any]]:
        """Each parameter's values in ``cfg``, in grid order (the signal excluded)."""
        return {p.name: p.values(cfg) for p in self.parameters}

    def scaled(self, table: pd.DataFrame, scales: Mapping[str, float]) -> pd.DataFrame:
        """``table`` with its scaled parameters turned from multiples into signal units."""
        out = table.copy()
        scale = out["signal"].map(scales)
        for parameter in self.parameters:
            if parameter.scale == "times":
                out[parameter.name] = out[parameter.name].astype(float) * scale
            elif parameter.scale == "per":
                out[parameter.name] = out[parameter.name].astype(float) / scale
        return out

    def multiples(self, table: pd.DataFrame, scales: Mapping[str, float]) -> pd.DataFrame:
        """``table`` with a ``<name>_multiple`` column for each scaled parameter (as typed)."""
        scale = table["signal"].map(scales)
        for parameter in self.parameters:
            if parameter.scale == "times":
                table[f"{parameter.name}_multiple"] = (table[parameter.name] / scale).round(6)
            elif parameter.scale == "per":
                table[f"{parameter.name}_multiple"] = (table[parameter.name] * scale).round(6)
        return table


STRATEGIES: Registry[StrategyFamily] = Registry("strategy family")


def spans_horizon_ns(params: pd.DataFrame, book: Book, columns: Sequence[str]) -> int:
    """Longest sum over a config of its spans in ``columns`` (rows at the book's mean pace), ns.

    A missing span (``None``, NaN: no limit) counts as 0: a config held without limit looks
    ahead as far as its exit rules let it, which no finite purge can cover.
    """
    first_ns, last_ns = book.span_ns()
    mean_gap = (last_ns - first_ns) / max(len(book) - 1, 1)

    def ns(value: Any) -> float:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return 0.0
        if isinstance(value, str) and not value.isdigit():
            return float(Window.parse(value, allow_zero=True).ns or 0)
        return float(value) * mean_gap

    present = [c for c in columns if c in params.columns]
    if not present or len(params) == 0:
        return 0
    longest = max(sum(ns(v) for v in row) for row in params[present].itertuples(index=False))
    return math.ceil(longest)
