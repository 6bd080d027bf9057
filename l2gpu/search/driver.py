"""Run a study to ``n_trials`` complete trials in batches: one sweep launch per batch.

Each round, holding the study lock, a worker counts the study's trials, then either reclaims
RUNNING trials whose worker is gone (:mod:`l2gpu.search.workers`), or creates the next batch
from its proposer (at most the trials still missing once every live worker's trials in flight
are counted), each trial written whole in one storage operation. Without the lock it evaluates
the batch in one call of ``evaluate`` and keeps the results rows and bucket pnl
(:mod:`l2gpu.search.results`); holding the lock again it tells the values. A reclaimed trial
whose results were already kept is told from them, not evaluated again. When only other live
workers' trials remain, it waits for them. The run ends when the study holds ``n_trials``
complete trials, and returns the whole study, every worker's and every earlier run's trials.

If ``evaluate`` raises an ``Exception``, the batch's trials are marked FAIL (with the error in
the user attribute ``l2gpu.error``) and the error propagates; FAIL trials do not count towards
``n_trials``. See ``docs/search.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from l2gpu.search.results import assemble
from l2gpu.search.rounds import Evaluate, StudyRun
from l2gpu.search.space import SearchSpace
from l2gpu.search.study import StudyHandle
from l2gpu.search.validate import check_space
from l2gpu.search.workers import WORKER_KEY

POLL_S = 0.5
"""Seconds between looks at the study while other workers finish its last trials."""


@dataclass
class StudyResult:
    """The whole study after a run: every complete trial, whoever ran it.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per complete trial, by trial number: the parameters and metrics of
        ``SweepResult.table``, then ``trial``.
    bucket_pnl : numpy.ndarray
        ``[buckets, len(table)]`` equity change per Sharpe bucket, quote currency, in the
        table's order.
    study : optuna.Study
        The stored Optuna study.
    evaluated : int
        Trials this run evaluated.
    done_before : int
        Complete trials the study held when this run began.
    reclaimed : int
        Trials of gone workers this run finished (evaluated or told from kept results).
    told_elsewhere : int
        Trials this run evaluated that another worker finished first (it had judged this
        worker gone: a heartbeat older than ``stale_after_s``).
    repairs : list of str
        Repairs made to the stored study.
    """

    table: pd.DataFrame
    bucket_pnl: np.ndarray
    study: optuna.Study
    evaluated: int = 0
    done_before: int = 0
    reclaimed: int = 0
    told_elsewhere: int = 0
    repairs: list[str] = field(default_factory=list)


def whole_study(run: StudyRun) -> StudyResult:
    """Return every complete trial of the study with its kept results."""
    trials = run.storage.get_all_trials(
        run.handle.study_id, deepcopy=False, states=(TrialState.COMPLETE,)
    )
    owners = {t.number: t.user_attrs.get(WORKER_KEY) for t in trials}
    table, bucket_pnl, missing = assemble(run.handle.store.load(), owners)
    if missing:
        where = run.handle.folder or "memory"
        raise ValueError(
            f"study {run.handle.name!r} has {len(missing)} complete trial(s) (first: "
            f"{missing[:5]}) whose results are not kept in {where}: it was run without "
            "them; use another sweep.study_name to start a new study"
        )
    return StudyResult(
        table,
        bucket_pnl,
        run.handle.study,
        run.evaluated,
        run.done_before or 0,
        run.reclaimed,
        run.told_elsewhere,
        list(run.handle.storage.repairs),
    )


def complete_study(
    handle: StudyHandle,
    n_trials: int,
    batch_size: int,
    space: Mapping[str, Iterable[Any]] | SearchSpace,
    evaluate: Evaluate,
    *,
    on_batch: Callable[[int, int], None] | None = None,
) -> StudyResult:
    """Run ``handle``'s study until it holds ``n_trials`` complete trials; return it whole.

    Parameters
    ----------
    handle : StudyHandle
        From :func:`l2gpu.search.study.open_study`.
    n_trials : int
        Complete trials the study should hold (a study holding as many or more is returned
        as it is, with nothing evaluated).
    batch_size : int
        Trials per ``evaluate`` call.
    space : mapping of str to list, or SearchSpace
        What is searched (:class:`~l2gpu.search.space.SearchSpace`); suggested in this order.
    evaluate : callable
        ``evaluate(configs) -> SweepResult``: ``configs`` has one row per trial and one column
        per parameter of the space; the result has one ``table`` row per config, in order,
        and ``bucket_pnl`` ``[buckets, configs]``.
    on_batch : callable, optional
        ``on_batch(complete, n_trials)`` after each batch, and while waiting for other workers.
    """
    return whole_study(run_rounds(handle, n_trials, batch_size, space, evaluate, on_batch))


def run_rounds(
    handle: StudyHandle,
    n_trials: int,
    batch_size: int,
    space: Mapping[str, Iterable[Any]] | SearchSpace,
    evaluate: Evaluate,
    on_batch: Callable[[int, int], None] | None = None,
) -> StudyRun:
    """Run the rounds of :func:`complete_study` and return the run (its counts and worker)."""
    if not isinstance(space, SearchSpace):
        space = SearchSpace.from_lists(space)
    for setting, value in (("sweep.n_trials", n_trials), ("sweep.batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{setting}: must be a whole number above 0, got {value!r}")
    check_space(space, handle.sampler)
    run = StudyRun(handle, space, n_trials, batch_size)
    try:
        while True:
            with handle.storage.lock():
                state, batch, complete = run.plan()
            if state == "done":
                return run
            if state == "wait":
                if on_batch:
                    on_batch(complete, n_trials)
                time.sleep(POLL_S)
                continue
            assert batch is not None
            try:
                values = run.evaluate(batch, evaluate)
            except Exception as error:
                with handle.storage.lock():
                    run.fail(batch, error)
                raise
            with handle.storage.lock():
                run.tell(batch, values)
            if run.heartbeat is not None and run.heartbeat.error is not None:
                raise RuntimeError(
                    f"the heartbeat of study {handle.name!r} failed: {run.heartbeat.error}"
                )
            if on_batch:
                on_batch(min(complete + len(batch.numbers), n_trials), n_trials)
    finally:
        run.close()
