"""Fast path for Binance ``trade`` lines laid out as Binance sends them.

``<local_ns> {"stream":"<s>@trade","data":{"e":"trade",...,"T":<ms>,...,"t":<id>,"p":"<px>",
"q":"<qty>",...,"m":true|false}}``: each key once, integers without sign or fraction, the price
and quantity strings parsed exactly (:mod:`l2gpu.data.ingest.parsers.decimals`, as the JSON path
parses them). A line in any other layout, or with a value that does not parse, gets
:data:`~l2gpu.data.ingest.parsers.binance_lines.LINE_FALLBACK`: the general JSON path then reads
it or names what is wrong.
"""

from __future__ import annotations

import numba
import numpy as np

from l2gpu.data.ingest.parsers.binance_lines import (
    LINE_FALLBACK,
    LINE_OK,
    _find,
    _header_int,
    _integer,
    _matches,
)
from l2gpu.data.ingest.parsers.decimals import STATUS_OK, price_units_of, size_of

_DATA_TRADE = np.frombuffer(b'"data":{"e":"trade",', np.uint8)
_KEY_T = np.frombuffer(b'"T":', np.uint8)
_KEY_ID = np.frombuffer(b'"t":', np.uint8)
_KEY_PRICE = np.frombuffer(b'"p":"', np.uint8)
_KEY_QTY = np.frombuffer(b'"q":"', np.uint8)
_KEY_MAKER = np.frombuffer(b'"m":', np.uint8)
_TRUE = np.frombuffer(b"true", np.uint8)
_FALSE = np.frombuffer(b"false", np.uint8)


@numba.njit(cache=True, inline="always")
def _once(buf, start, end, key):
    """Position of ``key`` in ``buf[start:end]`` when it occurs exactly once, else -1."""
    at = _find(buf, start, end, key)
    if at < 0 or _find(buf, at + 1, end, key) >= 0:
        return -1
    return at


@numba.njit(cache=True, inline="always")
def _string(buf, at, end, key):
    """Bounds of the string value after ``key`` (which ends with its opening quote)."""
    s0 = at + key.shape[0]
    s1 = s0
    while s1 < end and buf[s1] != 34 and buf[s1] != 92:  # '"' or a backslash
        s1 += 1
    return s0, s1, s1 < end and buf[s1] == 34


@numba.njit(cache=True, nogil=True)
def parse_trade_lines(
    buf, starts, ends, rows, scale, local_ns, ts_ms, trade_id, units, size, maker, status
):
    """Parse the trade lines ``rows`` of ``buf`` into one entry each; ``status`` says which fit."""
    for r in range(rows.shape[0]):
        line = rows[r]
        start = starts[line]
        end = ends[line]
        status[r] = LINE_FALLBACK
        local_ns[r], pos, ok = _integer(buf, start, end)
        if not ok or pos >= end or buf[pos] != 32 or _find(buf, pos, end, _DATA_TRADE) < 0:
            continue
        if _once(buf, pos, end, _KEY_T) < 0 or _once(buf, pos, end, _KEY_ID) < 0:
            continue
        ts_ms[r], ok_t = _header_int(buf, pos, end, _KEY_T)
        trade_id[r], ok_id = _header_int(buf, pos, end, _KEY_ID)
        p_at = _once(buf, pos, end, _KEY_PRICE)
        q_at = _once(buf, pos, end, _KEY_QTY)
        m_at = _once(buf, pos, end, _KEY_MAKER)
        if not (ok_t and ok_id) or p_at < 0 or q_at < 0 or m_at < 0:
            continue
        p0, p1, ok_p = _string(buf, p_at, end, _KEY_PRICE)
        q0, q1, ok_q = _string(buf, q_at, end, _KEY_QTY)
        if not (ok_p and ok_q):
            continue
        m = m_at + _KEY_MAKER.shape[0]
        if _matches(buf, m, end, _TRUE):
            maker[r], m = True, m + _TRUE.shape[0]
        elif _matches(buf, m, end, _FALSE):
            maker[r], m = False, m + _FALSE.shape[0]
        else:
            continue
        if m >= end or (buf[m] != 44 and buf[m] != 125):
            continue
        units[r], price_status = price_units_of(buf, p0, p1, scale)
        size[r], qty_status = size_of(buf, q0, q1)
        if price_status == STATUS_OK and qty_status == STATUS_OK:
            status[r] = LINE_OK
