"""The replay loop, and how its result is compared with the run's.

:func:`play` steps a :class:`~l2gpu.replay.stepper.Stepper` to its last row as the pace
allows, shows every step, then closes the config as the sweep does. A replay of the whole book
a run backtested ends where the run's sweep ended: :func:`compare_with_run` says whether its
metrics equal the run's results table row for row and whether its fills equal the run's
recorded trades of that config (the top configs' ``trades_config_<n>.parquet``), exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from l2gpu.replay.pace import Pace
from l2gpu.replay.stepper import Stepper
from l2gpu.replay.view import View


def play(stepper: Stepper, view: View, pace: Pace) -> None:
    """Step ``stepper`` to its last row, showing each step, then finish it."""
    seen = 0
    while stepper.done < stepper.rows:
        stop = pace.next_stop(stepper.done, stepper.rows)
        boundary = view.next_stop(stepper.done)
        if boundary is not None:
            stop = min(stop, boundary)
        stepper.advance(stop)
        events = stepper.events(seen)
        seen += len(events)
        view.show(stepper.state(), events)
    stepper.finish()
    view.show(stepper.state(), stepper.events(seen))


def _same(a: object, b: object) -> bool:
    """Equal values; NaN equals NaN (a metric NaN for its documented reason in both)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def metric_differences(
    replayed: pd.Series, run_row: pd.Series, metrics: Sequence[str]
) -> list[str]:
    """Return the metrics whose replayed value is not exactly the run's, in words."""
    out = []
    for name in metrics:
        a, b = replayed[name], run_row[name]
        a = a.item() if hasattr(a, "item") else a
        b = b.item() if hasattr(b, "item") else b
        if not _same(float(a), float(b)):
            out.append(f"{name} {a!r} (run {b!r})")
    return out


def headline_text(result: pd.Series, headline: Sequence[str]) -> str:
    """Return the family's headline metrics of ``result`` as ``name value`` pairs."""
    return "  ".join(f"{name} {float(result[name]):,.6g}" for name in headline)


def compare_with_run(
    result: pd.Series,
    fills: pd.DataFrame,
    run_row: pd.Series,
    recorded: pd.DataFrame | None,
    metrics: Sequence[str],
    config: int,
) -> list[str]:
    """Return lines saying whether the replay equals the run's results and recorded trades."""
    different = metric_differences(result, run_row, metrics)
    if different:
        lines = [
            f"differs from the run's results table in {len(different)} of {len(metrics)} "
            f"metrics: {'; '.join(different)}"
        ]
    else:
        lines = [f"equals the run's results table: all {len(metrics)} metrics, exactly"]
    if recorded is not None:
        same = fills.reset_index(drop=True).equals(recorded.reset_index(drop=True))
        verb = "equal" if same else "differ from"
        lines.append(
            f"its {len(fills):,} recorded rows {verb} the run's recorded trades of config {config} "
            f"(trades_config_{config}.parquet, {len(recorded):,} rows)"
        )
    return lines
