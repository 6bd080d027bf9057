"""Ridge regression: a linear score fitted exactly by its penalised normal equations."""

from l2gpu.models import linear
from l2gpu.models.registry import MODELS, Model

RIDGE = MODELS.add(
    "ridge",
    Model(
        name="ridge",
        loss="squared",
        init=linear.init,
        forward=linear.forward,
        backward=linear.backward,
        penalised=("w",),
        closed_form=True,
        doc="ridge regression of the standardised label on the window (closed form)",
    ),
)
