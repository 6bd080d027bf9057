"""Fast paths for Binance recorder lines (``<local_ns> <json>``) in a block of bytes.

:func:`index_lines` finds the lines of a block and their stream kind from the stream name;
:func:`other_symbol_lines` marks the lines that name another instrument.
:func:`parse_depth_lines` reads ``depthUpdate`` lines laid out as Binance sends them
(``..."T":..,"U":..,"u":..,"pu":..,"b":[["p","q"],...],"a":[...]}}``) straight into update
arrays, parsing every price and size exactly (see :mod:`l2gpu.data.ingest.parsers.decimals`). A
line in any other layout gets :data:`LINE_FALLBACK` and is read by the general JSON path, which
either accepts it or names what is wrong.
"""

from __future__ import annotations

import numba
import numpy as np

from l2gpu.data.ingest.parsers.decimals import quoted_price_units, quoted_size

KIND_OTHER = 0
KIND_DEPTH = 1
KIND_TRADE = 2
KIND_TICKER = 3

INT64_MAX = 2**63 - 1

LINE_OK = 0
LINE_FALLBACK = 1

_STREAM_KEY = np.frombuffer(b'{"stream":"', np.uint8)
_DEPTH = np.frombuffer(b"@depth", np.uint8)
_TRADE = np.frombuffer(b"@trade", np.uint8)
_TICKER = np.frombuffer(b"@bookTicker", np.uint8)
_KEY_T = np.frombuffer(b'"T":', np.uint8)
_KEY_FIRST = np.frombuffer(b'"U":', np.uint8)
_KEY_LAST = np.frombuffer(b'"u":', np.uint8)
_KEY_PREV = np.frombuffer(b'"pu":', np.uint8)
_KEY_BIDS = np.frombuffer(b'"b":[', np.uint8)
_KEY_ASKS = np.frombuffer(b',"a":[', np.uint8)
_PAIR_MIDDLE = np.frombuffer(b'","', np.uint8)
_KEY_SYMBOL = np.frombuffer(b'"s":"', np.uint8)


@numba.njit(cache=True, inline="always")
def _matches(buf, pos, end, pattern):
    if pos + pattern.shape[0] > end:
        return False
    for k in range(pattern.shape[0]):
        if buf[pos + k] != pattern[k]:
            return False
    return True


@numba.njit(cache=True, inline="always")
def _find(buf, start, end, pattern):
    """Index of ``pattern`` in ``buf[start:end]``, or -1."""
    for i in range(start, end - pattern.shape[0] + 1):
        if _matches(buf, i, end, pattern):
            return i
    return -1


@numba.njit(cache=True, inline="always")
def _equals(buf, start, end, pattern):
    """Whether ``buf[start:end]`` is exactly ``pattern``."""
    return end - start == pattern.shape[0] and _matches(buf, start, end, pattern)


@numba.njit(cache=True, inline="always")
def _integer(buf, pos, end):
    """Parse a non-negative integer at ``pos``; return (value, next position, ok)."""
    value = 0
    i = pos
    while i < end and 48 <= buf[i] <= 57:
        digit = buf[i] - 48
        if value > (INT64_MAX - digit) // 10:
            return 0, i, False
        value = value * 10 + digit
        i += 1
    return value, i, i > pos


# Bytes of a word; a word minus ONES has its HIGH bit set in a byte that was zero.
_ONES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)
_NEWLINES = np.uint64(0x0A0A0A0A0A0A0A0A)
_NO_BITS = np.uint64(0)
LINE_BYTES_GUESS = 64
"""Bytes per line that :func:`index_lines` first makes room for (it grows the room if need be)."""


@numba.njit(cache=True, inline="always")
def _next_newline(buf, words, pos):
    """Index of the first newline at or after ``pos``, or ``buf.shape[0]``.

    ``words`` are ``buf``'s whole 8-byte words: a word holds a newline when ``word ^ _NEWLINES``
    has a zero byte, which one subtraction and two masks tell for all eight bytes at once.
    """
    n = buf.shape[0]
    while pos < n and pos & 7:
        if buf[pos] == 10:
            return pos
        pos += 1
    w = pos >> 3
    while w < words.shape[0]:
        v = words[w] ^ _NEWLINES
        if (v - _ONES) & ~v & _HIGH != _NO_BITS:
            break
        w += 1
    for i in range(max(pos, w << 3), n):
        if buf[i] == 10:
            return i
    return n


