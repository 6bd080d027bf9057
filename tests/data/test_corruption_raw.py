"""Property-based corruptions of the real samples of all three formats (see tests/data/corruption).

Each example corrupts a copy of a bundled sample (the first lines of the BTCUSDT recording, the
AAPL LOBSTER pair, each Tardis file) and ingests it twice, with the default policies and with
every repairing one: each run ends in an error naming file, place and check, a counted repair
with stores that pass their checks, or stores identical to the clean ones. The fast part runs a
few dozen derandomised examples per format; the ``slow`` part many more.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.data.corruption import BAD_NUMBERS, both_ways, stores
from tests.samples import AAPL, BTCUSDT, TARDIS, lobster_pair, read_lines, write_gz

FAST = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MANY = settings(FAST, max_examples=250)
BINANCE_LINES = read_lines(BTCUSDT, 2500)
SNAPSHOT_LINE = next(i for i, line in enumerate(BINANCE_LINES) if b"lastUpdateId" in line)
QUOTED_NUMBER = re.compile(rb'"(-?[0-9]+\.?[0-9]*)"')
BARE_INTEGER = re.compile(rb'"(?:T|E|U|u|pu|t|lastUpdateId)":(-?[0-9]+)')
TARDIS_FILES = sorted(TARDIS.glob("*.csv"))


def _clean(ingest_args: Callable[[Path], tuple[list[Path], str, dict[str, Any]]]) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        paths, fmt, kwargs = ingest_args(Path(tmp))
        from l2gpu.data.ingest import ingest

        out, trades_out = Path(tmp) / "b.parquet", Path(tmp) / "t.parquet"
        ingest(paths, format=fmt, out=out, trades_out=trades_out, **kwargs)
        return stores(out, trades_out)


BINANCE_CLEAN = _clean(
    lambda tmp: ([write_gz(tmp / "c.gz", BINANCE_LINES)], "binance", {"depth": 5})
)


def _replace_match(line: bytes, pattern: re.Pattern[bytes], pick: int, token: bytes) -> bytes:
    matches = list(pattern.finditer(line))
    if not matches:
        return line
    m = matches[pick % len(matches)]
    return line[: m.start(1)] + token + line[m.end(1) :]


DEPTH_LINES = [i for i, line in enumerate(BINANCE_LINES) if b"depthUpdate" in line]
TRADE_LINES = [i for i, line in enumerate(BINANCE_LINES) if b"@trade" in line]


@st.composite
def binance_recipes(draw: Any) -> tuple[Any, ...]:
    """A small description of one corruption (shown when an example fails).

    Left out because nothing can tell them from valid input: dropping a trade line, or one of
    the last diffs (a recording may end anywhere), and swapping two trades of the same time.
    """
    kind = draw(
        st.sampled_from(
            [
                "number",
                "integer",
                "delete_diff",
                "duplicate",
                "swap_diffs",
                "truncate",
                "symbol",
                "trade_back",
                "snapshot_copy",
                "cut_gzip",
            ]
        )
    )
    i = draw(
        st.one_of(
            st.sampled_from(DEPTH_LINES),
            st.sampled_from(TRADE_LINES),
            st.integers(0, len(BINANCE_LINES) - 1),
        )
    )
    pick = draw(st.integers(0, 400))
    if kind == "number":
        return kind, i, pick, draw(st.sampled_from(BAD_NUMBERS))
    if kind == "integer":
        return kind, i, pick, draw(st.sampled_from(['"7"', "null", "1.5", '""', "[]", "-x"]))
    if kind == "delete_diff":
        return kind, DEPTH_LINES[pick % (len(DEPTH_LINES) - 5)]
    if kind == "duplicate":
        return kind, i, draw(st.integers(1, 20))
    if kind == "swap_diffs":
        k = pick % (len(DEPTH_LINES) - 3)
        return kind, DEPTH_LINES[k], DEPTH_LINES[k + draw(st.integers(1, 3))]
    if kind == "truncate":
        return kind, i, draw(st.floats(0.0, 0.98))
    if kind == "trade_back":
        return kind, 1 + pick % (len(TRADE_LINES) - 1), draw(st.integers(1, 120_000))
    if kind == "cut_gzip":
        return kind, draw(st.floats(0.05, 0.95))
    return kind, i


def binance_lines(recipe: tuple[Any, ...]) -> list[bytes]:
    """The sample's lines with ``recipe`` applied."""
    lines = list(BINANCE_LINES)
    kind, *args = recipe
    if kind == "number":
        i, pick, token = args
        lines[i] = _replace_match(lines[i], QUOTED_NUMBER, pick, token.encode())
    elif kind == "integer":
        i, pick, token = args
        lines[i] = _replace_match(lines[i], BARE_INTEGER, pick, token.encode())
    elif kind == "delete_diff":
        del lines[args[0]]
    elif kind == "duplicate":
        i, later = args
        lines.insert(min(i + later, len(lines)), lines[i])
    elif kind == "swap_diffs":
        i, j = args
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "truncate":
        i, share = args
        lines[i] = lines[i][: max(1, int(len(lines[i]) * share))].rstrip(b"\n") + b"\n"
    elif kind == "symbol":
        lines[args[0]] = (
            lines[args[0]].replace(b"btcusdt", b"ethusdt").replace(b"BTCUSDT", b"ETHUSDT")
        )
    elif kind == "trade_back":
        k, back = args
        before = re.search(rb'"T":([0-9]+)', lines[TRADE_LINES[k - 1]])
        assert before is not None
        line = lines[TRADE_LINES[k]]
        lines[TRADE_LINES[k]] = re.sub(
            rb'"T":[0-9]+', b'"T":%d' % (int(before[1]) - back), line, count=1
        )
    elif kind == "snapshot_copy":
        lines.insert(max(args[0], SNAPSHOT_LINE + 1), lines[SNAPSHOT_LINE])
    return lines


