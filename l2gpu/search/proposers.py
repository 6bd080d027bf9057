"""Proposers: where a batch of trial parameters comes from.

A proposer hands out the parameters of ``n`` new trials at once and learns the objective values
of those it proposed. The driver (:mod:`l2gpu.search.driver`) writes each proposal to the study
as one trial, complete with its parameters, in a single storage operation; that keeps the
storage's share of a trial's cost small and fixed, whichever sampler proposes.

- :class:`OptunaProposer` runs an Optuna sampler (TPE, NSGA-II, random) on a private in-memory
  copy of the study: Optuna's own ``ask``/``tell`` and ``suggest_*`` calls, so the sampler
  behaves exactly as in a plain Optuna study. Samplers that learn from the history are shown the
  trials that other workers (or earlier runs) completed (:meth:`OptunaProposer.mirror`).
- :class:`QmcProposer` draws a whole batch of a scrambled Sobol sequence at once. The sequence is
  the study's, shared by its workers and by reruns: the next index lives in the study's user
  attribute ``l2gpu.qmc.next`` and is taken under the study lock.
- :class:`~l2gpu.search.cma.CmaProposer` (``l2gpu.search.cma``) runs CMA-ES one generation per
  batch.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial

from l2gpu.search.space import SearchSpace
from l2gpu.search.workers import Judge, Worker

QMC_NEXT_KEY = "l2gpu.qmc.next"
"""Study user attribute: index of the next point of the study's Sobol sequence."""
QMC_INDEX_KEY = "l2gpu.qmc.index"
"""Trial system attribute: the index of the trial's point in the Sobol sequence."""


@dataclass
class Proposal:
    """The parameters of one new trial.

    Attributes
    ----------
    params : dict
        Values of the searched parameters (not the fixed ones).
    system_attrs : dict
        Bookkeeping of the proposer, stored with the trial (Optuna's ``system_attrs``).
    token : object
        Private to the proposer (the in-memory Optuna trial, a CMA-ES vector).
    """

    params: dict[str, Any]
    system_attrs: dict[str, Any] = field(default_factory=dict)
    token: Any = None


class StudyAttrs(Protocol):
    """The study's user attributes, read and written under the study lock."""

    def all(self) -> dict[str, Any]:
        """Return every user attribute of the study."""
        ...

    def set(self, key: str, value: Any) -> None:
        """Set one user attribute of the study."""
        ...


@dataclass(frozen=True)
class ProposerContext:
    """What a proposer is built from.

    Attributes
    ----------
    space : SearchSpace
        What is searched.
    directions : list of str
        ``"maximize"`` or ``"minimize"`` per objective.
    base_seed : int
        ``sweep.seed``.
    seed : int
        This worker's seed (:func:`l2gpu.search.workers.worker_seed`).
    batch_size : int
        Trials per batch.
    worker : Worker
        This process's worker.
    attrs : StudyAttrs
        The study's user attributes.
    judge : Judge
        Tells whether another worker is gone (to take over its sampler state).
    """

    space: SearchSpace
    directions: list[str]
    base_seed: int
    seed: int
    batch_size: int
    worker: Worker
    attrs: StudyAttrs
    judge: Judge


class Proposer(Protocol):
    """Proposes batches of trials and learns from their values."""

    def propose(self, n: int) -> list[Proposal]:
        """Return ``n`` new proposals (called under the study lock)."""
        ...

    def observe(self, proposals: Sequence[Proposal], values: np.ndarray) -> None:
        """Learn the ``[n, objectives]`` values of proposals this proposer made."""
        ...

    def mirror(self, trials: Sequence[FrozenTrial]) -> None:
        """Learn from complete trials that others made (ignored by history-free proposers)."""
        ...


