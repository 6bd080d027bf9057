"""The fast Binance line paths' rules written the obvious way, in Python, and edited lines.

Each function here reads one line (``bytes``, no newline) as the compiled kernels of
:mod:`l2gpu.data.ingest.parsers.binance_lines` and :mod:`~l2gpu.data.ingest.parsers.binance_trades`
are documented to: with ``bytes.find`` per key and :class:`decimal.Decimal`-free integer maths, so
that a kernel rewritten for speed is checked against a second, independent reading.
"""

from __future__ import annotations

import random
import re

from l2gpu.data.ingest.parsers.binance_lines import (
    KIND_DEPTH,
    KIND_OTHER,
    KIND_TICKER,
    KIND_TRADE,
    SYMBOL_OK,
    SYMBOL_OTHER,
    SYMBOL_UNCHECKED,
)

INT64_MAX = 2**63 - 1
EXACT = 2**53
MAX_EVENT_MS = (2**63 - 1) // 1_000_000
SCALE = 8
DECIMAL = re.compile(rb"[0-9]+(\.[0-9]*)?|\.[0-9]+")
LEADING_INT = re.compile(rb"[0-9]+")


def mantissa_decimals(text: bytes) -> tuple[int, int] | None:
    """Significant digits (fraction's trailing zeros dropped) and decimals; None if not exact."""
    if not DECIMAL.fullmatch(text):
        return None
    whole, _, fraction = text.partition(b".")
    fraction = fraction.rstrip(b"0")
    mantissa = int((whole + fraction) or b"0")
    return (mantissa, len(fraction)) if mantissa < EXACT else None


def price_units(text: bytes) -> int | None:
    """``value * 10**8`` when the kernels accept the price string, else None."""
    found = mantissa_decimals(text)
    if found is None or found[1] > SCALE:
        return None
    units = found[0] * 10 ** (SCALE - found[1])
    return units if units < EXACT else None


def size_value(text: bytes) -> float | None:
    """The float nearest to the size string when the kernels accept it, else None."""
    found = mantissa_decimals(text)
    if found is None or found[1] > 22:
        return None
    return found[0] / 10 ** found[1]


def leading_int(line: bytes, pos: int, end: int) -> tuple[int, int] | None:
    """(value, end position) of the digits at ``pos`` within int64; None if none or too big."""
    found = LEADING_INT.match(line, pos, end)
    if found is None or int(found.group()) > INT64_MAX:
        return None
    return int(found.group()), found.end()


def field_int(line: bytes, pos: int, end: int) -> int | None:
    """The integer at ``pos`` when a ``,`` or ``}`` follows it within ``end``."""
    found = leading_int(line, pos, end)
    if found is None or found[1] >= end or line[found[1]] not in b",}":
        return None
    return found[0]


def local_ns(line: bytes) -> tuple[int, int] | None:
    """The receive time and the position of the space after it."""
    found = leading_int(line, 0, len(line))
    if found is None or found[1] >= len(line) or line[found[1]] != 32:
        return None
    return found


def once(line: bytes, key: bytes, start: int) -> int:
    """Position of ``key`` when it occurs at exactly one position (overlaps count), else -1."""
    at = line.find(key, start)
    return at if at >= 0 and line.find(key, at + 1) < 0 else -1


def trade(line: bytes) -> tuple[int, int, int, int, float, bool] | None:
    """(local_ns, T, t, price units, size, buyer is maker) of a canonical trade line, or None."""
    head = local_ns(line)
    if head is None or line.find(b'"data":{"e":"trade",', head[1]) < 0:
        return None
    pos = head[1]
    at = {key: once(line, key, pos) for key in (b'"T":', b'"t":', b'"p":"', b'"q":"', b'"m":')}
    if min(at.values()) < 0:
        return None
    ts = field_int(line, at[b'"T":'] + 4, len(line))
    trade_id = field_int(line, at[b'"t":'] + 4, len(line))
    strings = []
    for key in (b'"p":"', b'"q":"'):
        s0 = at[key] + 5
        s1 = min(i for i in (line.find(b'"', s0), line.find(b"\\", s0), len(line)) if i >= 0)
        if s1 >= len(line) or line[s1] != 34:
            return None
        strings.append(line[s0:s1])
    m = at[b'"m":'] + 4
    word = next((w for w in (b"true", b"false") if line.startswith(w, m)), b"")
    after = m + len(word)
    if ts is None or trade_id is None or not word or line[after : after + 1] not in (b",", b"}"):
        return None
    if ts > MAX_EVENT_MS:  # its ns would not fit int64: the exact reader names the line
        return None
    units, size = price_units(strings[0]), size_value(strings[1])
    if units is None or size is None:
        return None
    return head[0], ts, trade_id, units, size, word == b"true"


