"""Binance recorder lines read through JSON: the records and their exactly parsed levels.

This is the general path; :mod:`l2gpu.data.ingest.parsers.binance_lines` reads canonical depth
lines faster and falls back to :func:`parse_line` for anything else, which either reads the line
or says what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from l2gpu.data.ingest.decimal_columns import parse_prices, parse_size_strings, status_message

MS = 1_000_000
MAX_EVENT_MS = (2**63 - 1) // MS
"""The largest event time (ms) whose nanoseconds fit int64; a larger one is a bad line."""
"""ns per ms: Binance stamps exchange times in ms."""


class BadLineError(ValueError):
    """A line that cannot be read; the caller names the file and line."""


class OtherSymbolError(ValueError):
    """A line of another instrument than the file's; the caller names the file and line."""


@dataclass
class DepthRecord:
    """A snapshot (``is_snapshot``) or a diff, its levels already parsed.

    ``problem`` says what is wrong with a level (then the record is a bad line).
    """

    line: int
    local_ns: int
    ts_ns: int
    is_snapshot: bool
    first_id: int
    last_id: int
    prev_id: int
    side: np.ndarray
    units: np.ndarray
    size: np.ndarray
    problem: str = ""

    @property
    def n_updates(self) -> int:
        """Levels the record carries."""
        return int(self.units.shape[0])


@dataclass
class TickerRecord:
    """A bookTicker line (kept only when a best-bid/ask store is asked for)."""

    line: int
    local_ns: int
    ts_ns: int
    update_id: int
    values: tuple[str, str, str, str]


@dataclass
class TradeRecord:
    """A trade line."""

    line: int
    local_ns: int
    ts_ns: int
    trade_id: int
    price: str
    qty: str
    buyer_is_maker: bool


def _require_int(data: dict[str, Any], key: str) -> int:
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadLineError(f"field {key!r} is {value!r}, not an integer")
    return value


def _require_ms(data: dict[str, Any], key: str) -> int:
    """Return the integer field ``key`` (ms) in ns; a bad line where that passes int64."""
    value = _require_int(data, key)
    if abs(value) > MAX_EVENT_MS:
        raise BadLineError(f"field {key!r} is {value} ms, past the int64 range of ns timestamps")
    return value * MS


def symbols_of(msg: dict[str, Any]) -> tuple[str, str]:
    """Return the stream symbol (lower case, before ``@``) and the ``"s"`` field of a message.

    Either is ``""`` where the message has none (the REST snapshot has neither).
    """
    stream = msg.get("stream")
    data = msg.get("data")
    stream_symbol = stream.split("@", 1)[0] if isinstance(stream, str) else ""
    data_symbol = data.get("s") if isinstance(data, dict) else None
    return stream_symbol, data_symbol if isinstance(data_symbol, str) else ""


def parse_line(
    line_no: int, line: bytes, keep_tickers: bool, symbols: tuple[str, str] | None = None
) -> DepthRecord | TradeRecord | TickerRecord | None:
    """Parse one recorder line; raise :class:`BadLineError` saying what is wrong.

    With ``symbols`` (stream symbol, ``"s"`` field; see :func:`symbols_of`), a line naming
    another instrument raises :class:`OtherSymbolError`.
    """
    space = line.find(b" ")
    if space <= 0:
        raise BadLineError("expected '<local_ns> <json>'")
    try:
        local_ns = int(line[:space])
        msg = orjson.loads(line[space + 1 :])
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
        raise BadLineError(f"unreadable ({exc})") from None
    if not isinstance(msg, dict):
        raise BadLineError("the JSON is not an object")
    if symbols is not None:
        found = symbols_of(msg)
        for have, want, what in zip(found, symbols, ("stream", "symbol"), strict=True):
            if have and have != want:
                raise OtherSymbolError(f"{what} {have!r}, but the file's is {want!r}")
    try:
        if "lastUpdateId" in msg:
            return DepthRecord(
                line_no,
                local_ns,
                _require_ms(msg, "T"),
                True,
                0,
                _require_int(msg, "lastUpdateId"),
                0,
                *parse_levels(msg["bids"], msg["asks"]),
            )
        data = msg["data"]
        kind = data["e"]
        if kind == "depthUpdate":
            return DepthRecord(
                line_no,
                local_ns,
                _require_ms(data, "T"),
                False,
                _require_int(data, "U"),
                _require_int(data, "u"),
                _require_int(data, "pu"),
                *parse_levels(data["b"], data["a"]),
            )
        if kind == "trade":
            return TradeRecord(
                line_no,
                local_ns,
                _require_ms(data, "T"),
                _require_int(data, "t"),
                data["p"],
                data["q"],
                bool(data["m"]),
            )
        if kind == "bookTicker":
            if not keep_tickers:
                return None
            return TickerRecord(
                line_no,
                local_ns,
                _require_ms(data, "T"),
                _require_int(data, "u"),
                (data["b"], data["B"], data["a"], data["A"]),
            )
    except KeyError as exc:
        raise BadLineError(f"missing field {exc}") from None
    except TypeError as exc:
        raise BadLineError(f"malformed record ({exc})") from None
    raise BadLineError(f"unknown record type {kind!r}")


def as_strings(values: list[Any]) -> pa.Array:
    """Return ``values`` as an Arrow string array; a non-string becomes an unparseable marker."""
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(
            [v if isinstance(v, str) else "<not a string>" for v in values], pa.string()
        )


def parse_levels(bids: Any, asks: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Parse ``[[price, size], ...]`` lists of both sides: side, units, size and a problem."""
    try:
        pairs = [(p, q) for p, q in bids] + [(p, q) for p, q in asks]
    except (TypeError, ValueError):
        raise BadLineError("price levels must be [price, size] pairs") from None
    side = np.repeat(np.array([0, 1], np.int8), [len(bids), len(asks)])
    units, price_status = parse_prices(as_strings([p for p, _ in pairs]))
    size, size_status = parse_size_strings(as_strings([q for _, q in pairs]))
    problem = ""
    bad = np.flatnonzero((price_status != 0) | (size_status != 0) | (units == 0))
    if bad.size:
        i = int(bad[0])
        if price_status[i] or size_status[i]:
            which, value, code = (
                ("price", pairs[i][0], price_status[i])
                if price_status[i]
                else ("size", pairs[i][1], size_status[i])
            )
            problem = f"{which} {value!r} {status_message(int(code))}"
        else:
            problem = f"price {pairs[i][0]!r} is zero"
    return side, units, size, problem