class OptunaProposer:
    """An Optuna sampler on a private in-memory copy of the study.

    Parameters
    ----------
    sampler : optuna.samplers.BaseSampler
        The sampler.
    space : SearchSpace
        What is searched.
    directions : list of str
        One per objective.
    uses_history : bool
        Whether the sampler learns from complete trials (TPE, NSGA-II do; random does not): only
        then are other workers' trials copied in.
    """

    def __init__(
        self,
        sampler: optuna.samplers.BaseSampler,
        space: SearchSpace,
        directions: list[str],
        uses_history: bool,
    ) -> None:
        self._space = space
        self._uses_history = uses_history
        self._storage = optuna.storages.InMemoryStorage()
        in_memory_log = logging.getLogger(optuna.storages.InMemoryStorage.__module__)
        level = in_memory_log.level
        in_memory_log.setLevel(logging.WARNING)  # not "A new study created in memory"
        try:
            self._study = optuna.create_study(
                storage=self._storage,
                sampler=sampler,
                directions=[StudyDirection[d.upper()] for d in directions],
            )
        finally:
            in_memory_log.setLevel(level)
        self._study_id = self._storage.get_study_id_from_name(self._study.study_name)

    def propose(self, n: int) -> list[Proposal]:
        """Ask the in-memory study ``n`` times, suggesting the space's parameters in order."""
        proposals = []
        for _ in range(n):
            trial = self._study.ask()
            params = self._space.suggest(trial)
            trial_id = self._storage.get_trial_id_from_study_id_trial_number(
                self._study_id, trial.number
            )
            attrs = self._storage.get_trial_system_attrs(trial_id)
            proposals.append(Proposal(params, dict(attrs), trial))
        return proposals

    def observe(self, proposals: Sequence[Proposal], values: np.ndarray) -> None:
        """Tell the in-memory study the values of its trials (history samplers only)."""
        if not self._uses_history:
            return  # nothing reads them, and telling copies each trial
        for proposal, row in zip(proposals, values, strict=True):
            self._study.tell(proposal.token, [float(v) for v in row])

    def mirror(self, trials: Sequence[FrozenTrial]) -> None:
        """Copy complete trials of the study into the in-memory study (history samplers only)."""
        if not self._uses_history or not trials:
            return
        self._study.add_trials(
            [
                optuna.trial.create_trial(
                    params=t.params,
                    distributions=t.distributions,
                    values=t.values,
                    system_attrs=t.system_attrs,
                )
                for t in trials
            ]
        )


class QmcProposer:
    """A scrambled Sobol sequence over every searched parameter, shared by the study.

    Every worker uses the base seed (one sequence for the study, so the points of all workers
    together keep their low discrepancy) and takes the next unused indices under the study lock.
    """

    def __init__(self, context: ProposerContext) -> None:
        from scipy.stats import qmc

        self._space = context.space
        self._attrs = context.attrs
        self._engine = qmc.Sobol(len(context.space.distributions), rng=context.base_seed)
        self._drawn = 0

    def propose(self, n: int) -> list[Proposal]:
        """Return the next ``n`` points of the study's sequence."""
        start = int(self._attrs.all().get(QMC_NEXT_KEY, 0))
        if start != self._drawn:
            self._engine.reset()
            if start:
                self._engine.fast_forward(start)
        with warnings.catch_warnings():
            # Batches need not be powers of 2: the balance that matters is the whole sequence's.
            warnings.filterwarnings("ignore", message=".*balance properties of Sobol")
            unit = self._engine.random(n)
        self._drawn = start + n
        self._attrs.set(QMC_NEXT_KEY, self._drawn)
        return [
            Proposal(params, {QMC_INDEX_KEY: start + i})
            for i, params in enumerate(self._space.from_unit(unit))
        ]

    def observe(self, proposals: Sequence[Proposal], values: np.ndarray) -> None:
        """Do nothing: the sequence does not depend on the values."""

    def mirror(self, trials: Sequence[FrozenTrial]) -> None:
        """Do nothing: the sequence does not depend on the history."""


ProposerFactory = Callable[[ProposerContext], Proposer]
