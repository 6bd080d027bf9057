"""Inner search: the grid of a strategy config, or a batched, resumable Optuna study.

A study is opened from a :class:`StudySpec` and run to ``n_trials`` complete trials::

    handle = open_study(StudySpec(searched, objectives=("pnl",), sampler="qmc", folder=dir))
    result = complete_study(handle, n_trials, batch_size, space, evaluate, on_batch=progress)
    result.table, result.bucket_pnl  # every complete trial of the whole study

:func:`validate_search` refuses a bad search config before any work. See ``docs/search.md``.
"""

from l2gpu.search.driver import StudyResult, complete_study
from l2gpu.search.grid import signal_scales, strategy_grid
from l2gpu.search.samplers import SAMPLERS
from l2gpu.search.space import RANGED, SearchSpace
from l2gpu.search.storage import make_storage
from l2gpu.search.study import StudyHandle, StudySpec, open_study, study_name
from l2gpu.search.validate import validate_search

__all__ = [
    "RANGED",
    "SAMPLERS",
    "SearchSpace",
    "StudyHandle",
    "StudyResult",
    "StudySpec",
    "complete_study",
    "make_storage",
    "open_study",
    "signal_scales",
    "strategy_grid",
    "study_name",
    "validate_search",
]
