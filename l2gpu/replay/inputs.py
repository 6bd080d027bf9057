"""The replay's inputs: the run's book store found in the cache (or rebuilt), its signals.

The run's ``fingerprints.json`` holds its book store's fingerprint, the key its cache keeps the
store under (``<cache_dir>/<data.name>-<fingerprint[:16]>/``, :mod:`l2gpu.data.cache`): the
store found there is the run's, whatever happened to the recording since. When it is not there
(the cache was cleared, or the job ran elsewhere), the job's data stage rebuilds it
(:func:`l2gpu.pipeline.data.load_data`) from the run's data config, provided the recording is
still where the run read it with the same content (each file's SHA-256 against the run's).
``debug.max_rows`` keeps the same first rows. The run's signals are computed again on the CPU,
all of them, the way the job computes them (:func:`l2gpu.replay.signals.run_signals`: its
features, and its model's score when it has a model), so the config's signal is the one it was
backtested on. See ``docs/replay.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.data.cache import CachedStores, file_sha256
from l2gpu.data.samples import resolve_input
from l2gpu.data.store import read_book
from l2gpu.data.trades import Trades, read_trades
from l2gpu.pipeline.data import BookInputs, load_data
from l2gpu.pipeline.progress import Progress
from l2gpu.replay.run import RecordedRun, ReplayError
from l2gpu.replay.signals import run_signals


@dataclass(frozen=True)
class ReplayInputs:
    """What a replay of a run steps over.

    Attributes
    ----------
    book : Book
        The run's book (host arrays), its first ``debug.max_rows`` rows if the run kept those.
    trades : Trades
        The recording's trades.
    signals : dict of str to numpy.ndarray
        The run's signals (its features, its model's score), one ``[T]`` float64 array each.
    stores : CachedStores
        Where the book and trades stores are, and whether they were rebuilt now.
    """

    book: Book
    trades: Trades
    signals: dict[str, np.ndarray]
    stores: CachedStores

    @property
    def book_inputs(self) -> BookInputs:
        """The book, trades and stores as the job's stages take them (on the CPU)."""
        return BookInputs(self.book, self.trades, self.stores, "cpu", "CPU")

    def first_rows(self, rows: int) -> tuple[Book, dict[str, np.ndarray]]:
        """Return the book and signals of the first ``rows`` rows."""
        return self.book[:rows], {name: values[:rows] for name, values in self.signals.items()}


def store_folder(run: RecordedRun, cwd: Path) -> Path:
    """Return the folder the run's book and trades stores are cached in (by fingerprint)."""
    root = Path(run.paths.root).expanduser()
    root = (root if root.is_absolute() else cwd / root).resolve()
    return root / run.paths.cache_dir / f"{run.data.name}-{run.fingerprint[:16]}"


def check_recording(run: RecordedRun, cwd: Path, folder: Path) -> None:
    """Refuse a recording that moved or changed since the run (one line naming the file)."""
    for text in run.data.paths:
        try:
            path = resolve_input(text, cwd)
        except FileNotFoundError as exc:
            raise ReplayError(str(exc)) from None
        if not path.is_file():
            raise ReplayError(
                f"the book store of run {run.run_id} is not in {folder} (moved or deleted) and "
                f"its recording {path} is not there to rebuild it (data.paths {text!r}): run "
                "the replay in the folder the job ran in, or put either back"
            )
        expected = run.inputs.get(str(path))
        if expected is not None and file_sha256(path) != expected:
            raise ReplayError(
                f"the book store of run {run.run_id} is not in {folder} and its recording "
                f"{path} changed since the run (its SHA-256 is not the run's "
                f"{expected[:16]}...): a store rebuilt from it would not be the run's data"
            )


def load_inputs(run: RecordedRun, cwd: Path, progress: Progress) -> ReplayInputs:
    """Find (or rebuild) the run's book store, read it, and compute the run's signals.

    The store is looked for where the run's cache keeps it, under its fingerprint; when it is
    not there, it is rebuilt from the recording, which must be the run's (see the module doc).

    Parameters
    ----------
    run : RecordedRun
        The run read back.
    cwd : Path
        Folder the run's relative paths start from (the job's, normally).
    progress : Progress
        Shows the ingest when the store is rebuilt, the features and the model's training.
    """
    folder = store_folder(run, cwd)
    book_path, trades_path = folder / "book.parquet", folder / "trades.parquet"
    if book_path.is_file() and trades_path.is_file():
        stores = CachedStores(book_path, trades_path, run.fingerprint, run.inputs, False, None)
        book, trades = read_book(book_path, engine="cpu"), read_trades(trades_path)
        if run.max_rows:
            book = book[: run.max_rows]
    else:
        check_recording(run, cwd, folder)
        data = load_data(run.data, folder.parent, cwd, "cpu", progress, run.max_rows)
        book, trades, stores = data.book, data.trades, data.stores
    signals = run_signals(run.app, BookInputs(book, trades, stores, "cpu", "CPU"), progress)
    return ReplayInputs(book, trades, signals, stores)


def bound_rows(ts: np.ndarray, rows: int | None, until: str | None) -> int:
    """Rows a replay covers: the first ``rows``, or those at or before ``until``, or all.

    Parameters
    ----------
    ts : numpy.ndarray
        The book's exchange times, ns.
    rows : int, optional
        At most this many rows (at least 1).
    until : str, optional
        A duration from the first row (``"90s"``) or a UTC time (``"2024-08-08T23:59:30"``);
        rows with ``ts <= `` it.
    """
    total = int(ts.shape[0])
    stop = total
    if rows is not None:
        if rows < 1:
            raise ReplayError(f"--rows {rows}: replay at least 1 row")
        stop = min(stop, rows)
    if until is not None:
        end = until_ns(until, int(ts[0]))
        stop = min(stop, int(np.searchsorted(ts, end, side="right")))
        if stop == 0:
            raise ReplayError(f"--until {until}: the recording starts after it")
    return stop


def until_ns(text: str, start_ns: int) -> int:
    """``--until`` as ns since the Unix epoch: a duration from ``start_ns`` or a UTC time."""
    try:
        span = Window.parse(text, allow_zero=True)
    except ValueError:
        span = None
    if span is not None and span.ns is not None:
        return start_ns + span.ns
    if span is not None:
        raise ReplayError(
            f"--until {text}: give a duration with its unit ('{text}s') or a UTC time; "
            "--rows counts rows"
        )
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise ReplayError(
            f"--until {text!r} is neither a duration from the start ('90s') nor a UTC time "
            "('2024-08-08T23:59:30')"
        ) from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value)
