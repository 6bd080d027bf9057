"""The rounds of a study run: plan a batch under the lock, evaluate it, tell it.

See :mod:`l2gpu.search.driver` for the whole run and ``docs/search.md`` for the rules.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from l2gpu.backend.arrays import to_device
from l2gpu.backtest.result import SweepResult
from l2gpu.search.objectives import directions as objective_directions
from l2gpu.search.objectives import objective_values
from l2gpu.search.proposers import Proposal, Proposer, ProposerContext
from l2gpu.search.results import WORKER_COLUMN
from l2gpu.search.space import SearchSpace
from l2gpu.search.study import StudyHandle
from l2gpu.search.workers import (
    RECLAIMED_KEY,
    WORKER_KEY,
    Heartbeat,
    Judge,
    Worker,
    next_ordinal,
    worker_seed,
)

log = logging.getLogger(__name__)
Evaluate = Callable[[pd.DataFrame], SweepResult]
ERROR_KEY = "l2gpu.error"
"""Trial user attribute of a FAIL trial: the error ``evaluate`` raised."""

_ACTIVE: dict[str, set[int]] = {}
"""Per study open in this process: ordinals of its workers still running here."""
_ACTIVE_LOCK = threading.Lock()


@dataclass
class Batch:
    """The trials of one round.

    Numbers, storage ids and configs, with the proposals behind them (``None`` for a
    reclaimed trial).
    """

    numbers: list[int]
    trial_ids: list[int]
    configs: list[dict[str, Any]]
    proposals: list[Proposal | None]
    reclaimed: int = 0


class _Attrs:
    """The study's user attributes through its storage (a :class:`StudyAttrs`)."""

    def __init__(self, storage: optuna.storages.BaseStorage, study_id: int) -> None:
        self._storage, self._study_id = storage, study_id

    def all(self) -> dict[str, Any]:
        return dict(self._storage.get_study_user_attrs(self._study_id))

    def set(self, key: str, value: Any) -> None:
        self._storage.set_study_user_attr(self._study_id, key, value)


