"""What every corrupted input must end in: a clear error, a counted repair, or the clean store.

Ingest of a corrupted copy of a real sample may

- raise :class:`IngestError` naming one of the inputs, a place in it (a line, or the whole input)
  and the check that failed;
- succeed with something counted in the report (a repair, a tolerated problem, a later snapshot),
  writing stores that ``read_book`` and ``read_trades`` accept;
- succeed with stores bit-identical to the clean ones (the corruption hit nothing that is read,
  such as a ``bookTicker`` line, or a diff that is dropped before sync anyway).

Anything else (a traceback of another kind, or different numbers with nothing counted) fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from l2gpu.data import BookStoreError, read_book, read_trades
from l2gpu.data.ingest import IngestError, ingest

LENIENT: dict[str, Any] = {
    "on_gap": "resync",
    "on_crossed": "keep",
    "on_bad_line": "skip",
    "on_time_backwards": "clamp",
    "on_trade_backwards": "drop",
    "on_duplicate_trade": "drop",
    "on_other_symbol": "skip",
    "on_inconsistent": "keep",
}
"""Every policy that repairs, for the second run of each corrupted input."""

BAD_NUMBERS = ["", "NaN", "nan", "-1", "-0.5", "abc", "1e5", "1.2.3", " ", "inf", "0x10"]
WHERE = re.compile(r", (line \d+|after line \d+|whole input|file name|CSV)")
CHECK = re.compile(r"\(check '[a-z_]+'\)$")


def stores(out: Path, trades_out: Path | None) -> dict[str, Any]:
    """Every array of the stores written, read back with their checks."""
    arrays: dict[str, Any] = {}
    if out.exists():
        arrays.update(read_book(out, engine="cpu").arrays())
    if trades_out is not None and trades_out.exists():
        trades = read_trades(trades_out)
        arrays.update({f"trade_{n}": getattr(trades, n) for n in ("ts", "px", "sz", "side")})
        arrays["trade_id"] = trades.trade_id
    return arrays


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two sets of store arrays are equal bit for bit (NaN equal to NaN)."""
    if set(a) != set(b):
        return False
    return all(
        x.shape == y.shape
        and x.dtype == y.dtype
        and (
            np.array_equal(x, y)
            if x.dtype.kind in "iuO"
            else np.array_equal(x.view(np.int64), y.view(np.int64))
        )
        for x, y in ((a[k], b[k]) for k in a)
    )


def outcome(
    paths: list[Path],
    fmt: str,
    tmp: Path,
    clean: dict[str, Any],
    depth: int | None = None,
    trades: bool = True,
    **policies: Any,
) -> str:
    """Ingest corrupted ``paths``; return ``"error"``, ``"repaired"`` or ``"same"``, or fail."""
    out, trades_out = tmp / "b.parquet", (tmp / "t.parquet") if trades else None
    for stale in (out, trades_out):
        if stale is not None:
            stale.unlink(missing_ok=True)
    try:
        report = ingest(paths, format=fmt, out=out, depth=depth, trades_out=trades_out, **policies)
    except IngestError as exc:
        text = str(exc)
        assert exc.path in paths, f"the error names {exc.path}, not an input: {text}"
        assert text.startswith(f"{exc.path}, ") and WHERE.search(text), f"no place: {text}"
        assert CHECK.search(text), f"no check named: {text}"
        assert not out.exists(), "a failed ingest leaves no store behind"
        return "error"
    got = stores(out, trades_out)
    counted = sum(report.repairs().values()) + report.later_snapshots
    if counted:
        return "repaired"
    assert same(got, clean), f"accepted with nothing counted, and the stores differ: {report}"
    return "same"


def both_ways(
    paths: list[Path], fmt: str, tmp: Path, clean: dict[str, Any], **kwargs: Any
) -> tuple[str, str]:
    """The outcome under the default policies and under every repairing policy."""
    strict = outcome(paths, fmt, tmp, clean, **kwargs)
    lenient = outcome(paths, fmt, tmp, clean, **kwargs, **LENIENT)
    if strict == "same":
        assert lenient == "same", "a change the default policies do not see must not be repaired"
    return strict, lenient


def store_error(read: Any, path: Path) -> None:
    """Reading a corrupted store ends in a BookStoreError naming the file and the check."""
    with pytest.raises(BookStoreError) as caught:
        read(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and CHECK.search(text), text


def rewrite(path: Path, table: Any) -> Path:
    """Write ``table`` over ``path`` as Parquet, keeping its metadata."""
    pq.write_table(table, path)
    return path
