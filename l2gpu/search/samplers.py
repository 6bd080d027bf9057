"""The samplers ``sweep.sampler`` may name, each with what it can do.

===========  ================================================================  ============
name         what proposes                                                     objectives
===========  ================================================================  ============
``tpe``      Optuna's ``TPESampler`` (multivariate, constant liar for batches)  one or more
``random``   Optuna's ``RandomSampler``                                         one or more
``qmc``      a scrambled Sobol sequence shared by the study, a batch at a time  one or more
``cmaes``    CMA-ES (``cmaes`` package), one generation per batch               one
``nsga2``    Optuna's ``NSGAIISampler``                                         one or more
===========  ================================================================  ============

``qmc`` and ``cmaes`` draw a whole batch at once; the Optuna samplers propose trial by trial
on an in-memory copy of the study (:mod:`l2gpu.search.proposers`). See ``docs/search.md`` for
what each costs per trial.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import optuna

from l2gpu.core.registry import Registry
from l2gpu.search.cma import CmaProposer
from l2gpu.search.proposers import (
    OptunaProposer,
    Proposer,
    ProposerContext,
    ProposerFactory,
    QmcProposer,
)


@dataclass(frozen=True)
class SamplerEntry:
    """A sampler ``sweep.sampler`` may name.

    Attributes
    ----------
    build : callable
        ``build(context) -> Proposer``.
    several_objectives : bool
        Whether it handles more than one objective.
    needs_ranged : bool
        Whether it needs at least one float range in the space.
    """

    build: ProposerFactory
    several_objectives: bool
    needs_ranged: bool = False


SAMPLERS = Registry[SamplerEntry]("sampler")


def _tpe(context: ProposerContext) -> Proposer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=context.seed, multivariate=True, constant_liar=True
        )
    return OptunaProposer(sampler, context.space, context.directions, uses_history=True)


def _random(context: ProposerContext) -> Proposer:
    sampler = optuna.samplers.RandomSampler(seed=context.seed)
    return OptunaProposer(sampler, context.space, context.directions, uses_history=False)


def _nsga2(context: ProposerContext) -> Proposer:
    sampler = optuna.samplers.NSGAIISampler(seed=context.seed)
    return OptunaProposer(sampler, context.space, context.directions, uses_history=True)


SAMPLERS.add("tpe", SamplerEntry(_tpe, several_objectives=True))
SAMPLERS.add("random", SamplerEntry(_random, several_objectives=True))
SAMPLERS.add("qmc", SamplerEntry(QmcProposer, several_objectives=True))
SAMPLERS.add("cmaes", SamplerEntry(CmaProposer, several_objectives=False, needs_ranged=True))
SAMPLERS.add("nsga2", SamplerEntry(_nsga2, several_objectives=True))
