"""The trades store (``docs/formats.md``): one row per trade, in exchange-time order.

Columns: ``ts``, ``local_ts`` (int64 ns), ``px``, ``sz`` (float64, quote currency and base units),
``side`` (int8: +1 the buyer was the aggressor, -1 the seller was) and ``trade_id`` (int64, or
string where the source's ids are not numbers). :func:`read_trades` checks the schema
(``store_schema``) and the trades invariants of :mod:`l2gpu.data.validation`
(``trade_time_order``, ``trade_id_unique``, ``trade_price_positive``, ``trade_size_positive``,
``trade_side``); see ``docs/validation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from l2gpu.data.schema import TRADE_COLUMNS
from l2gpu.data.store import WRITE_OPTIONS, BookStoreError, BookStoreNotFoundError
from l2gpu.data.validation import trades_violations

NUMERIC_COLUMNS = ("ts", "local_ts", "px", "sz", "side")


@dataclass(frozen=True, eq=False)
class Trades:
    """Trades as host arrays, each of shape [N].

    Attributes
    ----------
    ts, local_ts : int64
        Exchange and receive time, ns since the Unix epoch.
    px : float64
        Trade price, quote currency.
    sz : float64
        Trade size, base units.
    side : int8
        +1 buyer-initiated, -1 seller-initiated.
    trade_id : int64 or object (str)
        The source's trade id.
    """

    ts: np.ndarray
    local_ts: np.ndarray
    px: np.ndarray
    sz: np.ndarray
    side: np.ndarray
    trade_id: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def rows(self, first: int, stop: int) -> Trades:
        """Return trades ``first .. stop - 1`` (views)."""
        return Trades(**{f.name: getattr(self, f.name)[first:stop] for f in fields(self)})

    def table(self) -> pa.Table:
        """Return the trades as an Arrow table in store column order."""
        ids = self.trade_id
        id_array = pa.array(ids, pa.int64() if ids.dtype.kind in "iu" else pa.string())
        return pa.table(
            {
                "ts": self.ts,
                "local_ts": self.local_ts,
                "px": self.px,
                "sz": self.sz,
                "side": pa.array(self.side, pa.int8()),
                "trade_id": id_array,
            }
        )


class TradesWriter:
    """Append :class:`Trades` chunks to a Parquet trades store; the id type follows the first."""

    def __init__(self, path: str | Path, metadata: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.rows = 0
        self._metadata = {k.encode(): v.encode() for k, v in (metadata or {}).items()}
        self._writer: pq.ParquetWriter | None = None

    def write(self, trades: Trades) -> None:
        """Append ``trades``."""
        if len(trades) == 0:
            return
        table = trades.table()
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            schema = table.schema.with_metadata(self._metadata)
            self._writer = pq.ParquetWriter(self.path, schema, **WRITE_OPTIONS)
        self._writer.write_table(table.replace_schema_metadata(self._metadata))
        self.rows += len(trades)

    def close(self) -> None:
        """Finish the file (an empty store is still written, with the int64 id type)."""
        if self._writer is None:
            empty = Trades(
                *(np.zeros(0, t) for t in (np.int64, np.int64, float, float, np.int8, np.int64))
            )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(empty.table().replace_schema_metadata(self._metadata), self.path)
            return
        self._writer.close()

    def __enter__(self) -> TradesWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _check_columns(path: Path, table: pa.Table) -> None:
    missing = [c for c in TRADE_COLUMNS if c not in table.column_names]
    if missing:
        raise BookStoreError(path, f"missing trades column(s) {missing}", check="store_schema")
    for name, dtype in TRADE_COLUMNS.items():
        column = table.column(name)
        allowed = (dtype, pa.string(), pa.large_string()) if name == "trade_id" else (dtype,)
        if column.type not in allowed:
            expected = " or ".join(str(t) for t in allowed[:2])
            raise BookStoreError(
                path,
                f"column {name!r} has type {column.type}, expected {expected}",
                check="store_schema",
            )
        if column.null_count:
            first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise BookStoreError(
                path,
                f"column {name!r} has {column.null_count} null values",
                row=first,
                check="store_schema",
            )


def validate_trades(path: str | Path, trades: Trades) -> None:
    """Raise :class:`BookStoreError` for the first trades invariant ``trades`` breaks."""
    violations = trades_violations(trades)
    if not violations:
        return
    first, others = violations[0], violations[1:]
    also = f"; also failing: {', '.join(v.check for v in others)}" if others else ""
    raise BookStoreError(
        path,
        f"{first.detail} ({first.count:,} trades fail this check{also})",
        row=first.row,
        check=first.check,
    )


def read_trades(path: str | Path) -> Trades:
    """Read a trades store written by :class:`TradesWriter` and validate it.

    Raises
    ------
    BookStoreError
        Naming the file, the row, the check and the offending values: missing path, unreadable
        file, a missing column, a wrong type or a null (``store_schema``), or a broken trades
        invariant (see ``docs/validation.md``).
    """
    path = Path(path)
    if not path.exists():
        raise BookStoreNotFoundError(path, "no such file or directory")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise BookStoreError(
            path, f"not a readable Parquet file ({exc})", check="readable_store"
        ) from None
    _check_columns(path, table)
    columns: dict[str, Any] = {c: table.column(c).to_numpy() for c in NUMERIC_COLUMNS}
    ids = table.column("trade_id")
    columns["trade_id"] = ids.to_numpy(zero_copy_only=False)
    trades = Trades(**columns)
    validate_trades(path, trades)
    return trades
