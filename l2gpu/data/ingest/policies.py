"""What ingest does with bad input: the named policies and the error that names the place.

Every policy and the check it answers are in the table of ``docs/validation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GAP_POLICIES = ("error", "resync")
CROSSED_POLICIES = ("error", "keep", "drop")
BAD_LINE_POLICIES = ("error", "skip")
TIME_BACKWARDS_POLICIES = ("error", "clamp")
TRADE_BACKWARDS_POLICIES = ("error", "drop")
DUPLICATE_TRADE_POLICIES = ("error", "drop")
OTHER_SYMBOL_POLICIES = ("error", "skip")
INCONSISTENT_POLICIES = ("error", "keep")

POLICY_CHOICES: dict[str, tuple[str, ...]] = {
    "on_gap": GAP_POLICIES,
    "on_crossed": CROSSED_POLICIES,
    "on_bad_line": BAD_LINE_POLICIES,
    "on_time_backwards": TIME_BACKWARDS_POLICIES,
    "on_trade_backwards": TRADE_BACKWARDS_POLICIES,
    "on_duplicate_trade": DUPLICATE_TRADE_POLICIES,
    "on_other_symbol": OTHER_SYMBOL_POLICIES,
    "on_inconsistent": INCONSISTENT_POLICIES,
}
"""Each policy and the values it takes; :class:`Policies` holds the defaults."""


class IngestError(ValueError):
    """Bad input that the chosen policy does not repair.

    The message names the file, the line or row (1-based lines as an editor shows them, 0-based
    rows as the book store counts them), what is wrong with the offending values, and the name of
    the check that failed (see ``docs/validation.md``).
    """

    def __init__(
        self, path: str | Path, where: str, problem: str, check: str | None = None
    ) -> None:
        super().__init__(f"{path}, {where}: {problem}" + (f" (check '{check}')" if check else ""))
        self.path = Path(path)
        self.where = where
        self.problem = problem
        self.check = check


@dataclass(frozen=True)
class Policies:
    """Repairs ingest may make, each counted in the report.

    Attributes
    ----------
    on_gap : {"error", "resync"}
        A break in the update-id chain. ``"error"`` names the ids; ``"resync"`` drops the book
        until the next snapshot and reports the rows lost.
    on_crossed : {"error", "keep", "drop"}
        A book whose best bid is at or above its best ask after an event. ``"keep"`` writes the
        row; all three count the rows and list their ids in the report.
    on_bad_line : {"error", "skip"}
        A malformed line or row: bad JSON, a missing field or cell, a value that is not a number
        or out of range (a zero or negative price, a negative size, a trade of size 0, a trade
        side that is neither buy nor sell), a book row whose levels break a store invariant, a
        truncated gzip. ``"skip"`` drops the line and counts it (a skipped diff then shows as a
        gap, so the book is never silently wrong).
    on_time_backwards : {"error", "clamp"}
        Exchange time lower than the row before. ``"clamp"`` sets it to the previous time.
    on_trade_backwards : {"error", "drop"}
        A trade whose time is before that of a trade read earlier. ``"drop"`` drops it, counted.
    on_duplicate_trade : {"error", "drop"}
        A trade whose id was read earlier. ``"drop"`` keeps the first and drops the copy, counted.
    on_other_symbol : {"error", "skip"}
        A line (Binance) or row (Tardis) of another instrument than the file's first.
        ``"skip"`` drops it, counted.
    on_inconsistent : {"error", "keep"}
        LOBSTER: a message whose size change does not show at its price and side between the
        orderbook rows before and after it. ``"keep"`` writes the rows and counts and lists them.
    """

    on_gap: str = "error"
    on_crossed: str = "keep"
    on_bad_line: str = "error"
    on_time_backwards: str = "error"
    on_trade_backwards: str = "error"
    on_duplicate_trade: str = "error"
    on_other_symbol: str = "error"
    on_inconsistent: str = "error"

    def __post_init__(self) -> None:
        for name, allowed in POLICY_CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(
                    f"{name}={value!r} is not a policy: expected one of {', '.join(allowed)}"
                )
