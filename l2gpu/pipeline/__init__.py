"""The job's stages, each a function of its inputs and the config with a typed result.

data (:class:`BookInputs`) -> signals (:class:`Signals`) -> search (:class:`SearchResult`)
-> top configs (:class:`TopConfigs`, saved at once) -> evaluation (:class:`Evaluation`)
-> one :class:`RunRecord` for tracking and the summary. ``l2gpu.cli.job`` composes them; see
``docs/pipeline.md``.
"""

from l2gpu.pipeline.data import BookInputs, load_data
from l2gpu.pipeline.evaluation import Evaluation, TopConfigs, evaluate, record_top
from l2gpu.pipeline.record import RunRecord
from l2gpu.pipeline.results import SavedResults, save_results
from l2gpu.pipeline.search import SEARCHES, SearchResult
from l2gpu.pipeline.signals import Signals, compute_signals

__all__ = [
    "SEARCHES",
    "BookInputs",
    "Evaluation",
    "RunRecord",
    "SavedResults",
    "SearchResult",
    "Signals",
    "TopConfigs",
    "compute_signals",
    "evaluate",
    "load_data",
    "record_top",
    "save_results",
]
