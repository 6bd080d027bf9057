"""Learned signals: models trained walk-forward whose out-of-sample scores the sweep trades.

Logistic and ridge regression, a small MLP and a 1-D convolution over windows of features
(:data:`MODELS`), trained on a label with purged, embargoed past-only folds
(:func:`fit_walk_forward`), by NumPy or, with the ``[ml]`` extra, by torch. Importing this
package never imports torch. See ``docs/models.md``.
"""

from l2gpu.models import conv1d, logistic, mlp, ridge
from l2gpu.models.registry import MODELS, Model
from l2gpu.models.result import ModelRun
from l2gpu.models.splits import model_folds
from l2gpu.models.walkforward import TRAINERS, ModelSettings, fit_walk_forward, trainer

__all__ = [
    "MODELS",
    "TRAINERS",
    "Model",
    "ModelRun",
    "ModelSettings",
    "conv1d",
    "fit_walk_forward",
    "logistic",
    "mlp",
    "model_folds",
    "ridge",
    "trainer",
]
