"""Label names: what each means and how it is parsed.

- ``fwd_ret_<h>``: ``log(mid_end / mid_t)``; the end row is ``t + h`` (rows) or the first row with
  ``ts >= ts_t + h`` (time); NaN where it runs past the data.
- ``fwd_class_<h>_<bps>``: +1 / -1 / 0 as ``fwd_ret`` is above ``bps * 1e-4``, below its negative,
  or between (a log-return threshold).
- ``fwd_class_<h>_cost``: the same with a threshold that pays the round trip at ``t``: half the
  spread and the taker fee on entry and again on exit, ``spread_t / mid_t + 2 * fee * 1e-4``.
- ``volnorm_ret_<h>_<w>``: ``fwd_ret_<h>`` divided by the trailing realised volatility ``rv_<w>``.
- ``tbarrier_<h>_<k>spread`` / ``tbarrier_<h>_<k>vol``: triple barrier at ``mid_t +- k *
  spread_t``, or at ``mid_t * exp(+-k * rv_h)`` (trailing volatility over the same span as the
  horizon); also gives ``<name>_touch``, the touch time in ns (-1 where undefined).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from l2gpu.features.windows import Window

_WINDOW = r"(\d+(?:\.\d+)?(?:ns|us|ms|s|m|h)?)"
PATTERNS = {
    "fwd_ret": re.compile(rf"^fwd_ret_{_WINDOW}$"),
    "fwd_class": re.compile(rf"^fwd_class_{_WINDOW}_(cost|\d+(?:\.\d+)?)$"),
    "volnorm_ret": re.compile(rf"^volnorm_ret_{_WINDOW}_{_WINDOW}$"),
    "tbarrier": re.compile(rf"^tbarrier_{_WINDOW}_(\d+(?:\.\d+)?)(spread|vol)$"),
}
KNOWN = (
    "fwd_ret_<h>, fwd_class_<h>_<bps>, fwd_class_<h>_cost, volnorm_ret_<h>_<w>, "
    "tbarrier_<h>_<k>spread, tbarrier_<h>_<k>vol"
)


@dataclass(frozen=True)
class LabelSpec:
    """A parsed label name."""

    name: str
    kind: str
    horizon: Window
    threshold_bps: float | None = None
    window: Window | None = None
    multiple: float | None = None
    barrier: str | None = None


def parse_label(name: str) -> LabelSpec:
    """Parse a label name; an unknown one is a ``ValueError`` listing the known forms."""
    for kind, pattern in PATTERNS.items():
        match = pattern.match(name)
        if match is None:
            continue
        horizon = Window.parse(match[1])
        if kind == "fwd_class":
            bps = None if match[2] == "cost" else float(match[2])
            return LabelSpec(name, kind, horizon, threshold_bps=bps)
        if kind == "volnorm_ret":
            return LabelSpec(name, kind, horizon, window=Window.parse(match[2]))
        if kind == "tbarrier":
            return LabelSpec(name, kind, horizon, multiple=float(match[2]), barrier=match[3])
        return LabelSpec(name, kind, horizon)
    raise ValueError(f"unknown label {name!r}; known labels: {KNOWN}")


def is_label(name: str) -> bool:
    """Whether ``name`` is a label name (or a label's touch-time companion)."""
    base = name[: -len("_touch")] if name.endswith("_touch") else name
    return any(p.match(base) for p in PATTERNS.values())
