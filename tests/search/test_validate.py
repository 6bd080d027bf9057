"""A bad search config is refused before any work, with one line naming the setting."""

from __future__ import annotations

from typing import Any

import pytest

from l2gpu.search import complete_study, open_study, validate_search
from tests.search.toy import SPACE, Recorder, spec

GOOD: dict[str, Any] = {"sampler": "tpe", "objectives": ["pnl"], "n_trials": 100, "batch_size": 10}
ONE_VALUE_EACH = {name: values[:1] for name, values in SPACE.items()}
NO_RANGES = {**SPACE, "entry": [0.5], "exit": [0.0], "stop_loss_bps": [0.0]}
NO_RANGES["take_profit_bps"] = [0.0]


@pytest.mark.parametrize(
    ("change", "setting", "words"),
    [
        ({"sampler": "grid"}, "sweep.sampler", "cmaes, nsga2, qmc, random, tpe"),
        ({"sampler": "cmaes", "objectives": ["pnl", "sharpe"]}, "sweep.sampler", "keep one"),
        ({"objectives": ["profit"]}, "sweep.objectives", "choose from"),
        ({"objectives": []}, "sweep.objectives", "one or more"),
        ({"objectives": "pnl"}, "sweep.objectives", "a list"),
        ({"objectives": ["pnl", "pnl"]}, "sweep.objectives", "twice"),
        ({"n_trials": 0}, "sweep.n_trials", "above 0"),
        ({"n_trials": 2.5}, "sweep.n_trials", "whole number"),
        ({"batch_size": -5}, "sweep.batch_size", "above 0"),
        ({"batch_size": True}, "sweep.batch_size", "whole number"),
        ({"seed": -1}, "sweep.seed", "[0, 4294967295]"),
        ({"storage": "redis://host"}, "sweep.storage", "sqlite:///"),
        ({"study_name": "my study/1"}, "sweep.study_name", "letters, digits"),
        ({"space": ONE_VALUE_EACH}, "sweep", "nothing to search"),
        ({"sampler": "cmaes", "space": NO_RANGES}, "sweep.sampler", "float ranges"),
        ({"space": {**SPACE, "entry": []}}, "search space", "no values"),
        ({"space": {**SPACE, "entry": [0.2, "high"]}}, "search space", "must be numbers"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(change, setting, words):
    with pytest.raises(ValueError) as error:
        validate_search(**{**GOOD, **change})
    message = str(error.value)
    assert message.startswith(f"{setting}:") and words in message and "\n" not in message


def test_good_settings_pass():
    validate_search(**GOOD, space=SPACE, storage="sqlite:///x.db", study_name="btc-1.a_b")
    validate_search(**{**GOOD, "sampler": "nsga2", "objectives": ["pnl", "max_drawdown"]})


def test_open_study_refuses_what_validate_refuses(tmp_path):
    with pytest.raises(ValueError, match=r"^sweep\.sampler: unknown sampler 'grid'"):
        open_study(spec(tmp_path, "grid"))
    with pytest.raises(ValueError, match=r"^sweep\.sampler: cmaes optimises one objective"):
        open_study(spec(tmp_path, "cmaes", objectives=("pnl", "sharpe")))
    with pytest.raises(ValueError, match=r"^sweep\.storage"):
        open_study(spec(tmp_path, storage="journal-file.log"))
    assert not list(tmp_path.iterdir()), "nothing is written for a refused config"


def test_a_sampler_that_cannot_search_the_space_stops_before_evaluating(tmp_path):
    evaluate = Recorder()
    with pytest.raises(ValueError, match=r"^sweep\.sampler: cmaes searches float ranges"):
        complete_study(open_study(spec(tmp_path, "cmaes")), 10, 5, NO_RANGES, evaluate)
    assert evaluate.calls == []
