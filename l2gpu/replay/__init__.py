"""Paper-trading replay: one config of a run stepped event by event, with a live view.

``l2gpu replay <run id> --config N`` (``docs/replay.md``) reads the run back (its data config,
features and results table), rebuilds its book, and steps config ``N`` through the sweep's own
compiled CPU kernel a few rows at a time (:class:`Stepper`), so its fills and pnl equal the
sweep's for that config exactly; between steps a view shows the book top, the position or the
resting quotes, the pnl and the last fills.
"""

from l2gpu.replay import quote, threshold
from l2gpu.replay.stepper import STEPPERS, FillEvent, ReplayState, Stepper, start_replay

__all__ = [
    "STEPPERS",
    "FillEvent",
    "ReplayState",
    "Stepper",
    "quote",
    "start_replay",
    "threshold",
]
