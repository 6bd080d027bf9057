"""The call form ``l2gpu/cli/job.py`` uses today, on the new driver.

The job still builds its own SQLite study, passes it in with its sampler, and collects the
per-bucket pnl of each batch itself. :func:`run_study` runs that study with
:func:`l2gpu.search.driver.run_rounds` (trial ownership, reclaiming only gone workers' trials)
and returns, as before, the results of the batches this call evaluated. Once the job opens its
study with :func:`l2gpu.search.open_study` and runs it with
:func:`l2gpu.search.complete_study`, this module goes.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
import pandas as pd

from l2gpu.search.driver import run_rounds
from l2gpu.search.objectives import MAXIMISE
from l2gpu.search.proposers import OptunaProposer, Proposer, ProposerContext
from l2gpu.search.results import WORKER_COLUMN, MemoryStore
from l2gpu.search.rounds import Evaluate
from l2gpu.search.storage import StudyStorage
from l2gpu.search.study import StudyHandle

__all__ = ["MAXIMISE", "make_sampler", "run_study"]


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """Return the Optuna sampler called ``name``, as the job has always built it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if name == "tpe":
            return optuna.samplers.TPESampler(seed=seed, multivariate=True)
        if name == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
        if name == "qmc":
            return optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    raise ValueError(
        f"sweep.sampler: unknown sampler {name!r}; choose one of cmaes, nsga2, qmc, random, tpe"
    )


def run_study(
    study: optuna.Study,
    n_trials: int,
    batch_size: int,
    space: Mapping[str, Sequence[Any]],
    signals: Sequence[str],
    to_params: Callable[[list[dict[str, Any]]], pd.DataFrame],
    evaluate: Evaluate,
    objectives: Sequence[str],
    on_batch: Callable[[int, int], None] | None = None,
) -> list[pd.DataFrame]:
    """Run ``study`` until it holds ``n_trials`` complete trials; return each batch's results.

    ``signal`` is searched first, then ``space`` in order; ``to_params`` turns suggested
    configs into sweep parameters (scaling thresholds); ``evaluate`` runs one sweep launch.
    """

    def proposer(context: ProposerContext) -> Proposer:
        uses_history = not isinstance(study.sampler, optuna.samplers.RandomSampler)
        return OptunaProposer(study.sampler, context.space, context.directions, uses_history)

    storage = study._storage  # the job built it; this adapter only borrows it
    handle = StudyHandle(
        study.study_name,
        study,
        StudyStorage(storage, contextlib.nullcontext, f"study {study.study_name}", True),
        MemoryStore(),
        tuple(objectives),
        proposer,
        seed=0,
    )
    run_rounds(
        handle,
        n_trials,
        batch_size,
        {"signal": list(signals), **space},
        lambda configs: evaluate(to_params(configs.to_dict("records"))),
        on_batch,
    )
    return [batch.table.drop(columns=WORKER_COLUMN) for batch in handle.store.load()]
