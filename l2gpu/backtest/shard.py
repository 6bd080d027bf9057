"""One sweep in shards of configs, merged exactly (``docs/distributed.md``).

Every strategy family's sweep takes ``workers=N`` (CPU processes) or ``devices=[...]`` (GPU ids)
and hands its configs, as given and normalised, to :func:`l2gpu.backtest.shard_run.sharded`; the
cluster runner (:mod:`l2gpu.backtest.cluster`) does the same on a Dask cluster. Here:

- the configs are cut into contiguous shards, as even as possible (:func:`plan`: the first
  ``n % k`` shards one config longer; never an empty shard, so more workers than configs run
  one config each);
- each shard is the family's own sweep of its configs (:func:`run_shard`), with the same
  options, on inputs its :class:`Source` loads where it runs; the recorded configs it holds are
  asked for by their index in the shard;
- the shards are merged (:func:`merge`): the table is the parent's parameter columns beside the
  shards' metrics in order, the recorded trades are keyed by the global index again, and the
  bucket-pnl matrices are joined along configs. Every config is computed alone by the kernels,
  so the merged result equals the single-process sweep exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from l2gpu.backend.arrays import array_device, array_namespace, to_device
from l2gpu.backtest.result import SweepResult
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades

Loaded = tuple[Book, Mapping[str, Any] | None, Trades | None]


class Source(Protocol):
    """Where a shard's inputs come from: picklable, loaded where the shard runs."""

    def load(self) -> Loaded:
        """Return the book, the signals by name and the trades (or ``None``)."""


@dataclass(frozen=True, eq=False)
class InMemory:
    """Inputs already loaded, shipped with each shard."""

    book: Book
    signals: Mapping[str, Any] | None
    trades: Trades | None

    def load(self) -> Loaded:
        """Return the inputs as they are."""
        return self.book, self.signals, self.trades


@dataclass(frozen=True)
class Shard:
    """One shard of a sweep: what :func:`run_shard` needs, picklable.

    Attributes
    ----------
    family : str
        The strategy family's name in :data:`l2gpu.backtest.family.STRATEGIES`.
    source : Source
        Its inputs.
    params : pandas.DataFrame
        Its configs, as given (its sweep normalises them; the parent keeps the normalised
        parameter columns of the whole table).
    record : tuple of int
        Its configs to record trades of, by index in the shard.
    options : dict
        The family sweep's options: ``engine``, ``chunk_rows``, ``sharpe_bucket``,
        ``bucket_returns`` and the family's own.
    """

    family: str
    source: Source
    params: pd.DataFrame
    record: tuple[int, ...]
    options: Mapping[str, Any]


def plan(n_configs: int, n_shards: int) -> list[range]:
    """Contiguous shards of ``n_configs`` configs over at most ``n_shards``, as even as possible."""
    if n_configs < 1 or n_shards < 1:
        raise ValueError(f"cannot shard {n_configs} configs over {n_shards} shards")
    count = min(n_shards, n_configs)
    base, extra = divmod(n_configs, count)
    starts = [k * base + min(k, extra) for k in range(count + 1)]
    return [range(starts[k], starts[k + 1]) for k in range(count)]


def shards_of(
    family: str,
    source: Source,
    configs: pd.DataFrame,
    record: Sequence[int],
    options: Mapping[str, Any],
    n_shards: int,
) -> tuple[list[range], list[Shard]]:
    """Cut ``configs`` (as given) into shards, each with its recorded configs re-based to it."""
    ranges = plan(len(configs), n_shards)
    shards = [
        Shard(
            family,
            source,
            configs.iloc[r.start : r.stop].reset_index(drop=True),
            tuple(i - r.start for i in record if i in r),
            dict(options),
        )
        for r in ranges
    ]
    return ranges, shards


def run_shard(shard: Shard) -> SweepResult:
    """Run one shard with its family's sweep, where it is (a process, a thread, a cluster)."""
    from l2gpu.backtest.family import STRATEGIES

    book, signals, trades = shard.source.load()
    family = STRATEGIES[shard.family]
    return family.run(
        book, signals, shard.params, trades=trades, record=shard.record, **shard.options
    )


def merge(
    table: pd.DataFrame,
    ranges: Sequence[range],
    parts: Sequence[SweepResult],
    rows: int,
    seconds: float,
) -> SweepResult:
    """Join the shards' results into the result of one sweep over ``table`` (see the module doc).

    ``steps_per_second`` is configs x ``rows`` over the wall ``seconds`` of the whole sharded
    run, start-up and transfers included.
    """
    metrics = pd.concat(
        [part.table.drop(columns=list(table.columns)) for part in parts], ignore_index=True
    )
    metrics.index = table.index
    recorded = {
        r.start + local: trades
        for r, part in zip(ranges, parts, strict=True)
        for local, trades in part.recorded.items()
    }
    pnl = [part.bucket_pnl for part in parts]
    return SweepResult(
        pd.concat([table, metrics], axis=1),
        dict(sorted(recorded.items())),
        len(table) * rows / seconds if seconds else float("nan"),
        None if pnl[0] is None else join_columns(pnl),
    )


def check_sharding(workers: int | None, devices: Sequence[int] | None) -> None:
    """Raise ``ValueError`` for a ``workers=`` or ``devices=`` that cannot shard a sweep."""
    if workers is not None and devices is not None:
        raise ValueError("give workers= (CPU processes) or devices= (GPU ids), not both")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    if devices is not None:
        ids = list(devices)
        bad = any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in ids)
        if not ids or bad or len(set(ids)) != len(ids):
            raise ValueError(
                f"devices must be distinct GPU ids (whole numbers >= 0), got {devices!r}"
            )


def host_signals(signals: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the signals on the host (moved explicitly), for processes and other machines."""
    if signals is None:
        return None
    return {
        name: to_device(values, "cpu", "a signal for the shards")
        for name, values in signals.items()
    }


def join_columns(parts: Sequence[Any]) -> Any:
    """Join ``[buckets, configs]`` matrices along configs, on the first one's device and layout.

    A part on another GPU than the current one comes through the host (explicitly). Parts that
    are transposed views of ``[configs, buckets]`` matrices (configs the slow axis, as the
    threshold kernel writes them) give one again; the first part with more than one config
    tells (a one-config part has both layouts once pickled).
    """
    device = array_device(parts[0])
    placed = [_to_current(part, device) for part in parts]
    xp = array_namespace(placed[0])
    wide = [part for part in placed if part.shape[1] > 1] or placed
    if wide[0].strides[1] >= wide[0].strides[0]:
        return xp.concatenate([part.T for part in placed], axis=0).T
    return xp.concatenate(placed, axis=1)


def device_id(arr: Any) -> int | None:
    """Return the CUDA device a CuPy array lives on (``None`` for host and simulated arrays)."""
    device = getattr(arr, "device", None)
    return getattr(device, "id", None)


def _to_current(arr: Any, device: str) -> Any:
    if device == "cpu":
        return to_device(arr, "cpu", "a shard's bucket pnl")
    home = device_id(arr)
    if home is None:  # the simulated device: one device
        return arr
    import cupy

    if home == cupy.cuda.runtime.getDevice():
        return arr
    host = to_device(arr, "cpu", "a shard's bucket pnl, from another GPU")
    return to_device(host, "gpu", "a shard's bucket pnl, onto the current GPU")
