"""Synthetic diff streams for the ingest benchmark: level updates around a wandering mid."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from l2gpu.data.ingest.reconstruct import EventBatch

TICK_UNITS = 10_000_000  # 0.1 at 8 decimals
START_TICKS = 600_000  # 60,000.0


def synthetic_updates(n_updates: int, seed: int = 0, mean_event: int = 10) -> EventBatch:
    """Return a diff stream like a perpetual's, as one batch of events.

    90% of updates fall within a few ticks of the touch, the rest up to 2,000 ticks deep; 30% are
    deletes; events hold about ``mean_event`` updates; the first event clears the book. Bids sit
    below and asks above a fixed mid, so the book never crosses (what the ladder does per update
    does not depend on where the mid is).
    """
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 2 * mean_event, n_updates // mean_event + 1)
    starts = np.concatenate(([0], np.cumsum(counts)))
    starts = starts[starts < n_updates]
    starts = np.append(starts, n_updates).astype(np.int64)
    n_events = starts.size - 1
    side = rng.integers(0, 2, n_updates).astype(np.int8)
    near = rng.random(n_updates) < 0.9
    distance = np.where(near, rng.geometric(0.2, n_updates), rng.integers(1, 2000, n_updates))
    ticks = np.where(side == 0, START_TICKS - distance, START_TICKS + distance)
    size = np.where(
        rng.random(n_updates) < 0.3, 0.0, np.round(rng.lognormal(0.0, 1.0, n_updates) + 0.001, 3)
    )
    clear = np.zeros(n_events, bool)
    clear[0] = True
    return EventBatch(starts, clear, side, ticks * TICK_UNITS, size)


def split_events(batch: EventBatch, max_updates: int) -> list[EventBatch]:
    """Cut ``batch`` at event boundaries into pieces of about ``max_updates`` updates."""
    cuts = np.searchsorted(batch.event_starts, np.arange(0, batch.n_updates, max_updates))
    cuts = np.unique(np.append(cuts, batch.n_events))
    pieces = []
    for lo, hi in itertools.pairwise(cuts):
        u0, u1 = batch.event_starts[lo], batch.event_starts[hi]
        pieces.append(
            EventBatch(
                batch.event_starts[lo : hi + 1] - u0,
                batch.event_clear[lo:hi],
                batch.side[u0:u1],
                batch.units[u0:u1],
                batch.size[u0:u1],
            )
        )
    return pieces


def write_tardis_incremental(
    path: Path, n_updates: int, seed: int = 0, chunk: int = 2_000_000
) -> Path:
    """Write a Tardis ``incremental_book_L2`` CSV of ``n_updates`` rows, chunk by chunk."""
    writer = None
    done = 0
    event_offset = 0
    for part, lo in enumerate(range(0, n_updates, chunk)):
        n = min(chunk, n_updates - lo)
        batch = synthetic_updates(n, seed + part)
        event = np.repeat(np.arange(batch.n_events), np.diff(batch.event_starts)) + event_offset
        event_offset = int(event[-1]) + 1
        local_us = 1_640_995_200_000_000 + event * 1000
        table = pa.table(
            {
                "exchange": pa.array(np.full(n, "binance-futures")),
                "symbol": pa.array(np.full(n, "BTCUSDT")),
                "timestamp": local_us - 100,
                "local_timestamp": local_us,
                "is_snapshot": pa.array(np.zeros(n, bool)),
                "side": pa.array(np.where(batch.side == 0, "bid", "ask")),
                "price": pc.cast(pa.array(batch.units / 1e8), pa.string()),
                "amount": pc.cast(pa.array(batch.size), pa.string()),
            }
        )
        if writer is None:
            options = pacsv.WriteOptions(quoting_style="none")
            writer = pacsv.CSVWriter(path, table.schema, write_options=options)
        writer.write_table(table)
        done += n
    if writer is not None:
        writer.close()
    return path
