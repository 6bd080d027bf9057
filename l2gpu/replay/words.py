"""How the replay words times, fills and configs (the live view and the plain lines share them)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd

from l2gpu.core.units import NS_PER_S
from l2gpu.replay.stepper import FillEvent, ReplayState


def clock_text(ns: int) -> str:
    """Return a time in ns since the Unix epoch as ``HH:MM:SS.mmm`` (UTC)."""
    seconds, rest = divmod(int(ns), NS_PER_S)
    clock = datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S")
    return f"{clock}.{rest // 1_000_000:03d}"


def date_text(ns: int) -> str:
    """Return a time in ns since the Unix epoch as ``YYYY-MM-DD HH:MM:SS.mmm UTC``."""
    seconds = int(ns) // NS_PER_S
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%d} {clock_text(ns)} UTC"


def number(value: float, digits: int = 2) -> str:
    """Return a price or an amount with thousands separators; ``-`` for NaN."""
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def signed(value: float) -> str:
    """Return a signed size (``+0.01``, ``-0.02``), and ``0`` for none."""
    return f"{value:+g}" if value else "0"


def fill_text(event: FillEvent) -> str:
    """Return one fill in words: time, side, size, price, fee, kind, position after it."""
    verb = "buy " if event.qty > 0 else "sell"
    return (
        f"{clock_text(event.ts)} {verb} {abs(event.qty):g} @ {number(event.px)} "
        f"fee {event.fee:+.4f} ({event.kind}, row {event.row:,}) position {signed(event.position)}"
    )


def book_text(state: ReplayState) -> str:
    """Return the best bid and ask with their sizes."""
    return (
        f"bid {number(state.bid_px)} x {state.bid_sz:g}  ask {number(state.ask_px)} x "
        f"{state.ask_sz:g}"
    )


def account_text(state: ReplayState) -> str:
    """Return the position, pnl (marked to the mid), cash and fees."""
    return (
        f"position {signed(state.position)}  pnl {state.pnl:+,.4f} (cash {state.cash:+,.4f}, "
        f"marked to the mid)  fees {state.fees:,.4f}  fills {state.fills:,}"
    )


def config_text(table: pd.DataFrame) -> str:
    """Return a normalised one-row config table as ``name=value`` pairs."""
    row = table.iloc[0]
    return " ".join(f"{name}={_value(row[name])}" for name in table.columns)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
