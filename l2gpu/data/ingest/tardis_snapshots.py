"""Tardis ``book_snapshot_N`` files: states as given, ``K = N`` levels by default.

An empty level (both of its cells blank) becomes price NaN, size 0; the checks and policies are
those of :mod:`l2gpu.data.ingest.tardis`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from l2gpu.data.ingest.csv_rows import CsvRows
from l2gpu.data.ingest.decimal_columns import (
    parse_prices,
    parse_size_strings,
    units_to_price,
)
from l2gpu.data.ingest.formats import IngestRequest
from l2gpu.data.ingest.tardis_rows import (
    COMMON_COLUMNS,
    NOT_A_DECIMAL,
    Rows,
    blank,
    times_ns,
)

LEVEL_COLUMN = re.compile(r"^(asks|bids)\[(\d+)\]\.(price|amount)$")


def snapshot_levels(header: list[str]) -> int:
    """Levels of a ``book_snapshot_N`` header: one more than the deepest level it names."""
    found = [int(m[2]) for m in map(LEVEL_COLUMN.match, header) if m is not None]
    return max(found) + 1 if found else 0


def snapshot_columns(levels: int) -> list[str]:
    """Return the level columns of a ``book_snapshot_<levels>`` file, in header order."""
    return [
        f"{side}[{k}].{field}"
        for k in range(levels)
        for side in ("asks", "bids")
        for field in ("price", "amount")
    ]


def read_snapshots(request: IngestRequest, rows: Rows, path: Path, levels: int) -> None:
    """Read a ``book_snapshot_<levels>`` file into the request's sink, one book row per line."""
    sink, report, depth = request.sink, request.report, request.sink.depth
    csv_rows = CsvRows(
        path,
        (*COMMON_COLUMNS, *snapshot_columns(levels)),
        True,
        request.policies.on_bad_line == "skip",
        report,
    )
    read = 0
    for batch, lines in csv_rows.batches(request.progress):
        table = pa.Table.from_batches([batch])
        n = table.num_rows
        out = {
            name: np.full((depth, n), np.nan if name.endswith("px") else 0.0)
            for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")
        }
        times, problems = times_ns(table)
        for k in range(min(levels, depth)):
            for side, name in (("bids", "bid"), ("asks", "ask")):
                px_text = table.column(f"{side}[{k}].price")
                sz_text = table.column(f"{side}[{k}].amount")
                px_blank, sz_blank = blank(px_text), blank(sz_text)
                units, px_status = parse_prices(px_text)
                size, sz_status = parse_size_strings(sz_text)
                problems += [
                    (
                        (px_status != 0) & ~px_blank,
                        f"{side}[{k}].price",
                        NOT_A_DECIMAL,
                        "cell_value",
                    ),
                    (
                        (sz_status != 0) & ~sz_blank,
                        f"{side}[{k}].amount",
                        NOT_A_DECIMAL,
                        "cell_value",
                    ),
                    (
                        px_blank != sz_blank,
                        f"{side}[{k}].amount",
                        f"does not go with {side}[{k}].price: an empty level has both cells "
                        "blank, a level there neither",
                        "missing_level",
                    ),
                ]
                out[f"{name}_px"][k] = np.where(px_blank, np.nan, units_to_price(units))
                out[f"{name}_sz"][k] = np.where(px_blank, 0.0, size)
        keep = rows.keep(table, lines, problems)
        seq = np.arange(read, read + n, dtype=np.int64)[keep]
        sink.write_rows(
            times["timestamp"][keep],
            times["local_timestamp"][keep],
            seq,
            out["bid_px"][:, keep],
            out["bid_sz"][:, keep],
            out["ask_px"][:, keep],
            out["ask_sz"][:, keep],
            lines=lines[keep],
        )
        read += n
        report.lines_in += n
        report.updates_applied += int(keep.sum()) * 4 * min(levels, depth)
