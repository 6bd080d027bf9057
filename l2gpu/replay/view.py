"""What the replay shows: a Rich live view on a terminal, plain lines elsewhere.

Both show the same things (``docs/replay.md``): the book top (best bid and ask with their
sizes), the position or the resting quotes and orders in flight, the pnl (cash plus position
marked to the mid, as the kernel marks it) and the fills.

- :class:`LiveView` redraws one screen, at most :data:`FPS` times a second: a header (the run,
  the config, the recording's time and the rows done), the book, the strategy's orders, the
  account and the last fills.
- :class:`PlainView`, for a file or a pipe, prints a line per fill as it happens and a status
  line (book top, position, pnl) at every ``every`` of recording time, so a log of the same
  replay is the same whatever the speed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from l2gpu.replay.stepper import FillEvent, ReplayState
from l2gpu.replay.words import (
    account_text,
    book_text,
    clock_text,
    date_text,
    fill_text,
    number,
    signed,
)

FPS = 20
"""Redraws of the live view per second, at most."""
FILLS_SHOWN = 8
"""Fills the live view lists, the latest last."""


class View(Protocol):
    """What the replay loop calls (see :func:`l2gpu.replay.session.play`)."""

    def next_stop(self, done: int) -> int | None:
        """Return a row the next step must stop before (a status line is due), or None."""

    def show(self, state: ReplayState, events: Sequence[FillEvent]) -> None:
        """Show the state after a step and the fills it made."""

    def close(self, lines: Sequence[str]) -> None:
        """End the view and print the closing lines."""


def status_text(state: ReplayState) -> str:
    """Return the status line: the time, the rows done, the book top, the account."""
    return (
        f"{clock_text(state.ts)} row {state.done:,}/{state.rows:,}  {book_text(state)}  "
        f"{account_text(state)}"
    )


class PlainView:
    """Plain lines (see the module doc).

    Parameters
    ----------
    console : rich.console.Console
        Where the lines go.
    ts : numpy.ndarray
        The book's exchange times, ns.
    every_ns : int
        Recording time between two status lines, ns (at least 1).
    header : sequence of str
        Lines printed first.
    """

    def __init__(
        self, console: Console, ts: np.ndarray, every_ns: int, header: Sequence[str]
    ) -> None:
        self.console = console
        self.ts = ts
        self.every_ns = max(int(every_ns), 1)
        self._k = 1
        self._boundary = self._row_of(self._k)
        for line in header:
            self._print(line)

    def _print(self, line: str) -> None:
        self.console.print(escape(line), soft_wrap=True, highlight=False)

    def _row_of(self, k: int) -> int:
        """Rows before the ``k``-th status time (``ts_0 + k * every``)."""
        return int(np.searchsorted(self.ts, int(self.ts[0]) + k * self.every_ns, side="left"))

    def next_stop(self, done: int) -> int:
        """Return the row of the next status line."""
        while self._boundary <= done and self._boundary < self.ts.shape[0]:
            self._k += 1
            self._boundary = self._row_of(self._k)
        return self._boundary

    def show(self, state: ReplayState, events: Sequence[FillEvent]) -> None:
        """Print the new fills, then the status line where one is due."""
        for event in events:
            self._print(f"fill {fill_text(event)}")
        if state.done == self._boundary and not state.finished:
            self._print(status_text(state))

    def close(self, lines: Sequence[str]) -> None:
        """Print the closing lines."""
        for line in lines:
            self._print(line)


class LiveView:
    """One screen redrawn as the replay runs (see the module doc).

    Parameters
    ----------
    console : rich.console.Console
        A terminal.
    header : sequence of str
        The run and the config, in words.
    fills_shown : int
        Fills listed, the latest last.
    """

    def __init__(
        self, console: Console, header: Sequence[str], fills_shown: int = FILLS_SHOWN
    ) -> None:
        self.console = console
        self.header = list(header)
        self.fills: deque[FillEvent] = deque(maxlen=fills_shown)
        self._drawn = 0.0
        self._live = Live(console=console, auto_refresh=False, transient=False)
        self._live.start()

    def next_stop(self, done: int) -> int | None:
        """No row of its own: it redraws after whatever step the pace chose."""
        return None

    def show(self, state: ReplayState, events: Sequence[FillEvent]) -> None:
        """Redraw, at most :data:`FPS` times a second (always once finished)."""
        self.fills.extend(events)
        now = time.monotonic()
        if state.finished or now - self._drawn >= 1 / FPS:
            self._drawn = now
            self._live.update(render(self.header, state, list(self.fills)), refresh=True)

    def close(self, lines: Sequence[str]) -> None:
        """Stop redrawing and print the closing lines below the last screen."""
        self._live.stop()
        for line in lines:
            self.console.print(escape(line), soft_wrap=True, highlight=False)


def render(header: Sequence[str], state: ReplayState, fills: Sequence[FillEvent]) -> Group:
    """Return the live view's screen for ``state`` and the last ``fills``."""
    title = Text("\n".join(header), style="bold")
    where = Text(
        f"{date_text(state.ts)}  row {state.done:,} of {state.rows:,}"
        + ("  (finished: position closed at the last row)" if state.finished else "")
    )
    book = Table(show_header=True, box=None, pad_edge=False)
    for column in ("bid size", "bid", "ask", "ask size", "spread"):
        book.add_column(column, justify="right")
    book.add_row(
        f"{state.bid_sz:g}",
        number(state.bid_px),
        number(state.ask_px),
        f"{state.ask_sz:g}",
        number(state.ask_px - state.bid_px),
    )
    account = Text(account_text(state))
    orders = Text("\n".join(state.orders))
    recent = Table(show_header=True, box=None, pad_edge=False)
    for column in ("time", "side", "size", "price", "fee", "kind", "position"):
        recent.add_column(column, justify="right")
    for event in fills:
        recent.add_row(
            clock_text(event.ts),
            "buy" if event.qty > 0 else "sell",
            f"{abs(event.qty):g}",
            number(event.px),
            f"{event.fee:+.4f}",
            event.kind,
            signed(event.position),
        )
    return Group(
        title,
        where,
        Rule("book top", align="left"),
        book,
        Rule("position and orders", align="left"),
        orders,
        Rule("pnl", align="left"),
        account,
        Rule(f"last fills ({state.fills:,} in all)", align="left"),
        recent,
    )
