"""The plain view's status rows across gaps in the recording, and the screen of an empty side."""

import io

import numpy as np
from rich.console import Console

from l2gpu.core.units import NS_PER_S
from l2gpu.replay.stepper import FillEvent, ReplayState
from l2gpu.replay.view import PlainView, render


def _state(done, ts, **changes):
    values = dict(
        done=done, rows=6, ts=ts, bid_px=100.0, bid_sz=2.0, ask_px=100.5, ask_sz=1.0,
        position=0.0, cash=0.0, pnl=0.0, fees=0.0, fills=0, orders=("flat",), finished=False,
    )  # fmt: skip
    values.update(changes)
    return ReplayState(**values)


def test_status_lines_fall_on_every_boundary_a_row_crosses():
    s = NS_PER_S
    ts = np.array([0, 4 * s, 9 * s, 31 * s, 32 * s, 45 * s], dtype=np.int64)
    out = io.StringIO()
    view = PlainView(Console(file=out, width=300), ts, 10 * s, ["header"])
    done, stops = 0, []
    while done < len(ts):
        stop = min(view.next_stop(done), len(ts))
        stops.append(stop)
        done = stop
        view.show(_state(done, int(ts[done - 1])), [])
    # Rows before 10 s; before 20 s and 30 s none new; before 40 s; then the last row.
    assert stops == [3, 5, 6]
    lines = out.getvalue().splitlines()
    assert lines[0] == "header"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["00:00:09.000", "row"],
        ["00:00:32.000", "row"],
        ["00:00:45.000", "row"],
    ]


def test_fills_print_in_order_before_the_status_line():
    out = io.StringIO()
    ts = np.array([0, NS_PER_S], dtype=np.int64)
    view = PlainView(Console(file=out, width=300), ts, NS_PER_S, [])
    events = [
        FillEvent(0, 0, 0.5, 100.5, 0.01, "maker", 0.5),
        FillEvent(0, 0, -0.5, 100.0, -0.002, "taker", 0.0),
    ]
    assert view.next_stop(0) == 1
    view.show(_state(1, 0, position=0.0, fills=2), events)
    lines = out.getvalue().splitlines()
    assert (
        lines[0] == "fill 00:00:00.000 buy  0.5 @ 100.50 fee +0.0100 (maker, row 0) position +0.5"
    )
    assert lines[1] == "fill 00:00:00.000 sell 0.5 @ 100.00 fee -0.0020 (taker, row 0) position 0"
    assert lines[2].startswith("00:00:00.000 row 1/6  bid 100.00 x 2  ask 100.50 x 1")


def test_the_screen_shows_an_empty_side_as_a_dash():
    out = io.StringIO()
    console = Console(file=out, width=120, record=True)
    state = _state(3, 0, ask_px=float("nan"), ask_sz=0.0, orders=("bid 99.90 x 1 resting",))
    console.print(render(["replay of run r, config 0"], state, []))
    text = console.export_text()
    assert "replay of run r, config 0" in text and "bid 99.90 x 1 resting" in text
    book = text[text.index("book top") : text.index("position and orders")]
    assert "100.00" in book and " - " in book
