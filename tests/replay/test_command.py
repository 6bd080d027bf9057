"""``l2gpu replay`` as users meet it: plain lines off a terminal, the live view, one-line errors.

The expected lines are computed independently of the view: the fills from the run's recorded
trades, the status rows from the book's times, the bounded replays from a sweep over the same
rows.
"""

import io
import re

import numpy as np
import pytest
from rich.console import Console

from l2gpu.backtest import STRATEGIES
from l2gpu.cli.main import main
from l2gpu.cli.replay import run_replay
from l2gpu.core.units import NS_PER_S
from l2gpu.pipeline.progress import Progress
from l2gpu.replay.inputs import load_inputs, store_folder
from l2gpu.replay.run import load_run
from l2gpu.replay.words import clock_text
from tests.app.conftest import ROOT

STATUS = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) row ([\d,]+)/2,000 ")


def _replay(capsys, *argv):
    """Run ``l2gpu replay`` (stdout is not a terminal here); return (status, stdout, stderr)."""
    with pytest.raises(SystemExit) as stopped:
        main(["replay", *argv])
    out, err = capsys.readouterr()
    return stopped.value.code, out, err


def _busiest(run):
    """The recorded config with the most fills, and its recorded trades."""
    config = max(run.recorded, key=lambda n: len(run.recorded[n]))
    return config, run.recorded[config]


def test_off_a_terminal_it_prints_each_fill_and_a_status_line_every_20s(logged, capsys):
    run_id = logged.ids["btcusdt", "threshold"]
    run = load_run(run_id, logged.uri)
    config, trades = _busiest(run)
    code, out, err = _replay(
        capsys, run_id, "--config", str(config), "--speed", "0", "--every", "20s",
        "--tracking-uri", logged.uri,
    )  # fmt: skip
    assert code == 0 and err == "", err
    assert "\x1b" not in out, "escape codes in plain output"
    lines = out.splitlines()
    assert f"replay of run {run_id}, config {config} (threshold): signal=" in out
    fills = [line for line in lines if line.startswith("fill ")]
    expected = []
    for trade in trades.itertuples():
        expected.append(f"fill {clock_text(trade.entry_ts)} {'buy ' if trade.size > 0 else 'sell'}")
        expected.append(f"fill {clock_text(trade.exit_ts)} {'sell' if trade.size > 0 else 'buy '}")
    assert [line[: len(e)] for line, e in zip(fills, expected, strict=True)] == expected
    prices = [f"@ {px:,.2f} " for t in trades.itertuples() for px in (t.entry_px, t.exit_px)]
    assert all(p in line for p, line in zip(prices, fills, strict=True))
    inputs = load_inputs(run, ROOT, Progress(Console(file=io.StringIO())))
    ts = inputs.book.host_ts()
    boundaries = ts[0] + 20 * NS_PER_S * np.arange(1, 7)
    rows = sorted({int(r) for r in np.searchsorted(ts, boundaries, side="left") if r < len(ts)})
    status = [m for m in map(STATUS.match, lines) if m is not None]
    assert [int(m[2].replace(",", "")) for m in status] == [*rows, 2000]
    assert [m[1] for m in status] == [clock_text(ts[r - 1]) for r in [*rows, 2000]]
    assert lines[-2] == "equals the run's results table: all 14 metrics, exactly"
    assert lines[-1] == (
        f"its {len(trades)} recorded rows equal the run's recorded trades of config {config} "
        f"(trades_config_{config}.parquet, {len(trades)} rows)"
    )
    assert f"pnl {run.row(config).pnl:,.6g}" in lines[-3]


def test_a_bounded_quote_replay_equals_a_sweep_over_those_rows(logged, capsys):
    run_id = logged.ids["ethusdt", "quote"]
    run = load_run(run_id, logged.uri)
    config, _ = _busiest(run)
    code, out, err = _replay(
        capsys, run_id, "--config", str(config), "--speed", "0", "--until", "40s",
        "--tracking-uri", logged.uri,
    )  # fmt: skip
    assert code == 0 and err == "", err
    inputs = load_inputs(run, ROOT, Progress(Console(file=io.StringIO())))
    ts = inputs.book.host_ts()
    rows = int(np.searchsorted(ts, ts[0] + 40 * NS_PER_S, side="right"))
    book, signals = inputs.first_rows(rows)
    params = run.params(config, STRATEGIES["quote"].columns)
    swept = STRATEGIES["quote"].run(book, signals, params, trades=inputs.trades, record=[0])
    fills = [line for line in out.splitlines() if line.startswith("fill ")]
    expected = swept.trades(0)
    assert len(fills) == len(expected) > 0
    for line, fill in zip(fills, expected.itertuples(), strict=True):
        kind = "maker" if fill.maker else "taker"
        assert (
            line.startswith(f"fill {clock_text(fill.ts)} ")
            and f"({kind}, row {fill.row:,})" in line
        )
    assert f"rows 0 to {rows - 1:,} of 2,000" in out
    assert f"replayed {rows:,} rows: pnl {swept.table.pnl[0]:,.6g}" in out
    assert "so they are not compared" in out