def _binance_case(recipe: tuple[Any, ...]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = write_gz(tmp / "corrupt.gz", binance_lines(recipe))
        if recipe[0] == "cut_gzip":
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * recipe[1])])
        both_ways([path], "binance", tmp, BINANCE_CLEAN, depth=5)


@FAST
@given(binance_recipes())
def test_corrupted_binance_recordings(recipe):
    _binance_case(recipe)


@pytest.mark.slow
@MANY
@given(binance_recipes())
def test_corrupted_binance_recordings_many(recipe):
    _binance_case(recipe)


AAPL_FILES = lobster_pair(AAPL)
AAPL_ROWS = [path.read_text().splitlines() for path in AAPL_FILES]
LOBSTER_CLEAN = _clean(lambda tmp: (AAPL_FILES, "lobster", {}))


@st.composite
def lobster_corruptions(draw: Any) -> list[list[str]]:
    files = [list(rows) for rows in AAPL_ROWS]
    kind = draw(st.sampled_from(["cell", "delete", "swap_sides", "truncate", "time_back", "dummy"]))
    which = draw(st.integers(0, 1))
    rows = files[which]
    r = draw(st.integers(1, len(rows) - 1))
    cells = rows[r].split(",")
    if kind == "cell":
        c = draw(st.integers(0, len(cells) - 1))
        tokens = BAD_NUMBERS
        if which == 0 and c in (2, 5):
            # Any whole number is a valid order id; -1 is a valid direction, and flipping the
            # direction of a hidden execution (type 5, not in the orderbook) cannot be seen.
            tokens = [t for t in BAD_NUMBERS if t != "-1"]
        cells[c] = draw(st.sampled_from(tokens))
        rows[r] = ",".join(cells)
    elif kind == "delete":
        del rows[r]
    elif kind == "swap_sides":
        files[1] = [
            ",".join(c for k in range(0, len(row), 4) for c in row[k + 2 : k + 4] + row[k : k + 2])
            for row in (line.split(",") for line in files[1])
        ]
    elif kind == "truncate":
        rows[r] = rows[r][: draw(st.integers(0, max(0, len(rows[r]) - 1)))]
    elif kind == "time_back":
        files[0][r] = ",".join(
            [f"{float(files[0][r - 1].split(',')[0]) - 1.5:.9f}", *files[0][r].split(",")[1:]]
        )
    else:
        k = draw(st.integers(0, 9))
        book = files[1][r].split(",")
        book[4 * k + draw(st.sampled_from([0, 2]))] = "9999999999"
        files[1][r] = ",".join(book)
    return files