class StudyRun:
    """One run of a study by this process: its worker, proposer, counts (see the driver)."""

    def __init__(
        self, handle: StudyHandle, space: SearchSpace, n_trials: int, batch_size: int
    ) -> None:
        self.handle, self.space = handle, space
        self.n_trials, self.batch_size = n_trials, batch_size
        self.storage = handle.storage.storage
        self.attrs = _Attrs(self.storage, handle.study_id)
        self.directions = objective_directions(handle.objectives)
        self.worker: Worker | None = None
        self.proposer: Proposer | None = None
        self.heartbeat: Heartbeat | None = None
        self.known: set[int] = set()  # complete trials the proposer has seen
        self.done_before: int | None = None
        self.evaluated = self.reclaimed = self.told_elsewhere = 0
        self.batches = 0

    # -- under the study lock -------------------------------------------------------------

    def plan(self) -> tuple[str, Batch | None, int]:
        """Return ``("done" | "wait" | "run", batch, complete trials)`` (lock held)."""
        trials = self.storage.get_all_trials(self.handle.study_id, deepcopy=False)
        complete: list[FrozenTrial] = []
        running: list[FrozenTrial] = []
        for trial in trials:
            if trial.state == TrialState.COMPLETE:
                complete.append(trial)
            elif trial.state == TrialState.RUNNING:
                running.append(trial)
        if self.done_before is None:
            self.done_before = len(complete)
        if len(complete) >= self.n_trials:
            return "done", None, len(complete)
        worker = self._register(trials)
        attrs = self.attrs.all()
        judge = self._judge(attrs)
        gone = [t for t in running if self._owner_gone(t, judge)]
        if gone:
            return "run", self._reclaim(gone[: self.batch_size], worker), len(complete)
        left = self.n_trials - len(complete) - len(running)
        if left <= 0:
            return "wait", None, len(complete)
        proposer = self._proposer(judge)
        new = [t for t in complete if t.number not in self.known]
        proposer.mirror(new)
        self.known.update(t.number for t in new)
        proposals = proposer.propose(min(self.batch_size, left))
        batch = Batch([], [], [], [])
        for proposal in proposals:
            template = optuna.trial.create_trial(
                state=TrialState.RUNNING,
                params=proposal.params,
                distributions={n: self.space.distributions[n] for n in proposal.params},
                user_attrs=worker.trial_attrs(),
                system_attrs=proposal.system_attrs,
            )
            trial_id = self.storage.create_new_trial(self.handle.study_id, template)
            batch.numbers.append(self.storage.get_trial_number_from_id(trial_id))
            batch.trial_ids.append(trial_id)
            batch.configs.append(self.space.config(proposal.params))
            batch.proposals.append(proposal)
        self._beat()
        return "run", batch, len(complete)

    def tell(self, batch: Batch, values: np.ndarray) -> None:
        """Tell the batch's values; learn from this worker's own proposals (lock held)."""
        for trial_id, row in zip(batch.trial_ids, values, strict=True):
            try:
                self.storage.set_trial_state_values(
                    trial_id, TrialState.COMPLETE, [float(v) for v in row]
                )
            except optuna.exceptions.UpdateFinishedTrialError:
                self.told_elsewhere += 1
        own = [i for i, p in enumerate(batch.proposals) if p is not None]
        if own and self.proposer is not None:
            proposals = [p for p in batch.proposals if p is not None]
            self.proposer.observe(proposals, values[own])
            self.known.update(batch.numbers[i] for i in own)
        self._beat()

    def fail(self, batch: Batch, error: Exception) -> None:
        """Mark the batch's trials FAIL with the error (lock held)."""
        message = f"{type(error).__name__}: {error}"[:500]
        for trial_id in batch.trial_ids:
            try:
                self.storage.set_trial_user_attr(trial_id, ERROR_KEY, message)
                self.storage.set_trial_state_values(trial_id, TrialState.FAIL)
            except optuna.exceptions.UpdateFinishedTrialError:
                continue

    def _register(self, trials: list[FrozenTrial]) -> Worker:
        if self.worker is None:
            owners = (int(t.user_attrs[WORKER_KEY]) for t in trials if WORKER_KEY in t.user_attrs)
            ordinal = next_ordinal(self.attrs.all(), owners)
            self.worker = Worker.this_process(ordinal)
            with _ACTIVE_LOCK:
                _ACTIVE.setdefault(self.handle.key, set()).add(ordinal)
            self._beat()
            self.heartbeat = Heartbeat(self._beat, self.handle.heartbeat_s)
            self.heartbeat.start()
        return self.worker

    def _beat(self) -> None:
        assert self.worker is not None
        self.attrs.set(self.worker.record_key, self.worker.record())

    def _judge(self, attrs: Mapping[str, Any]) -> Judge:
        assert self.worker is not None
        with _ACTIVE_LOCK:
            active = set(_ACTIVE.get(self.handle.key, set()))
        return Judge(self.worker, active, attrs, self.handle.stale_after_s)

    def _owner_gone(self, trial: FrozenTrial, judge: Judge) -> bool:
        if WORKER_KEY in trial.user_attrs:
            return judge.owner_gone(trial.user_attrs)
        # A trial that no l2gpu worker owns: gone once it has run for longer than a heartbeat
        # may be missing.
        started = trial.datetime_start.timestamp() if trial.datetime_start else None
        return judge.heartbeat_stale(started)

    def _reclaim(self, gone: list[FrozenTrial], worker: Worker) -> Batch:
        batch = Batch([], [], [], [], reclaimed=len(gone))
        for trial in gone:
            missing = set(self.space.distributions) - set(trial.params)
            if missing:
                raise ValueError(
                    f"trial {trial.number} of study {self.handle.name!r} has no value for "
                    f"{sorted(missing)}: it was not created by this search; use another "
                    "sweep.study_name"
                )
            trial_id = self.storage.get_trial_id_from_study_id_trial_number(
                self.handle.study_id, trial.number
            )
            for key, value in {
                **worker.trial_attrs(),
                RECLAIMED_KEY: trial.user_attrs.get(WORKER_KEY),
            }.items():
                self.storage.set_trial_user_attr(trial_id, key, value)
            batch.numbers.append(trial.number)
            batch.trial_ids.append(trial_id)
            batch.configs.append(self.space.config(trial.params))
            batch.proposals.append(None)
        log.info("reclaiming %d trial(s) of gone workers", len(gone))
        self._beat()
        return batch

    def _proposer(self, judge: Judge) -> Proposer:
        if self.proposer is None:
            assert self.worker is not None
            context = ProposerContext(
                self.space,
                self.directions,
                self.handle.seed,
                worker_seed(self.handle.seed, self.worker.ordinal),
                self.batch_size,
                self.worker,
                self.attrs,
                judge,
            )
            self.proposer = self.handle.proposer_factory(context)
        return self.proposer

    # -- without the lock -----------------------------------------------------------------

    def evaluate(self, batch: Batch, evaluate: Evaluate) -> np.ndarray:
        """Evaluate what is not kept yet, keep it, and return the batch's values."""
        assert self.worker is not None
        kept = self._kept(batch.numbers) if batch.reclaimed else {}
        todo = [i for i, number in enumerate(batch.numbers) if number not in kept]
        values = np.empty((len(batch.numbers), len(self.handle.objectives)))
        for i, number in enumerate(batch.numbers):
            if number in kept:
                values[i] = objective_values(kept[number], self.handle.objectives)[0]
        if todo:
            configs = pd.DataFrame([batch.configs[i] for i in todo], columns=list(self.space.names))
            result = evaluate(configs)
            table, bucket_pnl = _checked(result, len(todo))
            table = table.assign(trial=[batch.numbers[i] for i in todo])
            stored = table.assign(**{WORKER_COLUMN: self.worker.ordinal})
            name = f"w{self.worker.ordinal:05d}-b{self.batches:06d}"
            self.handle.store.write(name, stored, bucket_pnl)
            self.batches += 1
            values[todo] = objective_values(table, self.handle.objectives)
            self.evaluated += len(todo)
        self.reclaimed += batch.reclaimed
        return values

    def _kept(self, numbers: Iterable[int]) -> dict[int, pd.DataFrame]:
        """Rows already kept for any of ``numbers`` (a gone worker stored, then died)."""
        wanted = set(numbers)
        kept: dict[int, pd.DataFrame] = {}
        for stored in self.handle.store.load():
            for row, trial in enumerate(stored.table["trial"].to_numpy()):
                if int(trial) in wanted:
                    kept[int(trial)] = stored.table.iloc[[row]]
        return kept

    def close(self) -> None:
        """Stop the heartbeat; this worker no longer runs in this process."""
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.worker is not None:
            with _ACTIVE_LOCK:
                _ACTIVE.get(self.handle.key, set()).discard(self.worker.ordinal)


def _checked(result: SweepResult, configs: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the results table and bucket pnl of ``evaluate``, checked against the batch."""
    if len(result.table) != configs:
        raise ValueError(f"evaluate returned {len(result.table)} rows for {configs} configs")
    if result.bucket_pnl is None:
        raise ValueError(
            "evaluate must return the per-bucket pnl: call sweep(..., bucket_returns=True)"
        )
    # The study keeps each trial's bucket pnl on the host (it is persisted with the trial).
    bucket_pnl = np.asarray(
        to_device(result.bucket_pnl, "cpu", "search: trial bucket pnl"), dtype=np.float64
    )
    if bucket_pnl.ndim != 2 or bucket_pnl.shape[1] != configs:
        raise ValueError(
            f"evaluate returned bucket pnl of shape {bucket_pnl.shape} for {configs} configs"
        )
    return result.table.reset_index(drop=True), bucket_pnl
