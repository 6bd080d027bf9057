"""The store contracts (``docs/formats.md``): column names, dtypes and Parquet metadata keys."""

from __future__ import annotations

import pyarrow as pa

TIME_COLUMNS: tuple[str, ...] = ("ts", "local_ts", "seq")
SIDES: tuple[str, ...] = ("bid_px", "bid_sz", "ask_px", "ask_sz")
META_PREFIX = "l2gpu."
META_KEYS: tuple[str, ...] = (
    "source",
    "exchange",
    "symbol",
    "depth",
    "tick_size",
    "input_sha256",
    "version",
)
TRADE_COLUMNS: dict[str, pa.DataType] = {
    "ts": pa.int64(),
    "local_ts": pa.int64(),
    "px": pa.float64(),
    "sz": pa.float64(),
    "side": pa.int8(),
    "trade_id": pa.int64(),
}


def level_column(side: str, level: int) -> str:
    """Return the store column for ``side`` (one of :data:`SIDES`) at ``level`` (0 is the best)."""
    return f"{side}_{level}"


def level_columns(depth: int) -> list[str]:
    """Return the level columns of a depth-``depth`` book, level by level, in store order."""
    return [level_column(side, k) for k in range(depth) for side in SIDES]


def book_schema(depth: int) -> pa.Schema:
    """Return the Arrow schema of a book store holding ``depth`` levels per side."""
    fields = [pa.field(name, pa.int64(), nullable=False) for name in TIME_COLUMNS]
    fields += [pa.field(name, pa.float64(), nullable=False) for name in level_columns(depth)]
    return pa.schema(fields)