def levels(line: bytes, pos: int, side: int) -> tuple[int, list[tuple[int, int, float]]] | None:
    """Parse ``["p","q"],...]`` at ``pos``: (position after ``]``, updates), or None."""
    out: list[tuple[int, int, float]] = []
    if line[pos : pos + 1] == b"]":
        return pos + 1, out
    while pos < len(line):
        if line[pos : pos + 2] != b'["':
            return None
        p1 = line.find(b'"', pos + 2)
        if p1 < 0 or line[p1 : p1 + 3] != b'","':
            return None
        q1 = line.find(b'"', p1 + 3)
        if q1 < 0 or line[q1 + 1 : q1 + 2] != b"]":
            return None
        units, size = price_units(line[pos + 2 : p1]), size_value(line[p1 + 3 : q1])
        if units is None or size is None or units == 0:
            return None
        out.append((side, units, size))
        pos = q1 + 2
        if line[pos : pos + 1] == b"]":
            return pos + 1, out
        if line[pos : pos + 1] != b",":
            return None
        pos += 1
    return None


def depth(line: bytes) -> tuple[tuple[int, ...], list[tuple[int, int, float]]] | None:
    """((local_ns, T, U, u, pu), updates) of a canonical depth line, or None."""
    head = local_ns(line)
    if head is None:
        return None
    bids = line.find(b'"b":[', head[1])
    if bids < 0:
        return None
    ids = []
    for key in (b'"T":', b'"U":', b'"u":', b'"pu":'):
        at = line.find(key, head[1], bids)
        value = None if at < 0 else field_int(line, at + len(key), bids)
        if value is None:
            return None
        ids.append(value)
    if ids[0] > MAX_EVENT_MS:  # ``T`` in ns would not fit int64
        return None
    bid = levels(line, bids + 5, 0)
    if bid is None or line[bid[0] : bid[0] + 6] != b',"a":[':
        return None
    ask = levels(line, bid[0] + 6, 1)
    if ask is None:
        return None
    return (head[0], *ids), bid[1] + ask[1]


def kind(line: bytes) -> int:
    """The stream kind of a line from its stream name."""
    json = line.find(b" ") + 1 if b" " in line else len(line) + 1
    if not line.startswith(b'{"stream":"', json):
        return KIND_OTHER
    name_start = json + 11
    name_end = line.find(b'"', name_start)
    name = line[name_start : name_end if name_end >= 0 else len(line)]
    marks = {b"@depth": KIND_DEPTH, b"@bookTicker": KIND_TICKER, b"@trade": KIND_TRADE}
    return next((found for mark, found in marks.items() if mark in name), KIND_OTHER)


def symbol(line: bytes, stream: bytes, data: bytes) -> int:
    """``SYMBOL_*`` of a line: its stream name before ``@`` and its first ``"s"`` value."""
    json = line.find(b" ") + 1 if b" " in line else len(line) + 1
    if not line.startswith(b'{"stream":"', json):
        return SYMBOL_UNCHECKED
    name = re.match(rb'[^@"]*', line[json + 11 :])
    assert name is not None
    if name.group() != stream:
        return SYMBOL_OTHER
    at = line.find(b'"s":"', json)
    if at >= 0 and line[at + 5 :].split(b'"', 1)[0] != data:
        return SYMBOL_OTHER
    return SYMBOL_OK


def lines_of(data: bytes) -> list[bytes]:
    """The lines of a block, without newlines; a last line may lack its newline."""
    pieces = data.split(b"\n")
    return pieces[:-1] if pieces[-1] == b"" else pieces


SNIPPETS = [b'"T":7,', b'"t":8,', b'"p":"1.5",', b'"q":"2",', b'"m":true,', b'"U":1,', b'"u":2,']
BYTES = b'"0123456789.,:}]-[ aT\\ex'


def edited(line: bytes, rng: random.Random) -> bytes:
    """``line`` with one random edit: a byte dropped, changed, a stretch doubled, a key added."""
    at = rng.randrange(len(line))
    how = rng.randrange(4)
    if how == 0:
        return line[:at] + line[at + 1 :]
    if how == 1:
        return line[:at] + BYTES[rng.randrange(len(BYTES)) :][:1] + line[at + 1 :]
    if how == 2:
        return line[:at] + line[at : at + rng.randrange(1, 13)] + line[at:]
    return line[:at] + rng.choice(SNIPPETS) + line[at:]
