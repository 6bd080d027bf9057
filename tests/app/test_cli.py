"""The command line as users meet it: one-line refusals, help, version, ui help."""

import subprocess
import sys

import pytest

from l2gpu.cli.main import main
from l2gpu.version import __version__

REFUSED = [
    ("execution.fees.taker_fee_bps=nan", "execution.fees.taker_fee_bps: nan is not a finite"),
    ("execution.fees.taker_fee_bps=-1", "execution.fees.taker_fee_bps: -1.0 is below 0"),
    ("strategy.entry=[]", "strategy.entry: the list is empty"),
    ("sweep.batch_size=0", "sweep.batch_size: must be a whole number above 0, got 0"),
    ("sweep.n_trials=0", "sweep.n_trials: must be a whole number above 0, got 0"),
    ("sweep.objectives=[pnl,profit]", "sweep.objectives: 'profit' is not a metric"),
    ("sweep.sampler=grid", "sweep.sampler: unknown sampler 'grid'; choose one of"),
    ("sweep=optuna sweep.objectives=[n_trades]", "sweep.objectives: unknown objective(s)"),
    ("sweep=optuna sweep.sampler=cmaes sweep.objectives=[pnl,sharpe]", "cmaes optimises one"),
    ("features.names=[ofx_2s]", "features.names: unknown feature 'ofx_2s'; known: cvd"),
    ("features.names=[fwd_ret_2s]", "features.names: 'fwd_ret_2s' is a label"),
    ("features.names=[]", "features.names: the list is empty"),
    ("strategy.direction=[up]", "strategy.direction: direction 'up' is not one of"),
    ("sweep.sharpe_bucket=100", "sweep.sharpe_bucket: '100' must be a duration"),
    ("data.paths=[]", "data.paths: the list is empty"),
    ("backend.workers=0", "backend.workers: 0; use 1 (this process) or more"),
    ("backend.devices=[0,0]", "backend.devices: [0, 0] must be distinct GPU ids"),
    ("backend.workers=2 backend.devices=[0]", "shard over one or the other"),
    ("backend.workers=2 backend.engine=gpu", "shard over GPUs with backend.devices"),
    ("backend.devices=[1] backend.engine=cpu", "backend.devices: [1] with engine 'cpu'"),
]


@pytest.mark.parametrize(("override", "expected"), REFUSED)
def test_a_refused_value_is_one_line_exit_2_and_no_run(
    override, expected, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(override.split())
    assert stopped.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("l2gpu: bad config: ") and expected in lines[0], lines[0]
    assert list(tmp_path.iterdir()) == [], "a refused config must leave nothing behind"


def test_help_lists_the_commands_and_every_config_group(capsys):
    main(["--help"])
    text = capsys.readouterr().out
    for command in ("run", "ingest", "ui", "report"):
        assert f"  {command} " in text
    for group in ("backend", "data", "eval", "execution/fees", "features", "strategy", "sweep"):
        assert f"  {group} " in text
    assert "sweep               grid, optuna" in text
    assert "strategy            threshold, quote, small" in text


def test_version(capsys):
    main(["--version"])
    assert capsys.readouterr().out.strip() == f"l2gpu {__version__}"


def test_ui_help_names_host_and_port():
    done = subprocess.run(
        [sys.executable, "-m", "l2gpu.cli.main", "ui", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "--host" in done.stdout and "--port" in done.stdout
