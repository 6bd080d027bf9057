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
    _field_int,
    _integer,
    _matches,
)
from l2gpu.data.ingest.parsers.decimals import quoted_price_units, quoted_size

_DATA_TRADE = np.frombuffer(b'"data":{"e":"trade",', np.uint8)
_KEY_T = np.frombuffer(b'"T":', np.uint8)
_KEY_ID = np.frombuffer(b'"t":', np.uint8)
_KEY_PRICE = np.frombuffer(b'"p":"', np.uint8)
_KEY_QTY = np.frombuffer(b'"q":"', np.uint8)
_KEY_MAKER = np.frombuffer(b'"m":', np.uint8)
_TRUE = np.frombuffer(b"true", np.uint8)
_FALSE = np.frombuffer(b"false", np.uint8)


@numba.njit(cache=True, inline="always")
def _first(found, at):
    """Note an occurrence of a key at ``at``: return (its first position, whether it repeats)."""
    return (at, False) if found < 0 else (found, True)


@numba.njit(cache=True, nogil=True)
def parse_trade_lines(
    buf, starts, ends, rows, scale, local_ns, ts_ms, trade_id, units, size, maker, status
):
    """Parse the trade lines ``rows`` of ``buf`` into one entry each; ``status`` says which fit.

    One pass over a line finds every key: each key starts with ``"``, so only a quote followed by
    a key's second byte is compared with that key. A key found twice sends the line to the JSON
    path, as does a missing one.
    """
    for r in range(rows.shape[0]):
        line = rows[r]
        start = starts[line]
        end = ends[line]
        status[r] = LINE_FALLBACK
        local_ns[r], pos, ok = _integer(buf, start, end)
        if not ok or pos >= end or buf[pos] != 32:
            continue
        data_at = t_at = id_at = p_at = q_at = m_at = -1
        repeats = False
        for i in range(pos + 1, end - 1):
            if buf[i] != 34:  # every key starts with '"'
                continue
            c = buf[i + 1]
            seen = False
            if c == 84 and _matches(buf, i, end, _KEY_T):  # 'T'
                t_at, seen = _first(t_at, i)
            elif c == 116 and _matches(buf, i, end, _KEY_ID):  # 't'
                id_at, seen = _first(id_at, i)
            elif c == 112 and _matches(buf, i, end, _KEY_PRICE):  # 'p'
                p_at, seen = _first(p_at, i)
            elif c == 113 and _matches(buf, i, end, _KEY_QTY):  # 'q'
                q_at, seen = _first(q_at, i)
            elif c == 109 and _matches(buf, i, end, _KEY_MAKER):  # 'm'
                m_at, seen = _first(m_at, i)
            elif c == 100 and data_at < 0 and _matches(buf, i, end, _DATA_TRADE):  # 'd'
                data_at = i
            repeats = repeats or seen
        if repeats or min(data_at, t_at, id_at, p_at, q_at, m_at) < 0:
            continue
        ts_ms[r], ok_t = _field_int(buf, t_at + _KEY_T.shape[0], end)
        trade_id[r], ok_id = _field_int(buf, id_at + _KEY_ID.shape[0], end)
        if not (ok_t and ok_id):
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
        p0, q0 = p_at + _KEY_PRICE.shape[0], q_at + _KEY_QTY.shape[0]
        units[r], price_ok, _ = quoted_price_units(buf, p0, end, scale)
        size[r], qty_ok, _ = quoted_size(buf, q0, end)
        if price_ok and qty_ok:
            status[r] = LINE_OK
