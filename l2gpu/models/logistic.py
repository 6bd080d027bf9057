"""Logistic regression: a linear score trained on the label's sign by gradient steps."""

from l2gpu.models import linear
from l2gpu.models.registry import MODELS, Model

LOGISTIC = MODELS.add(
    "logistic",
    Model(
        name="logistic",
        loss="logistic",
        init=linear.init,
        forward=linear.forward,
        backward=linear.backward,
        penalised=("w",),
        doc="logistic regression of the label's sign on the window (its logit is the score)",
    ),
)
