"""Refuse a search config before any work: one line naming the setting, the fault and the fix."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from l2gpu.search.objectives import DIRECTIONS
from l2gpu.search.samplers import SAMPLERS
from l2gpu.search.space import RANGED, SearchSpace
from l2gpu.search.storage import storage_kind

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
MAX_SEED = 2**32 - 1


def check_study_name(name: str) -> None:
    """Refuse a study name that cannot be a folder name on every system."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"sweep.study_name: {name!r} is not a study name; use letters, digits, '.', '_' "
            "and '-' (up to 200, starting with a letter or digit)"
        )


def _positive_int(value: Any, setting: str, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{setting}: must be a whole number above 0, got {value!r}; {example}")


def validate_search(
    *,
    sampler: str,
    objectives: Sequence[str],
    n_trials: int,
    batch_size: int,
    seed: int = 0,
    storage: str | None = None,
    study_name: str | None = None,
    space: Mapping[str, Iterable[Any]] | None = None,
    ranged: Collection[str] = RANGED,
) -> None:
    """Check a batched Optuna search; raise ``ValueError`` on the first fault found.

    Parameters
    ----------
    sampler, objectives, n_trials, batch_size, seed, storage, study_name
        The ``sweep`` settings of the same names.
    space : mapping, optional
        The lists searched (``signal`` and the strategy lists), when known.
    ranged : collection of str
        Parameters searched as float ranges (:data:`l2gpu.search.space.RANGED`).
    """
    check_sampler(sampler, objectives)
    _positive_int(n_trials, "sweep.n_trials", "for example sweep.n_trials=2000")
    _positive_int(batch_size, "sweep.batch_size", "for example sweep.batch_size=500")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"sweep.seed: must be a whole number in [0, {MAX_SEED}], got {seed!r}")
    storage_kind(storage)
    if study_name is not None:
        check_study_name(study_name)
    if space is not None:
        check_space(SearchSpace.from_lists(space, ranged), sampler)


def check_sampler(sampler: str, objectives: Sequence[str]) -> None:
    """Refuse an unknown sampler or objective, or objectives the sampler cannot optimise."""
    if sampler not in SAMPLERS:
        raise ValueError(
            f"sweep.sampler: unknown sampler {sampler!r}; choose one of {SAMPLERS.listing()}"
        )
    if isinstance(objectives, str) or not objectives:
        raise ValueError(
            f"sweep.objectives: must be a list of one or more metrics, got {objectives!r}; "
            "for example [pnl]"
        )
    unknown = [name for name in objectives if name not in DIRECTIONS]
    if unknown:
        raise ValueError(
            f"sweep.objectives: unknown objective(s) {unknown}; choose from "
            f"{', '.join(sorted(DIRECTIONS))}"
        )
    if len(set(objectives)) != len(objectives):
        raise ValueError(f"sweep.objectives: {list(objectives)} names a metric twice; drop one")
    entry = SAMPLERS[sampler]
    if len(objectives) > 1 and not entry.several_objectives:
        several = ", ".join(n for n, e in SAMPLERS.items() if e.several_objectives)
        raise ValueError(
            f"sweep.sampler: {sampler} optimises one objective but sweep.objectives has "
            f"{len(objectives)} ({', '.join(objectives)}); keep one, or use {several}"
        )


def check_space(space: SearchSpace, sampler: str | None) -> None:
    """Refuse a space with nothing to search, or one ``sampler`` (if named) cannot search."""
    if not space.distributions:
        raise ValueError(
            "sweep: every searched parameter has a single value, so there is nothing to search; "
            "give a strategy list (or the signals) two or more values, or use sweep=grid"
        )
    if sampler is not None and SAMPLERS[sampler].needs_ranged and not space.ranged:
        raise ValueError(
            f"sweep.sampler: {sampler} searches float ranges, and none of "
            f"{', '.join(sorted(RANGED))} has two or more values; give one of them a range, or "
            "use another sampler"
        )