def test_on_a_terminal_it_draws_the_live_view(logged):
    run_id = logged.ids["btcusdt", "quote"]
    run = load_run(run_id, logged.uri)
    config, fills = _busiest(run)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, height=60)
    argv = [run_id, "--config", str(config), "--speed", "0", "--tracking-uri", logged.uri]
    assert run_replay(argv, console) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen.getvalue())
    last = text[text.rindex("book top") :]
    for words in ("position and orders", "finished: every order dropped", "last fills"):
        assert words in last
    tail = fills.tail(3)
    for fill in tail.itertuples():
        assert f"{clock_text(fill.ts)}" in last and f"{fill.px:,.2f}" in last
    assert f"pnl {run.row(config).pnl:+,.4f}" in last
    assert "equals the run's results table: all 15 metrics, exactly" in text


def _one_line_error(capsys, *argv):
    code, _, err = _replay(capsys, *argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("l2gpu replay: ")
    return lines[0]


def test_a_bad_run_id_a_missing_config_and_a_missing_store_are_one_line(logged, capsys, tmp_path):
    uri = ["--tracking-uri", logged.uri]
    assert "no run 'f00' in sqlite:///" in _one_line_error(capsys, "f00", "--config", "0", *uri)
    run_id = logged.ids["ethusdt", "threshold"]
    line = _one_line_error(capsys, run_id, "--config", "8", *uri)
    assert f"config 8 is not in the results table of run {run_id} (configs 0 to 7)" in line
    nowhere = f"sqlite:///{tmp_path}/none.db"
    line = _one_line_error(capsys, run_id, "--config", "0", "--tracking-uri", nowhere)
    assert f"no tracking store at {tmp_path}/none.db" in line
    assert not (tmp_path / "none.db").exists()
    line = _one_line_error(capsys, run_id, "--config", "0", "--until", "50", *uri)
    assert "--until 50: give a duration with its unit ('50s')" in line
    line = _one_line_error(capsys, run_id, "--config", "0", "--speed", "-1", *uri)
    assert "--speed -1.0: give 0" in line


def test_the_store_is_found_by_its_fingerprint_or_rebuilt_from_the_unchanged_recording(
    logged, capsys
):
    run_id = logged.ids["btcusdt", "threshold"]
    argv = [run_id, "--config", "0", "--speed", "0", "--tracking-uri", logged.uri]
    run = load_run(run_id, logged.uri)
    store = store_folder(run, ROOT)
    recording, original = logged.recording, logged.recording.read_bytes()
    aside = store.with_name("aside")
    recording.unlink()
    try:
        code, out, _ = _replay(capsys, *argv)
        assert (
            code == 0
            and f"book store found in the cache (fingerprint {run.fingerprint[:16]})" in out
        )
        store.rename(aside)
        line = _one_line_error(capsys, *argv)
        assert f"the book store of run {run_id} is not in {store} (moved or deleted)" in line
        assert f"its recording {recording} is not there to rebuild it" in line
        recording.write_bytes(original[:-100])
        line = _one_line_error(capsys, *argv)
        assert f"its recording {recording} changed since the run" in line
    finally:
        recording.write_bytes(original)
    code, out, _ = _replay(capsys, *argv)
    assert code == 0 and "book store rebuilt" in out
    assert "equals the run's results table: all 14 metrics, exactly" in out
    assert (store / "book.parquet").read_bytes() == (aside / "book.parquet").read_bytes()


def test_help_lists_the_replay_command(capsys):
    main(["--help"])
    assert "  replay " in capsys.readouterr().out


def test_a_family_without_a_stepper_is_one_line(logged, capsys, monkeypatch):
    import dataclasses

    from omegaconf import DictConfig, OmegaConf

    from l2gpu.replay import run as run_module

    real = load_run(logged.ids["btcusdt", "quote"], logged.uri)
    config = OmegaConf.merge(real.config, {"strategy": {"family": "toy"}})
    assert isinstance(config, DictConfig)
    monkeypatch.setattr(run_module, "load_run", lambda *_: dataclasses.replace(real, config=config))
    line = _one_line_error(capsys, real.run_id, "--config", "0", "--tracking-uri", logged.uri)
    assert f"run {real.run_id} is of the 'toy' family; the replay steps quote, threshold" in line