@numba.njit(cache=True, inline="always")
def _kind(buf, start, end):
    """Return the stream kind (``KIND_*``) of the line ``buf[start:end]`` from its stream name."""
    space = start
    while space < end and buf[space] != 32:
        space += 1
    json = space + 1
    if not _matches(buf, json, end, _STREAM_KEY):
        return KIND_OTHER
    name = json + _STREAM_KEY.shape[0]
    name_end = name
    while name_end < end and buf[name_end] != 34:
        name_end += 1
    if _find(buf, name, name_end, _DEPTH) >= 0:
        return KIND_DEPTH
    if _find(buf, name, name_end, _TICKER) >= 0:
        return KIND_TICKER
    if _find(buf, name, name_end, _TRADE) >= 0:
        return KIND_TRADE
    return KIND_OTHER


@numba.njit(cache=True, inline="always")
def _grown(a):
    """Return ``a`` copied into an array twice its length."""
    out = np.empty(2 * a.shape[0], a.dtype)
    out[: a.shape[0]] = a
    return out


@numba.njit(cache=True, nogil=True)
def index_lines(buf):
    """Return ``starts``, ``ends`` (exclusive, without the newline) and the kind of each line.

    One pass: the newlines are found eight bytes at a time (``_next_newline``) into arrays with
    room for a line per :data:`LINE_BYTES_GUESS` bytes, doubled when a block has shorter lines.
    """
    n = buf.shape[0]
    words = buf[: n - n % 8].view(np.uint64)
    room = n // LINE_BYTES_GUESS + 1
    starts = np.empty(room, np.int64)
    ends = np.empty(room, np.int64)
    kinds = np.empty(room, np.int8)
    line = 0
    start = 0
    while start < n:
        end = _next_newline(buf, words, start)
        if line == starts.shape[0]:
            starts, ends, kinds = _grown(starts), _grown(ends), _grown(kinds)
        starts[line] = start
        ends[line] = end
        kinds[line] = _kind(buf, start, end)
        line += 1
        start = end + 1
    return starts[:line], ends[:line], kinds[:line]


SYMBOL_OK = 0
SYMBOL_OTHER = 1
SYMBOL_UNCHECKED = 2


@numba.njit(cache=True, nogil=True)
def other_symbol_lines(buf, starts, ends, stream_symbol, data_symbol, out):
    """Mark in ``out`` the lines of another instrument (``SYMBOL_*``).

    A line laid out as Binance sends it (``<ns> {"stream":"btcusdt@...``) is ``SYMBOL_OTHER`` when
    its stream name before ``@`` is not ``stream_symbol`` or its ``"s":"..."`` field is not
    ``data_symbol``, else ``SYMBOL_OK``. Any other line (the REST snapshot, a reformatted line)
    is ``SYMBOL_UNCHECKED``, left to the JSON path.
    """
    for line in range(starts.shape[0]):
        start = starts[line]
        end = ends[line]
        json = start
        while json < end and buf[json] != 32:
            json += 1
        json += 1
        if not _matches(buf, json, end, _STREAM_KEY):
            out[line] = SYMBOL_UNCHECKED
            continue
        out[line] = SYMBOL_OK
        name = json + _STREAM_KEY.shape[0]
        stop = name
        while stop < end and buf[stop] != 64 and buf[stop] != 34:  # '@' or '"'
            stop += 1
        if not _equals(buf, name, stop, stream_symbol):
            out[line] = SYMBOL_OTHER
            continue
        at = _find(buf, json, end, _KEY_SYMBOL)
        if at >= 0:
            value = at + _KEY_SYMBOL.shape[0]
            stop = value
            while stop < end and buf[stop] != 34:
                stop += 1
            if not _equals(buf, value, stop, data_symbol):
                out[line] = SYMBOL_OTHER


