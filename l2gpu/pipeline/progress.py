"""Progress of the job's steps: a Rich bar on a terminal, plain periodic lines elsewhere.

Every step that can take more than a couple of seconds (kernel compilation, ingest, features, the
sweep, Optuna batches, PBO) runs inside :meth:`Progress.step`, which hands the step an ``update``
callable. On a terminal the step shows a transient bar (or a spinner while the total is unknown);
when the output is a file or a pipe, the step prints a line when it starts, at most one line every
:data:`PLAIN_EVERY_S` seconds while it runs, and one when it ends, so a log shows where a long job
is and never stays silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

Update = Callable[[float, float | None], None]
"""Called by a step with (done, total); total ``None`` keeps the one known."""
PLAIN_EVERY_S = 10.0


class Progress:
    """Shows the job's steps on ``console``.

    Parameters
    ----------
    console : rich.console.Console
        Where to show them; a console that is not a terminal gets plain lines.
    """

    def __init__(self, console: Console) -> None:
        self.console = console

    @contextmanager
    def step(
        self, description: str, total: float | None = None, unit: str = ""
    ) -> Iterator[Update]:
        """Run one step; the body calls the yielded ``update(done, total)`` as it advances.

        Parameters
        ----------
        description : str
            What the step does, as the user reads it ("sweep 2,880 configs x 88,523 rows").
        total : float, optional
            Units of work, when known in advance.
        unit : str
            Name of the unit for plain lines ("rows", "trials", "bytes").
        """
        if self.console.is_terminal:
            with self._bar(description, total) as update:
                yield update
        else:
            with self._lines(description, total, unit) as update:
                yield update

    @contextmanager
    def _bar(self, description: str, total: float | None) -> Iterator[Update]:
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with RichProgress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)

            def update(done: float, new_total: float | None = None) -> None:
                bar.update(task, completed=done, total=new_total if new_total else total)

            yield update

    @contextmanager
    def _lines(self, description: str, total: float | None, unit: str) -> Iterator[Update]:
        started = time.monotonic()
        last = started
        known = [total]
        self.console.print(f"{description} ...")

        def update(done: float, new_total: float | None = None) -> None:
            nonlocal last
            if new_total:
                known[0] = new_total
            now = time.monotonic()
            if now - last < PLAIN_EVERY_S:
                return
            last = now
            of = f" of {known[0]:,.0f}" if known[0] else ""
            self.console.print(f"{description}: {done:,.0f}{of} {unit} ({now - started:.0f} s)")

        yield update
        self.console.print(f"{description}: done in {time.monotonic() - started:.1f} s")
