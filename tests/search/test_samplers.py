"""Every sampler the config admits works, and each proposes what it says it does."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from scipy.stats import qmc

from l2gpu.search import SAMPLERS, SearchSpace, complete_study, open_study
from l2gpu.search.cma import GENERATION_KEY, STATE_PREFIX
from l2gpu.search.objectives import WORST
from l2gpu.search.proposers import QMC_INDEX_KEY
from tests.search.toy import BEST_ENTRY, SPACE, Recorder, spec

PARAMS = list(SPACE)


def in_space(table: pd.DataFrame) -> bool:
    for name, values in SPACE.items():
        column = table[name]
        if name in ("entry", "exit", "stop_loss_bps", "take_profit_bps"):
            if not column.between(min(values), max(values)).all():
                return False
        elif not column.isin(values).all():
            return False
    return True


@pytest.mark.parametrize("sampler", SAMPLERS.names())
def test_every_sampler_runs_a_study_in_batches(tmp_path, sampler):
    evaluate = Recorder()
    result = complete_study(open_study(spec(tmp_path, sampler)), 24, 8, SPACE, evaluate)
    assert [len(c) for c in evaluate.calls] == [8, 8, 8]
    assert list(result.table.trial) == list(range(24)) and result.bucket_pnl.shape == (3, 24)
    assert in_space(result.table)
    assert result.table[PARAMS].drop_duplicates().shape[0] == 24
    told = [t.values[0] for t in result.study.get_trials()]
    want = np.where(np.isfinite(result.table.pnl), result.table.pnl, -WORST)
    assert told == want.tolist()


@pytest.mark.parametrize("sampler", [n for n, e in SAMPLERS.items() if e.several_objectives])
def test_samplers_for_several_objectives_take_two(tmp_path, sampler):
    handle = open_study(spec(tmp_path, sampler, objectives=("pnl", "max_drawdown")))
    result = complete_study(handle, 16, 8, SPACE, Recorder())
    assert [d.name for d in result.study.directions] == ["MAXIMIZE", "MINIMIZE"]
    values = np.array([t.values for t in result.study.get_trials()])
    assert values.tolist() == result.table[["pnl", "max_drawdown"]].to_numpy().tolist()


def test_the_sharpe_objective_tells_a_config_without_trades_as_worst(tmp_path):
    result = complete_study(
        open_study(spec(tmp_path, objectives=("sharpe",))), 30, 10, SPACE, Recorder()
    )
    told = np.array([t.values[0] for t in result.study.get_trials()])
    never_traded = result.table.sharpe.isna().to_numpy()
    assert never_traded.any() and (told[never_traded] == -WORST).all()


def test_random_proposes_what_plain_optuna_proposes_with_the_same_seed(tmp_path):
    result = complete_study(open_study(spec(tmp_path, seed=3)), 30, 7, SPACE, Recorder())
    reference = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    rows = []
    for _ in range(30):
        trial = reference.ask()
        row = {}
        for name, values in SPACE.items():
            if len(values) == 1:
                row[name] = values[0]
            elif name in ("entry", "exit", "stop_loss_bps", "take_profit_bps"):
                row[name] = trial.suggest_float(name, min(values), max(values))
            else:
                row[name] = trial.suggest_categorical(name, values)
        rows.append(row)
    pd.testing.assert_frame_equal(result.table[PARAMS], pd.DataFrame(rows), check_dtype=False)


def test_qmc_draws_one_sobol_sequence_for_the_whole_study(tmp_path):
    complete_study(open_study(spec(tmp_path, "qmc", seed=5)), 12, 5, SPACE, Recorder())
    # A rerun (another worker) carries on the same sequence where the first run stopped.
    result = complete_study(open_study(spec(tmp_path, "qmc", seed=5)), 32, 8, SPACE, Recorder())
    indices = [t.system_attrs[QMC_INDEX_KEY] for t in result.study.get_trials()]
    assert indices == list(range(32))
    searched = [n for n, v in SPACE.items() if len(v) > 1]
    points = qmc.Sobol(len(searched), rng=5).random(32)
    for name, column in zip(searched, points.T, strict=True):
        values = SPACE[name]
        if name in ("entry", "exit", "stop_loss_bps", "take_profit_bps"):
            want = min(values) + column * (max(values) - min(values))
            np.testing.assert_allclose(result.table[name], want, rtol=0, atol=1e-12)
        else:
            want = [values[int(u * len(values))] for u in column]
            assert result.table[name].tolist() == want


def _distance_to_best(table: pd.DataFrame) -> float:
    return float(np.abs(table.entry - BEST_ENTRY).mean())


def test_cmaes_moves_towards_the_best_entry_generation_by_generation(tmp_path):
    result = complete_study(open_study(spec(tmp_path, "cmaes")), 160, 16, SPACE, Recorder())
    generations = [t.system_attrs[GENERATION_KEY] for t in result.study.get_trials()]
    assert generations == [g for g in range(10) for _ in range(16)]
    first, last = result.table.iloc[:16], result.table.iloc[-16:]
    assert _distance_to_best(last) < _distance_to_best(first) / 4


def test_tpe_moves_towards_the_best_entry(tmp_path):
    result = complete_study(open_study(spec(tmp_path, "tpe")), 100, 20, SPACE, Recorder())
    first, last = result.table.iloc[:20], result.table.iloc[-20:]
    assert _distance_to_best(last) < _distance_to_best(first) / 2


def test_a_rerun_carries_the_cmaes_search_on(tmp_path):
    complete_study(open_study(spec(tmp_path, "cmaes")), 48, 16, SPACE, Recorder())
    handle = open_study(spec(tmp_path, "cmaes"))
    result = complete_study(handle, 80, 16, SPACE, Recorder())
    generations = [t.system_attrs[GENERATION_KEY] for t in result.study.get_trials()]
    assert generations == [g for g in range(5) for _ in range(16)]
    attrs = handle.study.user_attrs
    assert attrs[f"{STATE_PREFIX}0"] == {"adopted_by": 1}
    assert attrs[f"{STATE_PREFIX}1"]["generation"] == 5


def test_a_last_batch_smaller_than_the_population_is_run_but_not_told(tmp_path):
    result = complete_study(open_study(spec(tmp_path, "cmaes")), 20, 16, SPACE, Recorder())
    assert len(result.table) == 20
    assert result.study.user_attrs[f"{STATE_PREFIX}0"]["generation"] == 1


def test_the_space_keeps_fixed_values_and_ranges(tmp_path):
    space = SearchSpace.from_lists(SPACE)
    assert space.fixed == {"size": 0.01, "cooldown": 0}
    assert space.ranged == ["entry", "exit", "stop_loss_bps", "take_profit_bps"]
    assert list(space.distributions) == [n for n in SPACE if n not in space.fixed]
    unit = np.array([[0.0] * 8, [0.999999] * 8])
    low, high = space.from_unit(unit)
    assert (low["entry"], high["entry"]) == (0.2, pytest.approx(0.8, abs=1e-5))
    assert (low["max_hold"], high["max_hold"]) == (50, "5s")