@numba.njit(cache=True, inline="always")
def _levels(buf, pos, end, side_code, scale, n, side, units, size):
    """Parse ``["p","q"],...]`` from ``pos``; return (position after ']', updates, ok)."""
    if pos < end and buf[pos] == 93:  # empty list
        return pos + 1, n, True
    while pos < end:
        if not (buf[pos] == 91 and pos + 1 < end and buf[pos + 1] == 34):  # ["
            return pos, n, False
        price, price_ok, p1 = quoted_price_units(buf, pos + 2, end, scale)
        if not price_ok or price == 0 or not _matches(buf, p1, end, _PAIR_MIDDLE):
            return pos, n, False
        qty, qty_ok, q1 = quoted_size(buf, p1 + 3, end)
        if not qty_ok or q1 + 1 >= end or buf[q1 + 1] != 93:
            return pos, n, False
        side[n] = side_code
        units[n] = price
        size[n] = qty
        n += 1
        pos = q1 + 2
        if pos < end and buf[pos] == 44:  # ,
            pos += 1
        elif pos < end and buf[pos] == 93:  # ]
            return pos + 1, n, True
        else:
            return pos, n, False
    return pos, n, False


@numba.njit(cache=True, inline="always")
def _field_int(buf, pos, end):
    """Return the integer at ``pos`` and whether a ``,`` or ``}`` ends it (``1.5`` does not)."""
    value, stop, ok = _integer(buf, pos, end)
    return value, ok and stop < end and (buf[stop] == 44 or buf[stop] == 125)


@numba.njit(cache=True, inline="always")
def _header_int(buf, start, end, key):
    """Return the integer after the first ``key`` and whether it is whole (see ``_field_int``)."""
    at = _find(buf, start, end, key)
    if at < 0:
        return 0, False
    return _field_int(buf, at + key.shape[0], end)


@numba.njit(cache=True, nogil=True)
def parse_depth_lines(
    buf,
    starts,
    ends,
    rows,
    scale,
    local_ns,
    ts_ms,
    first_id,
    last_id,
    prev_id,
    update_start,
    status,
    side,
    units,
    size,
):
    """Parse the depth lines ``rows`` of ``buf`` into per-line fields and flat update arrays.

    Line ``r``'s updates are ``update_start[r]:update_start[r + 1]``; a line that does not fit the
    canonical layout, or holds a value that does not parse, gets ``LINE_FALLBACK`` and no updates.
    ``side``, ``units`` and ``size`` need room for ``(bytes in the lines) // 9`` updates.
    """
    n = 0
    for r in range(rows.shape[0]):
        line = rows[r]
        start = starts[line]
        end = ends[line]
        update_start[r] = n
        status[r] = LINE_FALLBACK
        local_ns[r], pos, ok = _integer(buf, start, end)
        if not ok or pos >= end or buf[pos] != 32:
            continue
        bids_at = _find(buf, pos, end, _KEY_BIDS)
        if bids_at < 0:
            continue
        ts_ms[r], ok_t = _header_int(buf, pos, bids_at, _KEY_T)
        first_id[r], ok_first = _header_int(buf, pos, bids_at, _KEY_FIRST)
        last_id[r], ok_last = _header_int(buf, pos, bids_at, _KEY_LAST)
        prev_id[r], ok_prev = _header_int(buf, pos, bids_at, _KEY_PREV)
        if not (ok_t and ok_first and ok_last and ok_prev):
            continue
        after_bids, m, ok = _levels(
            buf, bids_at + _KEY_BIDS.shape[0], end, 0, scale, n, side, units, size
        )
        if not ok or not _matches(buf, after_bids, end, _KEY_ASKS):
            continue
        _, m, ok = _levels(
            buf, after_bids + _KEY_ASKS.shape[0], end, 1, scale, m, side, units, size
        )
        if not ok:
            continue
        n = m
        status[r] = LINE_OK
    update_start[rows.shape[0]] = n
    return n
