"""Level updates per second of ingest: parsing, reconstruction alone, end to end.

1. parsing: the compiled Binance depth-line parser over the decompressed BTCUSDT sample;
2. reconstruction alone: ``LevelBook.apply`` on a synthetic stream of 10**7 updates (one core);
3. end to end: ``ingest()`` of the bundled BTCUSDT file (gzip in, Parquet book and trades out),
   with the inflater it used (ISA-L with the ``fast-ingest`` extra, else zlib) and, with
   ``--stages``, where the time goes (cProfile, own time per stage);
4. ``--memory``: peak RSS of ingesting a synthetic 5 x 10**7-update Tardis file, in a subprocess.

Each part checks its output against a reference first. Run:
``.venv/bin/python -m benchmarks.bench_ingest [--updates N] [--stages] [--memory]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import pstats
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import machine, median_seconds
from benchmarks.streams import split_events, synthetic_updates, write_tardis_incremental
from l2gpu.data import read_book
from l2gpu.data.ingest import blocks, ingest
from l2gpu.data.ingest.binance import BATCH_UPDATES
from l2gpu.data.ingest.binance_fast import FastDepthLines
from l2gpu.data.ingest.parsers.binance_lines import KIND_DEPTH, index_lines
from l2gpu.data.ingest.reconstruct import EventBatch, LevelBook
from tests.reference import ReferenceBook
from tests.samples import BTCUSDT

DEPTH = 20


def check_reconstruction(batch: EventBatch, events: int = 3000) -> None:
    cut = int(batch.event_starts[events])
    head = EventBatch(
        batch.event_starts[: events + 1],
        batch.event_clear[:events],
        batch.side[:cut],
        batch.units[:cut],
        batch.size[:cut],
    )
    top = LevelBook(DEPTH).apply(head)
    ref = ReferenceBook()
    for e in range(events):
        if head.event_clear[e]:
            ref.clear()
        for u in range(head.event_starts[e], head.event_starts[e + 1]):
            ref.update(int(head.side[u]), int(head.units[u]), float(head.size[u]))
        want = ref.top(DEPTH, 1e8)
        got = (top.bid_px[:, e], top.bid_sz[:, e], top.ask_px[:, e], top.ask_sz[:, e])
        for mine, theirs in zip(got, want, strict=True):
            np.testing.assert_array_equal(mine, np.array(theirs))


def bench_parse() -> None:
    with gzip.open(BTCUSDT, "rb") as fh:
        buf = np.frombuffer(fh.read(), np.uint8)

    def parse() -> int:
        starts, ends, kinds = index_lines(buf)
        fast = FastDepthLines(buf, starts, ends, np.flatnonzero(kinds == KIND_DEPTH))
        return int(fast.update_start[-1])

    updates = parse()
    assert updates == 443_521, updates  # SOURCE.md: the diffs hold 443,521 level updates
    seconds = median_seconds(parse)
    print(
        f"parse (index lines + depth lines, {buf.size / 1e6:.1f} MB text): {seconds * 1e3:.1f} ms"
        f", {updates / seconds / 1e6:.1f} M level-updates/s, {buf.size / seconds / 1e9:.2f} GB/s"
    )


def bench_reconstruct(n_updates: int) -> None:
    batch = synthetic_updates(n_updates, seed=1)
    check_reconstruction(batch)
    pieces = split_events(batch, BATCH_UPDATES)
    print(
        f"reconstruct ({n_updates:,} updates, {batch.n_events:,} events, in batches of "
        f"{BATCH_UPDATES:,} updates as the readers flush them; top K emitted per event):"
    )
    for depth in (1, 10, DEPTH):

        def reconstruct(depth: int = depth) -> None:
            book = LevelBook(depth)
            for piece in pieces:
                book.apply(piece)

        seconds = median_seconds(reconstruct, repeat=5)
        print(f"  K={depth:>2}: {seconds:.3f} s, {n_updates / seconds / 1e6:.1f} M level-updates/s")


# Stage of the end-to-end run -> the profiled functions whose own time it is.
STAGES = {
    "inflate": ("<method 'decompress' of",),
    "index lines": ("index_lines",),
    "other-symbol check": ("other_symbol_lines",),
    "depth lines": ("parse_depth_lines",),
    "trade lines": ("parse_trade_lines",),
    "book kernel": ("apply_events",),
    "Parquet writing": ("write_table",),
}


def stage_seconds(run, repeat: int = 5) -> dict[str, float]:
    """Own time per stage and run under cProfile; 'everything else' is the rest of the run."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        run()
    profile.disable()
    own = {key[2]: row[2] for key, row in pstats.Stats(profile).stats.items()}  # type: ignore[attr-defined]
    times = {
        stage: sum(t for name, t in own.items() if name.startswith(prefixes)) / repeat
        for stage, prefixes in STAGES.items()
    }
    times["everything else"] = sum(own.values()) / repeat - sum(times.values())
    return times


def bench_end_to_end(stages: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out, trades = Path(tmp) / "b.parquet", Path(tmp) / "t.parquet"

        def run() -> int:
            return ingest(
                BTCUSDT, format="binance", out=out, depth=DEPTH, trades_out=trades
            ).updates_applied

        updates = run()
        assert updates == 443_262, updates
        assert read_book(out, engine="cpu").crossed_rows().size == 0
        seconds = median_seconds(run, repeat=9)
        split = stage_seconds(run) if stages else {}
    print(
        f"end to end (BTCUSDT sample, gzip -> Parquet book + trades, inflater "
        f"{blocks.INFLATE.__name__}): {seconds:.3f} s, {updates / seconds / 1e6:.2f} M "
        "level-updates/s"
    )
    for stage, spent in split.items():
        print(f"  {stage:<20} {spent * 1e3:6.1f} ms (cProfile, own time)")


MEMORY_CHILD = """
import resource, sys
from l2gpu.data.ingest import blocks, ingest
report = ingest(sys.argv[1], format="tardis", out=sys.argv[2], depth=20)
print(report.updates_applied, report.rows_out, report.seconds,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory(n_updates: int) -> None:
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        csv = write_tardis_incremental(Path(tmp) / "incremental_book_L2.csv", n_updates)
        size_gb = csv.stat().st_size / 1e9
        result = subprocess.run(
            [sys.executable, "-c", MEMORY_CHILD, str(csv), str(Path(tmp) / "b.parquet")],
            capture_output=True,
            text=True,
            check=True,
        )
    updates, rows, seconds, peak_kb = result.stdout.split()
    assert int(updates) == n_updates
    print(
        f"memory (Tardis incremental CSV, {n_updates:,} updates, {size_gb:.1f} GB, "
        f"{int(rows):,} book rows): peak RSS {int(peak_kb) / 2**20:.2f} GiB, "
        f"{float(seconds):.1f} s, {n_updates / float(seconds) / 1e6:.2f} M level-updates/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=10_000_000)
    parser.add_argument("--stages", action="store_true", help="time the end-to-end stages")
    parser.add_argument("--memory", action="store_true", help="also run the 5e7 memory check")
    parser.add_argument("--memory-updates", type=int, default=50_000_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    bench_parse()
    bench_reconstruct(args.updates)
    bench_end_to_end(args.stages)
    if args.memory:
        bench_memory(args.memory_updates)
    print(
        f"peak RSS of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB"
    )


if __name__ == "__main__":
    main()
