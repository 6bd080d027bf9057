"""The replay's inputs: the run's book rebuilt (or found in the cache), its signals recomputed.

The data stage of the job does it (:func:`l2gpu.pipeline.data.load_data`): the run's data config
names the recording and its ingest settings, whose fingerprint finds the cached book store
(or rebuilds it when the cache is gone), and ``debug.max_rows`` keeps the same first rows. The
recording must still be where the run read it, with the same content: each input file's SHA-256
is checked against the run's ``fingerprints.json`` first. The run's features are computed again
on the CPU, all of them, the way the job computes them (:func:`l2gpu.features.compute`), so the
config's signal is the one it was backtested on. See ``docs/replay.md``.
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
from l2gpu.data.trades import Trades
from l2gpu.features import compute
from l2gpu.pipeline.data import load_data
from l2gpu.pipeline.progress import Progress
from l2gpu.replay.run import RecordedRun, ReplayError


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
        The run's features, one ``[T]`` float64 array each.
    stores : CachedStores
        Where the book and trades stores are, and whether they were rebuilt now.
    """

    book: Book
    trades: Trades
    signals: dict[str, np.ndarray]
    stores: CachedStores

    def first_rows(self, rows: int) -> tuple[Book, dict[str, np.ndarray]]:
        """Return the book and signals of the first ``rows`` rows."""
        return self.book[:rows], {name: values[:rows] for name, values in self.signals.items()}


def check_recording(run: RecordedRun, cwd: Path) -> None:
    """Refuse a recording that moved or changed since the run (one line naming the file)."""
    for text in run.data.paths:
        try:
            path = resolve_input(text, cwd)
        except FileNotFoundError as exc:
            raise ReplayError(str(exc)) from None
        if not path.is_file():
            raise ReplayError(
                f"the recording {path} of run {run.run_id} is not there (data.paths {text!r}); "
                "run the replay in the folder the job ran in, or put the file back"
            )
        expected = run.inputs.get(str(path))
        if expected is not None and file_sha256(path) != expected:
            raise ReplayError(
                f"the recording {path} changed since run {run.run_id} (its SHA-256 is not the "
                f"run's {expected[:16]}...): the replay would not be of the run's data"
            )


def load_inputs(run: RecordedRun, cwd: Path, progress: Progress) -> ReplayInputs:
    """Rebuild or find the run's book store, read it, and compute the run's features.

    Parameters
    ----------
    run : RecordedRun
        The run read back.
    cwd : Path
        Folder the run's relative paths start from (the job's, normally).
    progress : Progress
        Shows the ingest when the store is rebuilt.
    """
    check_recording(run, cwd)
    root = Path(run.paths.root).expanduser()
    root = (root if root.is_absolute() else cwd / root).resolve()
    data = load_data(run.data, root / run.paths.cache_dir, cwd, "cpu", progress, run.max_rows)
    with progress.step(f"features {', '.join(run.features)} over {len(data.book):,} rows"):
        features = compute(data.book, run.features, engine="cpu", trades=data.trades)
    signals = {name: np.asarray(values, dtype=np.float64) for name, values in features.items()}
    return ReplayInputs(data.book, data.trades, signals, data.stores)


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
