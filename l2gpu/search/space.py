"""The space a study searches, built from lists of values, one list per parameter.

A parameter with one value is fixed. A *ranged* parameter (by default ``entry``, ``exit``,
``stop_loss_bps`` and ``take_profit_bps``, whose lists are numbers) is searched as a float
between its smallest and largest value; every other list (``signal``, ``max_hold``,
``latency``, ``direction``, ...) is a categorical choice among its values. Values that Optuna
cannot store as a choice (anything but None, bool, int, float and str) become their text.
Parameters keep the mapping's order, which is also the order they are suggested in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution

RANGED = frozenset({"entry", "exit", "stop_loss_bps", "take_profit_bps"})
"""Parameters searched as a float range when their list has two or more values."""


def _choice(value: Any) -> Any:
    """Optuna categorical choices must be None, bool, int, float or str."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


@dataclass(frozen=True)
class SearchSpace:
    """Fixed values and searched distributions, in the order of the lists given.

    Attributes
    ----------
    names : tuple of str
        Every parameter, in order.
    fixed : dict
        Parameters with a single value.
    distributions : dict of str to optuna distribution
        Searched parameters: ``FloatDistribution(low, high)`` or ``CategoricalDistribution``.
    """

    names: tuple[str, ...]
    fixed: dict[str, Any]
    distributions: dict[str, BaseDistribution]

    @classmethod
    def from_lists(
        cls, lists: Mapping[str, Iterable[Any]], ranged: Collection[str] = RANGED
    ) -> SearchSpace:
        """Build the space; an empty list, or a ranged list that is not numbers, is an error."""
        fixed: dict[str, Any] = {}
        distributions: dict[str, BaseDistribution] = {}
        for name, given in lists.items():
            values = [given] if isinstance(given, str | bytes) else list(given)
            if not values:
                raise ValueError(f"search space: {name} has no values; give it at least one")
            if len(values) == 1:
                fixed[name] = values[0]
            elif name in ranged:
                numbers = [v for v in values if isinstance(v, Real) and not isinstance(v, bool)]
                if len(numbers) != len(values):
                    raise ValueError(
                        f"search space: {name} is searched as a float range, so its values must "
                        f"be numbers, got {values}"
                    )
                low, high = float(min(numbers)), float(max(numbers))
                if low == high:
                    fixed[name] = numbers[0]
                else:
                    distributions[name] = FloatDistribution(low, high)
            else:
                choices = list(dict.fromkeys(_choice(v) for v in values))
                if len(choices) == 1:
                    fixed[name] = values[0]
                else:
                    distributions[name] = CategoricalDistribution(choices)
        return cls(tuple(lists), fixed, distributions)

    @property
    def ranged(self) -> list[str]:
        """Searched parameters that are float ranges, in order."""
        return [n for n, d in self.distributions.items() if isinstance(d, FloatDistribution)]

    def config(self, searched: Mapping[str, Any]) -> dict[str, Any]:
        """Return the full config, in parameter order: the fixed values and ``searched``."""
        return {n: searched[n] if n in self.distributions else self.fixed[n] for n in self.names}

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Ask ``trial`` for every searched parameter, in order; return their values."""
        values: dict[str, Any] = {}
        for name, distribution in self.distributions.items():
            if isinstance(distribution, FloatDistribution):
                values[name] = trial.suggest_float(name, distribution.low, distribution.high)
            else:
                assert isinstance(distribution, CategoricalDistribution)
                values[name] = trial.suggest_categorical(name, distribution.choices)
        return values

    def from_unit(self, unit: np.ndarray) -> list[dict[str, Any]]:
        """Return the searched values of points in the unit cube ``[n, len(distributions)]``.

        A float range maps linearly onto ``[low, high]``; a choice among ``C`` values takes
        ``floor(u * C)`` (``u`` in ``[0, 1)``, so every choice has the same share).
        """
        points = []
        for row in np.asarray(unit, dtype=np.float64):
            values: dict[str, Any] = {}
            for u, (name, distribution) in zip(row, self.distributions.items(), strict=True):
                if isinstance(distribution, FloatDistribution):
                    low, high = distribution.low, distribution.high
                    values[name] = min(max(low + float(u) * (high - low), low), high)
                else:
                    assert isinstance(distribution, CategoricalDistribution)
                    count = len(distribution.choices)
                    values[name] = distribution.choices[min(int(u * count), count - 1)]
            points.append(values)
        return points
