"""CMA-ES over the ranged parameters, one generation per batch (the ``cmaes`` package).

The ranged parameters (float ranges) are scaled to the unit box; the search starts at its
centre with a step of 1/6 of each range, as Optuna's ``CmaEsSampler`` does. The population is
the batch size: a batch is one generation, evaluated in one sweep launch, and the distribution
is updated once the whole generation is told. (Optuna's ``CmaEsSampler`` asked for a batch
samples the whole batch from one generation and learns from only its first population, and its
cost per trial grows with the study.) Categorical parameters are drawn uniformly at random, as
Optuna's sampler does by default. CMA-ES minimises; a maximised objective is negated.

After each generation the optimizer is saved in the study's user attribute
``l2gpu.cmaes.<worker>`` (pickled, base64). A worker that starts after another one is gone (a
rerun after a kill) takes over the most advanced saved optimizer of a gone worker, when it was
built for the same batch size, and carries the search on from there; otherwise it starts afresh
with its own seed. A last batch smaller than the population is evaluated but not told.
"""

from __future__ import annotations

import base64
import logging
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np
from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial

from l2gpu.search.proposers import Proposal, ProposerContext

log = logging.getLogger(__name__)
STATE_PREFIX = "l2gpu.cmaes."
GENERATION_KEY = "l2gpu.cmaes.generation"
"""Trial system attribute: the CMA-ES generation that proposed the trial."""
SIGMA0 = 1 / 6


class CmaProposer:
    """CMA-ES with a population of one batch; see the module docstring."""

    def __init__(self, context: ProposerContext) -> None:
        import cmaes

        self._space = context.space
        self._ranged = context.space.ranged
        if not self._ranged:
            raise ValueError(
                "sweep.sampler: cmaes searches float ranges, and every ranged parameter "
                f"({', '.join(sorted(context.space.fixed))}) has a single value; give entry, "
                "exit, stop_loss_bps or take_profit_bps two values, or use another sampler"
            )
        if len(context.directions) != 1:
            raise ValueError("sweep.sampler: cmaes optimises one objective")
        self._sign = -1.0 if context.directions[0] == "maximize" else 1.0
        self._attrs = context.attrs
        self._key = f"{STATE_PREFIX}{context.worker.ordinal}"
        self._popsize = context.batch_size
        adopted = self._adopt(context)
        if adopted is not None:
            self._optimizer, self._rng = adopted
        else:
            dims = len(self._ranged)
            self._optimizer = cmaes.CMA(
                mean=np.full(dims, 0.5),
                sigma=SIGMA0,
                bounds=np.tile([0.0, 1.0], (dims, 1)),
                seed=context.seed,
                population_size=self._popsize,
            )
            self._rng = np.random.default_rng(context.seed)

    def _adopt(self, context: ProposerContext) -> tuple[Any, np.random.Generator] | None:
        """Take over the most advanced optimizer saved by a gone worker, if one fits."""
        best: tuple[int, int, dict[str, Any]] | None = None
        for key, saved in context.attrs.all().items():
            if not key.startswith(STATE_PREFIX) or not isinstance(saved, dict):
                continue
            ordinal = int(key[len(STATE_PREFIX) :])
            fits = saved.get("popsize") == self._popsize and saved.get("dims") == self._ranged
            if "state" not in saved or not fits or not context.judge.worker_gone(ordinal):
                continue
            if best is None or saved["generation"] > best[0]:
                best = (int(saved["generation"]), ordinal, saved)
        if best is None:
            return None
        _, ordinal, saved = best
        context.attrs.set(f"{STATE_PREFIX}{ordinal}", {"adopted_by": context.worker.ordinal})
        log.info("CMA-ES: worker %d carries on worker %d's search", context.worker.ordinal, ordinal)
        optimizer, rng = pickle.loads(base64.b64decode(saved["state"]))
        return optimizer, rng

    def propose(self, n: int) -> list[Proposal]:
        """Return ``n`` points of the current generation (categoricals uniform)."""
        generation = int(self._optimizer.generation)
        vectors = [self._optimizer.ask() for _ in range(n)]
        unit = self._rng.random((n, len(self._space.distributions)))
        columns = [
            i
            for i, d in enumerate(self._space.distributions.values())
            if isinstance(d, FloatDistribution)
        ]
        if n:
            unit[:, columns] = np.asarray(vectors)
        return [
            Proposal(params, {GENERATION_KEY: generation}, (generation, vector))
            for params, vector in zip(self._space.from_unit(unit), vectors, strict=True)
        ]

    def observe(self, proposals: Sequence[Proposal], values: np.ndarray) -> None:
        """Tell a whole generation and save the optimizer; a partial one is not told."""
        generation = int(self._optimizer.generation)
        if len(proposals) != self._popsize or any(p.token[0] != generation for p in proposals):
            return
        self._optimizer.tell(
            [(p.token[1], self._sign * float(v[0])) for p, v in zip(proposals, values, strict=True)]
        )
        state = base64.b64encode(pickle.dumps((self._optimizer, self._rng))).decode()
        self._attrs.set(
            self._key,
            {
                "generation": int(self._optimizer.generation),
                "popsize": self._popsize,
                "dims": self._ranged,
                "state": state,
            },
        )

    def mirror(self, trials: Sequence[FrozenTrial]) -> None:
        """Do nothing: each worker's CMA-ES learns from its own generations."""