def _lobster_case(files: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        paths = []
        for path, rows in zip(AAPL_FILES, files, strict=True):
            (tmp / path.name).write_text("\n".join(rows) + "\n")
            paths.append(tmp / path.name)
        both_ways(paths, "lobster", tmp, LOBSTER_CLEAN)


@FAST
@given(lobster_corruptions())
def test_corrupted_lobster_pairs(files):
    _lobster_case(files)


@pytest.mark.slow
@MANY
@given(lobster_corruptions())
def test_corrupted_lobster_pairs_many(files):
    _lobster_case(files)


TARDIS_TEXT = {path.name: path.read_text().splitlines() for path in TARDIS_FILES}


def _tardis_input(name: str) -> Callable[[Path], tuple[list[Path], str, dict[str, Any]]]:
    return lambda tmp: ([TARDIS / name], "tardis", {})


TARDIS_CLEAN = {name: _clean(_tardis_input(name)) for name in TARDIS_TEXT}


def _ends_a_message(lines: list[str], header: list[str], r: int) -> bool:
    """Whether row ``r`` gives its book row's ``ts``: the last of a later message (incremental).

    Only the last row of a message stamps its book row, and the first message has no row before
    it to go back from; snapshot and trades rows each stand alone.
    """
    if "is_snapshot" not in header:
        return True
    local = header.index("local_timestamp")
    stamps = [line.split(",")[local] for line in lines[1:]]
    row = r - 1
    return stamps[row] != stamps[0] and (row + 1 == len(stamps) or stamps[row + 1] != stamps[row])


@st.composite
def tardis_corruptions(draw: Any) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(TARDIS_TEXT)))
    lines = list(TARDIS_TEXT[name])
    header = lines[0].split(",")
    kind = draw(
        st.sampled_from(
            ["cell", "drop_column", "truncate_row", "time_back", "symbol", "copy_trade"]
        )
    )
    r = draw(st.integers(1, len(lines) - 1))
    cells = lines[r].split(",")
    if kind == "cell":
        c = draw(st.integers(0, len(header) - 1))
        column = header[c]
        if column == "exchange":
            tokens = ["", "other"]  # names only the store's metadata, from the first row
        elif column == "id":
            tokens = [""]  # any other text is a valid id
        elif column in ("side", "is_snapshot", "symbol"):
            tokens = ["", "middle", "unknown", "NaN", "1"]
        else:
            tokens = BAD_NUMBERS
        cells[c] = draw(st.sampled_from(tokens))
        lines[r] = ",".join(cells)
    elif kind == "drop_column":
        c = draw(st.integers(0, len(header) - 1))
        lines = [",".join(row[:c] + row[c + 1 :]) for row in (line.split(",") for line in lines)]
    elif kind == "truncate_row":
        lines[r] = ",".join(cells[:-1])
    elif kind == "time_back" and r > 1 and _ends_a_message(lines, header, r):
        stamp = header.index("timestamp")
        before = int(lines[r - 1].split(",")[stamp])
        cells[stamp] = str(before - draw(st.integers(1, 60_000_000)))
        lines[r] = ",".join(cells)
    elif kind == "symbol":
        cells[header.index("symbol")] = "ETHUSDT"
        lines[r] = ",".join(cells)
    elif kind == "copy_trade" and "trades" in name:
        lines.insert(min(len(lines), r + draw(st.integers(1, 3))), lines[r])
    return name, lines


def _tardis_case(case: tuple[str, list[str]]) -> None:
    name, lines = case
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = tmp / name
        path.write_text("\n".join(lines) + "\n")
        both_ways([path], "tardis", tmp, TARDIS_CLEAN[name])


@FAST
@given(tardis_corruptions())
def test_corrupted_tardis_files(case):
    _tardis_case(case)


@pytest.mark.slow
@MANY
@given(tardis_corruptions())
def test_corrupted_tardis_files_many(case):
    _tardis_case(case)
