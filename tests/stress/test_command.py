"""``l2gpu stress`` end to end on runs of the bundled samples (:mod:`tests.stress.conftest`).

The table is read back from the run's artifacts; its baseline rows are checked against the
run's own results table, its configs against the run's best by pnl, its medians against the
run's metrics.
"""

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from l2gpu.cli.main import main
from l2gpu.replay.run import load_run
from l2gpu.stress import SCENARIOS
from l2gpu.tracking.report import report_from_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _stress(capsys, *argv):
    with pytest.raises(SystemExit) as stopped:
        main(["stress", *argv])
    out, err = capsys.readouterr()
    return stopped.value.code, out, err


def _artifacts(uri, run_id):
    client = MlflowClient(uri)
    listed = {f.path for f in client.list_artifacts(run_id, "stress")}
    folder = Path(tempfile.mkdtemp())
    client.download_artifacts(run_id, "stress", str(folder))
    return listed, folder / "stress", client.get_run(run_id).data.metrics


def _best(results, activity, k):
    """The run's k best configs by pnl among those that traded, written out plainly."""
    traded = [(float(row.pnl), int(i)) for i, row in results.iterrows() if row[activity] > 0]
    traded.sort(key=lambda pair: -pair[0])
    return [i for _, i in traded[:k]]


@pytest.mark.parametrize(
    ("family", "top", "scenarios", "metrics"),
    [
        ("threshold", 3, SCENARIOS.names(), ["pnl", "max_drawdown", "depth_exhausted", "n_trades"]),
        ("quote", 2, ["flash_crash", "spread_widening"], ["pnl", "max_drawdown", "n_fills"]),
    ],
)
def test_the_table_has_every_config_and_scenario_and_its_baseline_is_the_run(
    stress_runs, capsys, family, top, scenarios, metrics
):
    ids, uri = stress_runs
    run_id = ids[family]
    argv = [run_id, "--top", str(top), "--tracking-uri", uri, "--seed", "3"]
    if family == "quote":
        argv += ["--scenarios", ",".join(scenarios)]
    code, out, err = _stress(capsys, *argv)
    assert code == 0, err
    assert f"logged {top * (len(scenarios) + 1)} rows" in out
    listed, folder, logged = _artifacts(uri, run_id)
    assert listed == {"stress/robustness.csv", "stress/robustness.png", "stress/scenarios.json"}
    assert (folder / "robustness.png").read_bytes().startswith(PNG_MAGIC)
    table = pd.read_csv(folder / "robustness.csv")
    assert list(table.columns) == ["config", "scenario", *metrics]
    run = load_run(run_id, uri)
    configs = _best(run.results, metrics[-1], top)
    expected = {(c, s) for c in configs for s in ["baseline", *scenarios]}
    assert set(zip(table.config, table.scenario, strict=True)) == expected
    assert len(table) == len(expected)
    baseline = table[table.scenario == "baseline"].set_index("config").loc[configs, metrics]
    original = run.results.loc[configs, metrics]
    np.testing.assert_array_equal(baseline.to_numpy(float), original.to_numpy(float))
    for scenario in ["baseline", *scenarios]:
        rows = table[table.scenario == scenario]
        for metric in metrics:
            assert logged[f"stress.{scenario}.{metric}_median"] == pytest.approx(
                float(np.median(rows[metric])), rel=1e-12
            )


def test_a_scenario_changes_what_the_configs_see(stress_runs, capsys):
    ids, uri = stress_runs
    code, _, err = _stress(
        capsys, ids["threshold"], "--top", "2", "--scenarios", "spread_widening",
        "--tracking-uri", uri,
    )  # fmt: skip
    assert code == 0, err
    _, folder, _ = _artifacts(uri, ids["threshold"])
    table = pd.read_csv(folder / "robustness.csv").set_index(["scenario", "config"])
    # Moving a whole side leaves imbalance and OFI as they were and the small grid has no price
    # exits, so the same trades fill two ticks worse at entry and at exit.
    wide, base = table.loc["spread_widening"], table.loc["baseline"]
    traded = base.n_trades > 0
    assert (wide.pnl[traded] < base.pnl[traded]).all()


def test_set_replaces_parameters_and_neutral_ones_give_the_baseline(stress_runs, capsys):
    ids, uri = stress_runs
    code, _, err = _stress(
        capsys, ids["threshold"], "--top", "3", "--scenarios", "flash_crash,liquidity_drought",
        "--set", "flash_crash.shock_bps=0", "--set", "flash_crash.withdraw=0",
        "--set", "liquidity_drought.factor=1", "--tracking-uri", uri,
    )  # fmt: skip
    assert code == 0, err
    _, folder, _ = _artifacts(uri, ids["threshold"])
    table = pd.read_csv(folder / "robustness.csv")
    base = table[table.scenario == "baseline"].drop(columns="scenario").reset_index(drop=True)
    for scenario in ("flash_crash", "liquidity_drought"):
        rows = table[table.scenario == scenario].drop(columns="scenario").reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, base)
    settings = json.loads((folder / "scenarios.json").read_text())
    assert settings["seed"] == 0
    assert settings["scenarios"]["flash_crash"] == {
        "shock_bps": 0, "fall": "10s", "hold": "5s", "recovery": "30s", "withdraw": 0,
        "levels": 5,
    }  # fmt: skip
    assert settings["scenarios"]["liquidity_drought"] == {"factor": 1}


def test_the_run_report_shows_the_robustness_table(stress_runs, capsys, tmp_path):
    ids, uri = stress_runs
    code, _, err = _stress(
        capsys, ids["quote"], "--top", "1", "--scenarios", "bursts", "--tracking-uri", uri
    )
    assert code == 0, err
    page = report_from_run(ids["quote"], uri, tmp_path / "report.html").read_text()
    # The section runs to the run's own plots (each under an <h3>).
    section = page.split("<h2>Top configs under stress scenarios</h2>")[1].split("<h3>")[0]
    assert "<td>bursts</td>" in section and "<td>baseline</td>" in section
    assert section.count("<img src='data:image/png;base64,") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "no run 'nope' in"),
        (["RUN", "--scenarios", "tsunami"], "unknown stress scenario 'tsunami'; known: bursts"),
        (["RUN", "--scenarios", ","], "names no scenario"),
        (["RUN", "--top", "0"], "--top 0: stress at least 1 config"),
        (["RUN", "--set", "flash_crash.shock=1"], "flash_crash has no parameter 'shock'"),
        (["RUN", "--set", "flash_crash"], "write SCENARIO.PARAM=VALUE"),
        (
            ["RUN", "--scenarios", "bursts", "--set", "stale_gaps.width=5s"],
            "'stale_gaps' is not among the scenarios run (bursts)",
        ),
        (["RUN", "--set", "flash_crash.shock_bps=abc"], "shock_bps must be in [0, 5000]"),
        (["RUN", "--set", "stale_gaps.width=5"], "width 5 must be a duration such as '10s'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(stress_runs, capsys, argv, message):
    ids, uri = stress_runs
    argv = [ids["threshold"] if a == "RUN" else a for a in argv]
    code, _, err = _stress(capsys, *argv, "--tracking-uri", uri)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err
